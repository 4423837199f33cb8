"""Calendar feed endpoints of API v1, included under ``/api/v1/``.

No app namespace of its own (as ``scheduling.api.urls``): the names carry an ``api-`` prefix so
they stay unique beside the pages' names.
"""

from django.urls import path

from . import feeds

urlpatterns = [
    path(
        "staff/<int:staff_id>/calendar.ics",
        feeds.StaffCalendarView.as_view(),
        name="api-staff-calendar",
    ),
    path(
        "cohorts/<int:cohort_id>/calendar.ics",
        feeds.CohortCalendarView.as_view(),
        name="api-cohort-calendar",
    ),
]
