"""URL of a school's home page (its cohorts and its leaders' morning)."""

from django.urls import path

from ..views import school_home

urlpatterns = [
    path("schools/<int:school_id>/", school_home.school_detail, name="school-detail"),
]
