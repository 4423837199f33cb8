"""Progress pages: a school's cohorts, a cohort ranked by need, a student's charts."""

from django.urls import path

from . import views

urlpatterns = [
    path("schools/<int:school_id>/progress/", views.school_progress, name="progress-school"),
    path("cohorts/<int:cohort_id>/progress/", views.cohort_progress_page, name="progress-cohort"),
    path(
        "students/<int:student_id>/progress/",
        views.student_progress_page,
        name="progress-student",
    ),
]
