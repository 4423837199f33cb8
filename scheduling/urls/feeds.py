"""URLs of the user's calendar feeds page."""

from django.urls import path

from ..views import feeds

urlpatterns = [
    path("my/calendars/", feeds.my_calendars, name="my-calendars"),
]
