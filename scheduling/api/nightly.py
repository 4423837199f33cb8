"""GET /api/v1/nightly-runs/: each night's rebuild of the caller's schools, newest night first.

A list like the others of API v1: the default filter backends scope it to the schools the caller
may see (``SchoolScopeFilter``: a person's schools, a token's client's schools) before the
``school``, ``night`` and ``state`` filters apply, and ``StrictPageNumberPagination`` pages it.
Another school's id in ``?school=`` matches nothing, exactly as an id that does not exist: the
answer is an empty page, never a hint of which ids exist elsewhere. Two queries (count, page)
after authentication, however many runs.
"""

from __future__ import annotations

import datetime
from typing import Any

import django_filters
from django import forms
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import generics, serializers
from rest_framework.request import Request
from rest_framework.response import Response

from ..models import Fallback, NightlyRun, RunState, RunTrigger, ScheduleStatus
from ..selectors.pages import nightly_runs
from .serializers import ZonedDateTimeField
from .views import READ_ERRORS, problem

# Ids beyond a 32-bit key exist nowhere; refusing them keeps them out of the database's hands.
MAX_ID = 2**31 - 1

# --- filters --------------------------------------------------------------------------------


@extend_schema_field(
    {
        "type": "integer",
        "minimum": 1,
        "maximum": MAX_ID,
        "description": "A school id: only its runs (none for a school that is not yours).",
    }
)
class SchoolIdFilter(django_filters.Filter):
    """A school id matched as given, with no check that it exists (see the module's
    docstring)."""

    field_class = forms.IntegerField


class NightlyRunFilter(django_filters.FilterSet):
    school = SchoolIdFilter(field_name="school", min_value=1, max_value=MAX_ID)
    night = django_filters.DateFilter(
        help_text="The school's local date the run started, YYYY-MM-DD."
    )
    state = django_filters.ChoiceFilter(
        choices=RunState.choices, help_text="Only the runs in this state."
    )

    class Meta:
        model = NightlyRun
        fields = ["school", "night", "state"]


# --- the response ---------------------------------------------------------------------------


class SchoolDateTimeField(ZonedDateTimeField):
    """A moment of the run in its school's time zone, with that zone's UTC offset."""

    def get_attribute(self, instance: NightlyRun) -> datetime.datetime | None:
        value = super().get_attribute(instance)
        return value.astimezone(instance.school.zone) if value is not None else None


class NightlyRunScheduleSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    version = serializers.IntegerField()
    status = serializers.ChoiceField(choices=ScheduleStatus.choices)


class NightlyRunReasonSerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()
    suggestion = serializers.CharField()
    setting = serializers.CharField(
        help_text="The configuration at fault, e.g. 'room:12', 'staffing:7:math'."
    )


class NightlyRunSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    school = serializers.IntegerField(source="school_id")
    night = serializers.DateField(help_text="The school's local date when the run started.")
    date = serializers.DateField(help_text="The instructional day rebuilt.")
    trigger = serializers.ChoiceField(choices=RunTrigger.choices)
    state = serializers.ChoiceField(choices=RunState.choices)
    lost = serializers.BooleanField(
        help_text="Its worker died and it is running again (redelivered or queued again), "
        "not running yet: shown as 'lost, running again' instead of its state."
    )
    attempts = serializers.IntegerField(
        help_text="How many times a worker took it up (retries and redeliveries)."
    )
    first_queued_at = SchoolDateTimeField(
        allow_null=True, help_text="When it was first queued; a re-queue keeps it."
    )
    queued_at = SchoolDateTimeField(help_text="When it was last queued (again, once lost).")
    started_at = SchoolDateTimeField(allow_null=True)
    finished_at = SchoolDateTimeField(allow_null=True)
    duration_seconds = serializers.FloatField(
        allow_null=True, help_text="From the last start to the finish; null until finished."
    )
    schedule = NightlyRunScheduleSerializer(
        allow_null=True,
        help_text="The version published or found unchanged, the version kept or the draft "
        "carried forward when nothing was published; null when there is none.",
    )
    version_published = serializers.SerializerMethodField(
        help_text="The version this run published; null when it published nothing."
    )
    fallback = serializers.ChoiceField(
        choices=Fallback.choices,
        help_text="What the school has for the day when nothing was published: 'kept' (the "
        "published version stays), 'carried_forward' (a draft from the last day of the same "
        "kind) or 'nothing'; empty otherwise.",
    )
    why_not = serializers.CharField(
        help_text="One line on why nothing was published; empty when something was."
    )
    reasons = NightlyRunReasonSerializer(
        many=True, help_text="The engine's reasons when no schedule was possible."
    )

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_version_published(self, run: NightlyRun) -> int | None:
        if run.state == RunState.PUBLISHED and run.schedule is not None:
            return run.schedule.version
        return None


# --- the view -------------------------------------------------------------------------------


class NightlyRunsView(generics.ListAPIView):
    serializer_class = NightlyRunSerializer
    filterset_class = NightlyRunFilter

    def get_queryset(self) -> Any:
        return nightly_runs()

    @extend_schema(
        operation_id="nightly_runs",
        summary="Each night's rebuild of your schools",
        description="One run per school per night (and one per rebuild run by hand), newest "
        "night first: its state (queued, running, published, unchanged, failed), attempts, "
        "timing, the version it published or, when it published nothing, why not and what the "
        "school has for the day instead.",
        responses={
            200: NightlyRunSerializer(many=True),
            400: problem("A filter or page parameter is not valid (``errors`` names it)."),
            401: READ_ERRORS[401],
        },
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)
