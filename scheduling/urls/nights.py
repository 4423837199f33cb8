"""URLs of the nightly runs page: what each night's rebuild did, for the school's leaders."""

from django.urls import path

from ..views import nights

urlpatterns = [
    path("schools/<int:school_id>/nights/", nights.nightly_runs, name="nightly-runs"),
]
