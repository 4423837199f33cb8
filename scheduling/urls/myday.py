"""URLs of the teacher's pages: my day, my week, a lab's day, and one block's lab plan."""

from django.urls import path

from ..views import myday

urlpatterns = [
    path("my/day/", myday.my_day, name="my-day"),
    path("my/week/", myday.my_week, name="my-week"),
    path("schools/<int:school_id>/labs/<int:room_id>/", myday.lab_view, name="lab-view"),
    # A block is named by its cohort and start, HHMM (0905): a cohort is in one block at a time.
    path(
        "schools/<int:school_id>/plans/<int:schedule_id>/cohorts/<int:cohort_id>/<str:start>/",
        myday.lab_block_plan,
        name="lab-block-plan",
    ),
]
