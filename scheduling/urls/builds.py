"""URLs of the builds pages: build a date, follow the build, review, publish, versions, restore."""

from django.urls import path

from ..views import builds

urlpatterns = [
    path("schools/<int:school_id>/build/", builds.build, name="build"),
    path("schools/<int:school_id>/builds/<int:job_id>/", builds.build_status, name="build-status"),
    path(
        "schools/<int:school_id>/builds/<int:job_id>/options/",
        builds.build_use_option,
        name="build-use-option",
    ),
    path(
        "schools/<int:school_id>/builds/<int:job_id>/longer/",
        builds.build_longer,
        name="build-longer",
    ),
    path(
        "schools/<int:school_id>/schedules/versions/",
        builds.schedule_versions,
        name="schedule-versions",
    ),
    path(
        "schools/<int:school_id>/schedules/<int:schedule_id>/review/",
        builds.schedule_review,
        name="schedule-review",
    ),
    path(
        "schools/<int:school_id>/schedules/<int:schedule_id>/publish/",
        builds.publish,
        name="schedule-publish",
    ),
    path(
        "schools/<int:school_id>/schedules/<int:schedule_id>/restore/",
        builds.restore,
        name="schedule-restore",
    ),
]
