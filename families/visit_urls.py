"""URLs of the home-visit pages (``families.views.visits``)."""

from django.urls import path

from .views import visit_progress, visit_tracking, visits

urlpatterns: list = [
    path(
        "schools/<int:school_id>/home-visits/",
        visits.school_visits,
        name="home-visits-school",
    ),
    path(
        "schools/<int:school_id>/home-visits/plan/",
        visits.school_visits_plan,
        name="home-visits-plan",
    ),
    path(
        "schools/<int:school_id>/home-visits/plan/<int:job_id>/",
        visits.school_visits_plan_status,
        name="home-visits-plan-status",
    ),
    path(
        "schools/<int:school_id>/home-visits/households/sync/",
        visits.school_households_sync,
        name="home-visits-households-sync",
    ),
    path(
        "schools/<int:school_id>/home-visits/households/<int:household_id>/",
        visits.household_page,
        name="home-visits-household",
    ),
    path(
        "schools/<int:school_id>/home-visits/visits/<int:visit_id>/",
        visits.visit_page,
        name="home-visits-visit",
    ),
    path(
        "schools/<int:school_id>/home-visits/visits/<int:visit_id>/status/",
        visit_tracking.visit_status,
        name="home-visits-visit-status",
    ),
    path(
        "schools/<int:school_id>/home-visits/visits/<int:visit_id>/reflection/",
        visit_tracking.visit_reflection,
        name="home-visits-visit-reflection",
    ),
    path(
        "schools/<int:school_id>/home-visits/progress/",
        visit_progress.school_progress_page,
        name="home-visits-progress",
    ),
    path(
        "schools/<int:school_id>/home-visits/progress.csv",
        visit_progress.school_progress_csv,
        name="home-visits-progress-csv",
    ),
    path(
        "networks/<int:network_id>/home-visits/progress/",
        visit_progress.network_progress_page,
        name="home-visits-network-progress",
    ),
    path("my/home-visits/", visits.my_visits, name="home-visits-mine"),
    path("my/home-visits/times/<int:staff_id>/", visits.my_visit_times, name="home-visits-times"),
    path(
        "my/home-visits/calendar/<int:staff_id>.ics",
        visits.visit_calendar,
        name="home-visits-calendar",
    ),
]
