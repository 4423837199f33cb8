from django.urls import path

from . import views, views_api_clients

urlpatterns = [
    path("", views.home, name="home"),
    path("schools/", views.school_list, name="school-list"),
    path("cohorts/<int:cohort_id>/", views.cohort_roster, name="cohort-roster"),
    path("students/<int:student_id>/", views.student_detail, name="student-detail"),
    path(
        "schools/<int:school_id>/api-clients/",
        views_api_clients.api_clients,
        name="api-clients",
    ),
    path(
        "schools/<int:school_id>/api-clients/<int:client_id>/",
        views_api_clients.api_client_edit,
        name="api-client-edit",
    ),
]
