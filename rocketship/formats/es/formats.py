"""The project's own format names in Spanish, for family pages (staff pages are US English).

Django's ``es`` module supplies its standard names (DATE_FORMAT "j \\d\\e F \\d\\e Y", ...); only
the names rocketship adds are here, so a template that uses one renders in every language the
site speaks (settings.LANGUAGES) instead of printing the name's letters as a format.
"""

WEEKDAY_DATE_FORMAT = r"l j \d\e F \d\e Y"  # "lunes 7 de diciembre de 2026"
WEEKDAY_MONTH_DAY_FORMAT = r"l j \d\e F"  # "lunes 7 de diciembre"
SHORT_WEEKDAY_DATE_FORMAT = "D j b Y"  # "lun 7 dic 2026" ("M" is "Dic" in Spanish)
SHORT_WEEKDAY_MONTH_DAY_FORMAT = "D j b"  # "lun 7 dic"
CHART_DATE_FORMAT = "j b"  # "9 nov"
