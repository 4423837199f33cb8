"""URLs of a published day's CSV exports (by cohort, by staff member)."""

from django.urls import re_path

from ..views import exports

DAY = r"^schools/(?P<school_id>[0-9]+)/days/(?P<day>[0-9]{4}-[0-9]{2}-[0-9]{2})/export/"

urlpatterns = [
    re_path(DAY + r"cohorts\.csv$", exports.day_cohorts_csv, name="day-export-cohorts"),
    re_path(DAY + r"staff\.csv$", exports.day_staff_csv, name="day-export-staff"),
]
