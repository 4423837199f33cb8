from django.urls import path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("schools/<int:school_id>/", views.school_detail, name="school-detail"),
    path("cohorts/<int:cohort_id>/", views.cohort_roster, name="cohort-roster"),
    path("students/<int:student_id>/", views.student_detail, name="student-detail"),
]
