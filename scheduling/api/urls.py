"""Schedule endpoints of API v1, included under ``/api/v1/``.

No app namespace of its own: the names carry an ``api-`` prefix so they stay unique beside the
pages' names, and the views reverse them within whatever namespace includes this module.
"""

from django.urls import path

from . import nightly, views

urlpatterns = [
    path(
        "schools/<int:school_id>/schedules/<str:date>/",
        views.PublishedScheduleView.as_view(),
        name="api-school-schedule",
    ),
    path(
        "schools/<int:school_id>/schedules/<str:date>/versions/",
        views.ScheduleVersionsView.as_view(),
        name="api-school-schedule-versions",
    ),
    path(
        "schools/<int:school_id>/schedules/<str:date>/build/",
        views.BuildStartView.as_view(),
        name="api-school-schedule-build",
    ),
    path("builds/<int:job_id>/", views.BuildStatusView.as_view(), name="api-build-status"),
    path(
        "staff/<int:staff_id>/roster/<str:date>/",
        views.StaffRosterView.as_view(),
        name="api-staff-roster",
    ),
    path(
        "students/<int:student_id>/schedule/<str:date>/",
        views.StudentScheduleView.as_view(),
        name="api-student-schedule",
    ),
    path("nightly-runs/", nightly.NightlyRunsView.as_view(), name="api-nightly-runs"),
]
