"""URLs of the teacher's pages: my day, my week, and a lab's day."""

from django.urls import path

from ..views import myday

urlpatterns = [
    path("my/day/", myday.my_day, name="my-day"),
    path("my/week/", myday.my_week, name="my-week"),
    path("schools/<int:school_id>/labs/<int:room_id>/", myday.lab_view, name="lab-view"),
]
