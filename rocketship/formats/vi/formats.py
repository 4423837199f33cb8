"""The project's own format names in Vietnamese, for family pages (staff pages are US English).

Django's ``vi`` module supplies its standard names; only the names rocketship adds are here, so
a template that uses one renders in every language of settings.LANGUAGES.
"""

WEEKDAY_DATE_FORMAT = r"l, \n\gà\y j \t\há\n\g n \nă\m Y"  # "Thứ hai, ngày 7 tháng 12 năm 2026"
WEEKDAY_MONTH_DAY_FORMAT = r"l, \n\gà\y j \t\há\n\g n"  # "Thứ hai, ngày 7 tháng 12"
SHORT_WEEKDAY_DATE_FORMAT = "D, d/m/Y"
SHORT_WEEKDAY_MONTH_DAY_FORMAT = "D, d/m"
CHART_DATE_FORMAT = "d/m"  # day first, as Vietnamese readers expect
