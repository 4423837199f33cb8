"""US dates and a 12-hour clock, named once for every page, email, chart and CSV meant for people.

Templates and code ask for these by name (``{{ day|date:"WEEKDAY_DATE_FORMAT" }}``,
``formats.date_format(day, "CHART_DATE_FORMAT")``), never with hand-written format characters,
so the whole product changes format in this one file. Django's own names keep Django's English
values; the project's names (``WEEKDAY_*``, ``CHART_DATE_FORMAT``) add what a school page needs.

Machine-facing values stay ISO 8601 and are not formats for people: ``?date=2026-12-07`` in
links, ``<input type="date|time">`` values (the browser shows them in the reader's locale, with
AM/PM for en-US), the API's JSON, iCalendar and the date column of the CSV exports (spreadsheets
sort and parse ISO dates in every locale).
"""

# --- Django's names (the values of Django's own ``en`` module, stated so they cannot drift) ----
# "Dec. 7, 2026"
DATE_FORMAT = "N j, Y"
# "8:15 a.m.", "noon": the one 12-hour style of every page, email and CSV for people.
TIME_FORMAT = "P"
# "Dec. 7, 2026, 8:15 a.m."
DATETIME_FORMAT = "N j, Y, P"
# "December 2026"
YEAR_MONTH_FORMAT = "F Y"
# "December 7"
MONTH_DAY_FORMAT = "F j"
# "12/07/2026"
SHORT_DATE_FORMAT = "m/d/Y"
# "12/07/2026 8:15 a.m."
SHORT_DATETIME_FORMAT = "m/d/Y P"
FIRST_DAY_OF_WEEK = 0  # Sunday, as US calendars print it

# --- The project's names -------------------------------------------------------------------------
# Headings of a day: "Monday, December 7, 2026".
WEEKDAY_DATE_FORMAT = "l, F j, Y"
# A day within a week or a sentence, the year understood: "Monday, December 7".
WEEKDAY_MONTH_DAY_FORMAT = "l, F j"
# Compact links and table cells: "Mon, Dec. 7, 2026".
SHORT_WEEKDAY_DATE_FORMAT = "D, N j, Y"
# Previous / next links beside a day: "Mon, Dec. 7".
SHORT_WEEKDAY_MONTH_DAY_FORMAT = "D, N j"
# Axis labels of charts, where a number pair like 9/11 reads both ways: "Nov 9".
CHART_DATE_FORMAT = "M j"

# Parsing typed dates and times: ISO first (what date and time inputs send), then US forms,
# then the 12-hour clock ("8:15 AM", "8:15PM", "8 PM"). Python's strptime matches AM/PM in
# either case.
DATE_INPUT_FORMATS = [
    "%Y-%m-%d",  # '2026-12-07'
    "%m/%d/%Y",  # '12/07/2026'
    "%m/%d/%y",  # '12/07/26'
    "%b %d %Y",  # 'Dec 07 2026'
    "%b %d, %Y",  # 'Dec 07, 2026'
    "%B %d %Y",  # 'December 07 2026'
    "%B %d, %Y",  # 'December 07, 2026'
]
TIME_INPUT_FORMATS = [
    "%H:%M:%S",  # '14:30:59'
    "%H:%M:%S.%f",  # '14:30:59.000200'
    "%H:%M",  # '14:30'
    "%I:%M %p",  # '2:30 PM'
    "%I:%M%p",  # '2:30PM'
    "%I %p",  # '2 PM'
    "%I:%M:%S %p",  # '2:30:59 PM'
]
DATETIME_INPUT_FORMATS = [
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M:%S.%f",
    "%Y-%m-%d %H:%M",
    "%m/%d/%Y %H:%M:%S",
    "%m/%d/%Y %H:%M",
    "%m/%d/%Y %I:%M %p",  # '12/07/2026 2:30 PM'
    "%m/%d/%y %H:%M",
    "%m/%d/%y %I:%M %p",
]
DECIMAL_SEPARATOR = "."
THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
