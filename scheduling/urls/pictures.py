"""URLs of the pictures pages: a school's published day, any version's pictures, and pins."""

from django.urls import path

from ..views import pictures

urlpatterns = [
    path("schools/<int:school_id>/day/", pictures.schedule_day, name="schedule-day"),
    path(
        "schools/<int:school_id>/schedules/<int:schedule_id>/pictures/",
        pictures.schedule_detail,
        name="schedule-detail",
    ),
    path(
        "schools/<int:school_id>/schedules/<int:schedule_id>/pins/toggle/",
        pictures.pin_toggle,
        name="pin-toggle",
    ),
]
