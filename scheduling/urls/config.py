"""URLs of the config pages: a leader's configuration of one school."""

from django.urls import path

from ..views import config as views

urlpatterns: list = [
    path("schools/<int:school_id>/rooms/", views.rooms, name="rooms"),
    path("schools/<int:school_id>/rooms/<int:room_id>/", views.room_edit, name="room-edit"),
    path(
        "schools/<int:school_id>/rooms/<int:room_id>/zones/",
        views.lab_zone_add,
        name="lab-zone-add",
    ),
    path(
        "schools/<int:school_id>/rooms/<int:room_id>/zones/<int:zone_id>/",
        views.lab_zone_edit,
        name="lab-zone-edit",
    ),
    path("schools/<int:school_id>/staff/", views.staff_list, name="staff-list"),
    path("schools/<int:school_id>/staff/<int:staff_id>/", views.staff_edit, name="staff-edit"),
    path("schools/<int:school_id>/cohorts/", views.cohorts, name="cohorts"),
    path("schools/<int:school_id>/cohorts/<int:cohort_id>/", views.cohort_edit, name="cohort-edit"),
    path("schools/<int:school_id>/day-types/", views.day_types, name="day-types"),
    path(
        "schools/<int:school_id>/day-types/<int:day_type_id>/",
        views.day_type_edit,
        name="day-type-edit",
    ),
    path("schools/<int:school_id>/calendar/", views.calendar, name="calendar"),
    path("schools/<int:school_id>/absences/", views.absences, name="absences"),
    path("schools/<int:school_id>/settings/", views.school_settings, name="school-settings"),
]
