"""Response shapes of the schedule endpoints (the issue's contract: extend, never break).

They render the frozen dataclasses of ``scheduling.selectors.api``; they read nothing from the
database. Datetimes keep the offset they carry, which the selectors set to the school's zone.
"""

from rest_framework import serializers

from students.models import ServiceKind

from ..models import ActivityKind, BuildPhase, BuildState, RoomKind, ScheduleStatus, StationCode


class ZonedDateTimeField(serializers.DateTimeField):
    """An aware datetime as ISO 8601 with its own UTC offset (DRF would convert it to the
    server's zone and write UTC as ``Z``)."""

    def to_representation(self, value):  # type: ignore[override]
        return value.isoformat() if value is not None else None


# --- GET schools/{id}/schedules/{date}/ ---------------------------------------------------------


class ScheduleRoomSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    kind = serializers.ChoiceField(choices=RoomKind.choices)
    capacity = serializers.IntegerField(
        help_text="Seats for a lab or classroom; cohorts at once for a cafeteria or gym."
    )


class ScheduleStaffSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    roles = serializers.ListField(child=serializers.CharField())


class ScheduleBlockSerializer(serializers.Serializer):
    station = serializers.ChoiceField(choices=StationCode.choices)
    start = ZonedDateTimeField()
    end = ZonedDateTimeField()
    room = serializers.IntegerField(allow_null=True, help_text="A room id of ``rooms``.")
    staff = serializers.ListField(
        child=serializers.IntegerField(), help_text="Staff ids of ``staff``."
    )


class ScheduleCohortSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    grade = serializers.CharField(
        help_text="K, 1, 2, 3, 4 or 5: the grade whose rotation template the cohort follows "
        "(a combination class's students keep their own grades)."
    )
    student_count = serializers.IntegerField(help_text="Students enrolled on the date.")
    blocks = ScheduleBlockSerializer(many=True)


class PublishedScheduleSerializer(serializers.Serializer):
    school = serializers.IntegerField()
    date = serializers.DateField()
    version = serializers.IntegerField()
    published_at = ZonedDateTimeField(allow_null=True)
    day_type = serializers.CharField(help_text="The name of the date's day type.")
    rooms = ScheduleRoomSerializer(many=True)
    staff = ScheduleStaffSerializer(many=True)
    cohorts = ScheduleCohortSerializer(many=True)


# --- GET schools/{id}/schedules/{date}/versions/ ------------------------------------------------


class ScheduleVersionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    version = serializers.IntegerField()
    status = serializers.ChoiceField(choices=ScheduleStatus.choices)
    day_type = serializers.CharField()
    built_at = ZonedDateTimeField()
    published_at = ZonedDateTimeField(allow_null=True)
    moved_blocks = serializers.IntegerField(
        allow_null=True, help_text="Blocks changed against the day's previous published version."
    )
    solver_stats = serializers.DictField(
        help_text="status, objective, bound, gap, wall_seconds, workers, seed"
    )


class ScheduleVersionsSerializer(serializers.Serializer):
    school = serializers.IntegerField()
    date = serializers.DateField()
    versions = ScheduleVersionSerializer(many=True, help_text="Newest first.")


# --- GET students/{id}/schedule/{date}/ ---------------------------------------------------------


class NamedRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class SegmentGroupSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="The group's number within the day's lab plan.")
    staff = NamedRefSerializer(help_text="The tutor or service provider leading the group.")


class SegmentServiceSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="The student's service need this segment delivers.")
    kind = serializers.ChoiceField(choices=ServiceKind.choices)


class PlaceRefSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(
        choices=[("room", "room"), ("lab_zone", "lab_zone")],
        help_text="room: a resource room or classroom; lab_zone: a zone of a Learning Lab.",
    )
    id = serializers.IntegerField()
    name = serializers.CharField(help_text="A zone reads as 'Lab · Zone'.")


class StudentSegmentSerializer(serializers.Serializer):
    start = ZonedDateTimeField()
    end = ZonedDateTimeField()
    activity = serializers.ChoiceField(
        choices=ActivityKind.choices,
        help_text="program: time in a Learning Lab program; tutoring: in a tutor's group; "
        "service: in a service provider's group (IEP, ELD or intervention minutes).",
    )
    program = NamedRefSerializer(
        allow_null=True,
        help_text="The program to work in, for program time; null for groups and for open lab "
        "time (no program serves the grade).",
    )
    subject = serializers.CharField(
        allow_null=True, help_text="The subject worked on (e.g. math, literacy), when known."
    )
    group = SegmentGroupSerializer(
        allow_null=True,
        help_text="The tutoring or service group; null for program time, and for a service "
        "when the caller may not see the student's service details.",
    )
    service = SegmentServiceSerializer(
        allow_null=True,
        help_text="The service need the segment delivers, for a service; null when the caller "
        "may not see the student's service details.",
    )
    place = PlaceRefSerializer(
        allow_null=True,
        help_text="Where the student is: the group's room or lab zone, or the computer zone of "
        "program time; null for the block's own room, and for a service when the caller may not "
        "see the student's service details.",
    )


class StudentBlockSerializer(serializers.Serializer):
    station = serializers.ChoiceField(choices=StationCode.choices)
    start = ZonedDateTimeField()
    end = ZonedDateTimeField()
    room = NamedRefSerializer(allow_null=True)
    staff = NamedRefSerializer(many=True)
    segments = StudentSegmentSerializer(
        many=True,
        help_text="The student's Learning Lab plan within a lab or flexible block, in time "
        "order: sessions of program time, tutoring or a service, with whom, where, for how long. "
        "Sessions tile the block. Empty for other blocks and for a day whose schedule has no "
        "lab plan.",
    )


class StudentRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    local_id = serializers.CharField(help_text="The school's own student id.")
    name = serializers.CharField(help_text="First Last.")
    cohort = NamedRefSerializer(allow_null=True)


class StudentDaySerializer(serializers.Serializer):
    student = StudentRefSerializer()
    school = serializers.IntegerField()
    date = serializers.DateField()
    version = serializers.IntegerField()
    published_at = ZonedDateTimeField(allow_null=True)
    enrolled = serializers.BooleanField(
        help_text="False when the student is not enrolled that day."
    )
    blocks = StudentBlockSerializer(many=True)


# --- GET staff/{id}/roster/{date}/ --------------------------------------------------------------


class RosterStudentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    local_id = serializers.CharField()
    name = serializers.CharField(help_text="Last, First.")
    has_iep = serializers.BooleanField(
        allow_null=True,
        help_text="Null when the caller may not see the student's service details (shown to "
        "the school's leaders, special-education staff and the student's service providers).",
    )
    el_level = serializers.CharField(help_text="The English-learner level code.")
    english_learner = serializers.BooleanField(
        help_text="Receives English language development (emerging, expanding or bridging)."
    )


class RosterBlockSerializer(serializers.Serializer):
    station = serializers.ChoiceField(choices=StationCode.choices)
    start = ZonedDateTimeField()
    end = ZonedDateTimeField()
    room = NamedRefSerializer(allow_null=True)
    cohort = NamedRefSerializer()
    supervising = serializers.BooleanField(
        help_text="A block in a lab this person supervises rather than one they teach."
    )
    students = RosterStudentSerializer(many=True)


class RosterGroupSerializer(serializers.Serializer):
    number = serializers.IntegerField(help_text="The group's number within the day's lab plan.")
    kind = serializers.ChoiceField(
        choices=[c for c in ActivityKind.choices if c[0] != ActivityKind.PROGRAM]
    )
    service_kind = serializers.ChoiceField(
        choices=ServiceKind.choices,
        allow_null=True,
        help_text="The service delivered, for a service group; null for tutoring, and for a "
        "caller who may not see every member's service details.",
    )
    subject = serializers.CharField(
        allow_null=True, help_text="The subject worked on (e.g. math, literacy), when known."
    )
    start = ZonedDateTimeField()
    end = ZonedDateTimeField()
    students = RosterStudentSerializer(many=True)
    place = PlaceRefSerializer(
        allow_null=True,
        help_text="The room or lab zone the group meets in; null when not set, and for a "
        "service group when the caller may not see every member's service details.",
    )


class RosterStaffSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    name = serializers.CharField(source="__str__")


class StaffRosterSerializer(serializers.Serializer):
    staff = RosterStaffSerializer()
    roles = serializers.ListField(child=serializers.CharField())
    school = serializers.IntegerField(source="staff.school_id")
    date = serializers.DateField()
    version = serializers.IntegerField()
    blocks = RosterBlockSerializer(many=True)
    groups = RosterGroupSerializer(
        many=True,
        help_text="The tutoring and service groups this person leads in the day's Learning Lab "
        "plan, in time order, with their students.",
    )


# --- builds -------------------------------------------------------------------------------------


class BuildStartedSerializer(serializers.Serializer):
    task_id = serializers.IntegerField(help_text="The build job's id.")
    status_url = serializers.URLField(help_text="Where the build reports its state.")


class BuildProgressSerializer(serializers.Serializer):
    phase = serializers.ChoiceField(choices=BuildPhase.choices, allow_null=True)
    percent = serializers.IntegerField(help_text="Share of the build's steps completed.")


class BuildScheduleSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    version = serializers.IntegerField()
    status = serializers.ChoiceField(choices=ScheduleStatus.choices)


class BuildExplanationSerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()
    suggestion = serializers.CharField()
    setting = serializers.CharField(
        help_text="The configuration at fault, e.g. ``room:12``, ``staff:3,5``, ``school``."
    )


class BuildStatusSerializer(serializers.Serializer):
    task_id = serializers.IntegerField()
    school = serializers.IntegerField()
    date = serializers.DateField()
    state = serializers.ChoiceField(choices=BuildState.choices)
    progress = BuildProgressSerializer()
    schedule = BuildScheduleSerializer(
        allow_null=True,
        help_text="The version built (or matched, when ``unchanged``), once succeeded.",
    )
    unchanged = serializers.BooleanField(
        help_text="The configuration matched a stored version; no new one was made."
    )
    explanations = BuildExplanationSerializer(
        many=True, help_text="Why no schedule is possible, when the state is infeasible."
    )
    error = serializers.CharField(help_text="Why the build stopped, when the state is failed.")
    looks_abandoned = serializers.BooleanField(
        help_text="Still queued or running long after any build could: its worker was lost, "
        "and a new build of the date may start."
    )
    lost = serializers.BooleanField(
        help_text="Its worker died and it is running again (redelivered or queued again), "
        "not running yet: shown as 'lost, running again' instead of its state."
    )
    created_at = ZonedDateTimeField()
    started_at = ZonedDateTimeField(allow_null=True)
    finished_at = ZonedDateTimeField(allow_null=True)
