"""Shapes of the progress push: one pushed record, and the counts answered."""

from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext, gettext_lazy
from rest_framework import serializers

from ..models import (
    API_SOURCE,
    MAX_LESSONS_PER_DAY,
    MAX_MINUTES_PER_DAY,
    SOURCE_PATTERN,
)
from ..services import ProgressInput


class ProgressRecordInSerializer(serializers.Serializer):
    """One record of a push: a student's work in a program on a date."""

    student = serializers.IntegerField(
        min_value=1, help_text=gettext_lazy("The student's id, as /api/v1/students/ lists it.")
    )
    program = serializers.SlugField(
        max_length=60,
        help_text=gettext_lazy("The program's code at the student's school, e.g. 'st-math'."),
    )
    date = serializers.DateField(
        help_text=gettext_lazy("The school date of the work (YYYY-MM-DD).")
    )
    minutes = serializers.IntegerField(min_value=0, max_value=MAX_MINUTES_PER_DAY)
    lessons_completed = serializers.IntegerField(
        min_value=0, max_value=MAX_LESSONS_PER_DAY, default=0
    )
    mastery_level = serializers.DecimalField(
        max_digits=5,
        decimal_places=2,
        min_value=0,
        max_value=100,
        allow_null=True,
        default=None,
        coerce_to_string=False,
        help_text=gettext_lazy("0-100 when the program measures mastery; null otherwise."),
    )
    # SerializerMetaclass pops declared fields off the class, so this does not shadow
    # Field.source; the stubs cannot tell a declared field from an attribute.
    source = serializers.RegexField(  # type: ignore[assignment]
        SOURCE_PATTERN,
        max_length=40,
        default=API_SOURCE,
        help_text=gettext_lazy(
            "Where the numbers come from; a record is replaced only by one of the same "
            "source. Default 'api'."
        ),
    )

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        # A misspelt field ('minute') would otherwise be dropped silently and its default used;
        # name it beside the item's other errors.
        unknown = sorted(set(data) - set(self.fields)) if isinstance(data, Mapping) else []
        expected = ", ".join(self.fields)
        unknown_errors = {
            name: [gettext("Unknown field; expected %(fields)s.") % {"fields": expected}]
            for name in unknown
        }
        try:
            value = super().to_internal_value(data)
        except serializers.ValidationError as invalid:
            if unknown_errors and isinstance(invalid.detail, dict):
                unknown_detail = serializers.ValidationError(unknown_errors).detail
                # A dict given stays a dict (of ErrorDetail lists) in ``detail``.
                assert isinstance(unknown_detail, dict)
                invalid.detail.update(unknown_detail)
            raise
        if unknown_errors:
            raise serializers.ValidationError(unknown_errors)
        return value


class ProgressPushResultSerializer(serializers.Serializer):
    created = serializers.IntegerField(help_text=gettext_lazy("Records stored for the first time."))
    updated = serializers.IntegerField(
        help_text=gettext_lazy("Stored records whose numbers were replaced.")
    )
    unchanged = serializers.IntegerField(
        help_text=gettext_lazy("Records identical to what was stored (a repeated push).")
    )
    total = serializers.IntegerField()


def parse_progress_items(
    items: list[Any],
) -> tuple[list[ProgressInput], dict[str, dict[str, Any]]]:
    """Each item parsed on its own: the good ones, and the shape errors of the others keyed by
    their index, so that a push's answer names every bad item at once."""
    parsed: list[ProgressInput] = []
    errors: dict[str, dict[str, Any]] = {}
    for index, raw in enumerate(items):
        item = ProgressRecordInSerializer(data=raw)
        if not item.is_valid():
            errors[str(index)] = item.errors
            continue
        data = item.validated_data
        parsed.append(
            ProgressInput(
                index=index,
                student_id=data["student"],
                program_code=data["program"],
                date=data["date"],
                minutes=data["minutes"],
                lessons_completed=data["lessons_completed"],
                mastery_level=data["mastery_level"],
                source=data["source"],
            )
        )
    return parsed, errors
