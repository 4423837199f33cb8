"""A leader's configuration of one school: the writes (its reads: ``selectors.configuration``).

Every service is keyword-only, owns its transaction and validates with the models' own
``full_clean()``, so a caller that bypasses the forms (a command, a test, a future API) gets the
same refusals the pages show beside the field at fault. A row that other rows still point at
with ``PROTECT`` is never half-deleted: the service raises ``StillInUse`` naming what uses it.
"""

import datetime
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext, gettext_lazy, ngettext

from students.accounts import account_email_change, account_management
from students.errors import DomainError
from students.models import Cohort, Grade, GradeLevel, Role, School, Staff, StaffRole

from ..models import (
    CalendarDay,
    DayType,
    LabSupervision,
    LabZone,
    Room,
    RoomKind,
    SchoolSchedulingSettings,
    StaffAbsence,
    StaffingAssignment,
    StationCode,
    SubstituteDay,
    TeachingRoom,
    TemplateStation,
)
from ..solver.clock import grade_name

# A leader sets a holiday week or a semester at once; a year is the most one change may touch.
MAX_CALENDAR_RANGE_DAYS = 366


class StillInUse(DomainError):
    """A deletion the database refuses because other rows still point at the object."""

    code = "still-in-use"
    title = gettext_lazy("This is still in use")
    status = 409


# -- helpers -------------------------------------------------------------------------------------


def _in_use_message(
    obj: models.Model, error: models.ProtectedError | models.RestrictedError
) -> str:
    rows = (
        error.protected_objects
        if isinstance(error, models.ProtectedError)
        else error.restricted_objects
    )
    counts = Counter(type(row) for row in rows)
    uses = ", ".join(
        f"{n} {m._meta.verbose_name if n == 1 else m._meta.verbose_name_plural}"
        for m, n in sorted(counts.items(), key=lambda item: str(item[0]._meta.verbose_name))
    )
    return gettext("%(object)s cannot be removed: it is still used by %(uses)s.") % {
        "object": obj,
        "uses": uses,
    }


def _delete(obj: models.Model, *, first: Iterable[models.QuerySet] = ()) -> None:
    """Delete ``obj`` (after the rows in ``first``) in one transaction, or raise StillInUse."""
    try:
        with transaction.atomic():
            for queryset in first:
                queryset.delete()
            obj.delete()
    except (models.ProtectedError, models.RestrictedError) as error:
        raise StillInUse(_in_use_message(obj, error)) from None


def _same_school(school: School, rows: Iterable[models.Model], *, field: str) -> None:
    for row in rows:
        if getattr(row, "school_id", school.pk) != school.pk:
            raise ValidationError(
                {field: gettext("%(row)s belongs to another school.") % {"row": row}}
            )


def grades_for_levels(*, school: School, levels: Iterable[int]) -> list[Grade]:
    """The school's grades of ``levels``, created when the school has none of that level yet."""
    return [
        Grade.objects.get_or_create(school=school, level=level)[0] for level in sorted(set(levels))
    ]


def _required_roles(grade_id: int, station: str) -> dict[str, set[str]]:
    """Roles that teach ``station`` to ``grade_id``, by the name of each day type's template."""
    needed: dict[str, set[str]] = defaultdict(set)
    rows = TemplateStation.objects.filter(template__grade_id=grade_id, code=station).values_list(
        "template__day_type__name", "staff_role"
    )
    for day_type, role in rows:
        if role:
            needed[role].add(day_type)
    return needed


def _qualification_error(staff: Staff, cohort: Cohort, station: str) -> str | None:
    """Why ``staff`` cannot teach ``station`` to ``cohort`` under its grade's templates."""
    roles = staff.role_codes
    for role, day_types in sorted(_required_roles(cohort.grade_id, station).items()):
        if role not in roles:
            return gettext(
                "%(staff)s is not a %(role)s; %(grade)s's %(station)s (%(day_types)s) is taught "
                "by one."
            ) % {
                "staff": staff,
                "role": Role(role).label,
                "grade": grade_name(cohort.grade.level),
                "station": StationCode(station).label,
                "day_types": ", ".join(sorted(day_types)),
            }
    return None


# -- rooms and labs -------------------------------------------------------------------------------


@transaction.atomic
def room_save(
    *,
    school: School,
    room: Room | None = None,
    name: str,
    kind: str,
    capacity: int,
    homeroom_of: Cohort | None = None,
    grade_levels: Sequence[int] = (),
    supervisors: Sequence[Staff] = (),
    students_per_adult: int | None = None,
) -> Room:
    """Create or change a room; a Learning Lab also gets the grades it serves and its
    supervision, which a room that stops being a lab loses."""
    room = room if room is not None else Room(school=school)
    is_lab = kind == RoomKind.LEARNING_LAB
    if not is_lab and (grade_levels or supervisors):
        field = "grade_levels" if grade_levels else "supervisors"
        raise ValidationError(
            {field: gettext("Only a Learning Lab serves grades and has supervisors.")}
        )
    if is_lab and not grade_levels:
        raise ValidationError(
            {"grade_levels": gettext("A Learning Lab serves at least one grade.")}
        )
    _same_school(school, supervisors, field="supervisors")
    room.school = school
    room.name, room.kind, room.capacity, room.homeroom_of = name, kind, capacity, homeroom_of
    room.full_clean()
    room.save()
    room.grades.set(grades_for_levels(school=school, levels=grade_levels) if is_lab else [])
    if not is_lab:
        LabSupervision.objects.filter(lab=room).delete()
        return room
    supervision = LabSupervision.objects.filter(lab=room).first() or LabSupervision(
        school=school, lab=room
    )
    supervision.students_per_adult = students_per_adult or 30
    supervision.full_clean()
    supervision.save()
    supervision.supervisors.set(supervisors)
    return room


def room_delete(*, room: Room) -> None:
    """Remove a room and its lab supervision, unless schedules or teachers still use it."""
    _delete(room, first=[LabSupervision.objects.filter(lab=room)])


def lab_zone_save(
    *, lab: Room, zone: LabZone | None = None, name: str, seats: int, computers: bool
) -> LabZone:
    """Create or change one zone of a Learning Lab (its computers' seats stay within the lab's)."""
    if lab.kind != RoomKind.LEARNING_LAB:
        raise ValidationError({"name": gettext("Only a Learning Lab has zones.")})
    zone = zone if zone is not None else LabZone(lab=lab)
    if zone.lab_id != lab.pk:
        raise ValidationError({"name": gettext("This zone belongs to another lab.")})
    zone.name, zone.seats, zone.computers = name.strip(), seats, computers
    if LabZone.objects.filter(lab=lab, name__iexact=zone.name).exclude(pk=zone.pk).exists():
        raise ValidationError(
            {
                "name": gettext("%(lab)s already has a zone named %(name)s.")
                % {"lab": lab, "name": zone.name}
            }
        )
    zone.full_clean()
    zone.save()
    return zone


def lab_zone_delete(*, zone: LabZone) -> None:
    """Remove a zone, unless a stored lab plan seats students or meets a group there."""
    _delete(zone)


# -- staff ---------------------------------------------------------------------------------------


def _staff_fields(
    *,
    staff: Staff,
    roles: Sequence[str],
    work_start: datetime.time,
    work_end: datetime.time,
    grade_levels: Sequence[int],
    cohorts: Sequence[Cohort],
    teaching_room: Room | None,
) -> None:
    school = staff.school
    if not roles:
        raise ValidationError({"roles": gettext("Give at least one role.")})
    _same_school(school, cohorts, field="cohorts")
    staff.work_start, staff.work_end = work_start, work_end
    staff.full_clean()
    staff.save()
    staff.role_grants.exclude(role__in=roles).delete()
    for role in roles:
        StaffRole.objects.get_or_create(staff=staff, role=role)
    staff.grades.set(grades_for_levels(school=school, levels=grade_levels))
    staff.cohorts.set(cohorts)
    if teaching_room is None:
        TeachingRoom.objects.filter(staff=staff).delete()
        return
    place = TeachingRoom.objects.filter(staff=staff).first() or TeachingRoom(
        school=school, staff=staff
    )
    place.room = teaching_room
    try:
        place.full_clean()
    except ValidationError as error:
        raise ValidationError({"teaching_room": error.messages}) from None
    place.save()


@transaction.atomic
def staff_create(
    *,
    school: School,
    username: str,
    first_name: str,
    last_name: str,
    email: str,
    roles: Sequence[str],
    active: bool = True,
    work_start: datetime.time = datetime.time(7, 45),
    work_end: datetime.time = datetime.time(15, 45),
    grade_levels: Sequence[int] = (),
    cohorts: Sequence[Cohort] = (),
    teaching_room: Room | None = None,
) -> Staff:
    """A new account working at ``school``; it has no password until its owner sets one
    through the password-reset page with ``email``."""
    user_model = get_user_model()
    if user_model.objects.filter(username__iexact=username).exists():
        raise ValidationError({"username": gettext("That username is taken; choose another.")})
    user = user_model(username=username, first_name=first_name, last_name=last_name, email=email)
    user.set_unusable_password()
    user.full_clean(exclude=["password"])
    user.save()
    staff = Staff(school=school, user=user, active=active)
    _staff_fields(
        staff=staff,
        roles=roles,
        work_start=work_start,
        work_end=work_end,
        grade_levels=grade_levels,
        cohorts=cohorts,
        teaching_room=teaching_room,
    )
    return staff


@transaction.atomic
def staff_update(
    *,
    staff: Staff,
    first_name: str,
    last_name: str,
    email: str,
    roles: Sequence[str],
    active: bool,
    work_start: datetime.time,
    work_end: datetime.time,
    grade_levels: Sequence[int] = (),
    cohorts: Sequence[Cohort] = (),
    teaching_room: Room | None = None,
    by: User,
    via: str = "configuration",
) -> Staff:
    """Change a staff member's account names, roles, hours, grades, cohorts and room. A leader
    cannot take away their own leadership or switch themselves off (nobody would be left to
    undo it). The account's names and email change only when ``by`` may manage the account
    (``students.accounts.account_management``: it works at this school alone, or ``by``
    administers its network); an email change is audited and told to the old address."""
    if staff.user_id == by.pk:
        if Role.LEADER not in roles:
            raise ValidationError({"roles": gettext("You cannot remove your own leader role.")})
        if not active:
            raise ValidationError({"active": gettext("You cannot deactivate yourself.")})
    user = staff.user
    wanted = {"first_name": first_name, "last_name": last_name, "email": email}
    changed = [name for name, value in wanted.items() if getattr(user, name) != value]
    if changed:
        management = account_management(account=user, school=staff.school, by=by)
        if not management.editable:
            raise ValidationError({name: management.manager for name in changed})
        old_email = user.email
        for name, value in wanted.items():
            setattr(user, name, value)
        user.full_clean(exclude=["password"])
        user.email = old_email
        account_email_change(
            user=user, new_email=email, by=by, via=via, school=staff.school, save=False
        )
        user.save(update_fields=["first_name", "last_name", "email"])
    staff.active = active
    _staff_fields(
        staff=staff,
        roles=roles,
        work_start=work_start,
        work_end=work_end,
        grade_levels=grade_levels,
        cohorts=cohorts,
        teaching_room=teaching_room,
    )
    return staff


def staff_delete(*, staff: Staff, by: User) -> None:
    """Remove a staff member from the school (their account stays). One with absences or
    scheduled blocks is kept: deactivate them instead."""
    if staff.user_id == by.pk:
        raise StillInUse(gettext("You cannot remove yourself from the school."))
    try:
        _delete(staff)
    except StillInUse as error:
        raise StillInUse(
            gettext("%(refusal)s Deactivate them instead; their history stays.")
            % {"refusal": error}
        ) from None


@transaction.atomic
def staffing_assign(
    *, school: School, staff: Staff, station: str, cohorts: Sequence[Cohort]
) -> list[StaffingAssignment]:
    """Make ``staff`` a candidate to teach ``station`` to each of ``cohorts``."""
    if not cohorts:
        raise ValidationError({"cohorts": gettext("Choose at least one cohort.")})
    _same_school(school, [staff, *cohorts], field="cohorts")
    for cohort in cohorts:
        if message := _qualification_error(staff, cohort, station):
            raise ValidationError({"station": message})
    assignments = []
    for cohort in cohorts:
        assignment, _ = StaffingAssignment.objects.get_or_create(
            school=school, cohort=cohort, station=station
        )
        assignment.staff.add(staff)
        assignments.append(assignment)
    return assignments


@transaction.atomic
def staffing_unassign(*, assignment: StaffingAssignment, staff: Staff) -> None:
    """Take ``staff`` off one assignment; an assignment left without staff goes."""
    assignment.staff.remove(staff)
    if not assignment.staff.exists():
        assignment.delete()


# -- cohorts -------------------------------------------------------------------------------------


@transaction.atomic
def cohort_save(
    *,
    school: School,
    cohort: Cohort | None = None,
    name: str,
    grade_level: int,
    homeroom: Room | None = None,
    staffing: dict[str, Sequence[Staff]] | None = None,
) -> Cohort:
    """Create or change a cohort, its homeroom and (when given) who staffs each station."""
    if homeroom is not None:
        _same_school(school, [homeroom], field="homeroom")
        if homeroom.kind != RoomKind.CLASSROOM:
            raise ValidationError(
                {
                    "homeroom": gettext("A homeroom is a classroom; %(room)s is a %(kind)s.")
                    % {"room": homeroom, "kind": homeroom.kind_label}
                }
            )
        taken = homeroom.homeroom_of_id is not None and (
            cohort is None or homeroom.homeroom_of_id != cohort.pk
        )
        if taken:
            raise ValidationError(
                {
                    "homeroom": gettext("%(room)s is already the homeroom of %(cohort)s.")
                    % {"room": homeroom, "cohort": homeroom.homeroom_of}
                }
            )
    grade = grades_for_levels(school=school, levels=[grade_level])[0]
    if cohort is not None and cohort.pk:
        # Students keep their own grades (a combination homeroom holds several) and the cohort
        # follows one of them: which is the leader's choice, a grade none of them is in a slip.
        held = _students_grades(cohort)
        if held and grade_level not in held:
            raise ValidationError(
                {
                    "grade_level": gettext(
                        "The students of %(cohort)s are in grade %(grades)s: a cohort follows "
                        "the rotation template of one of its students' grades."
                    )
                    % {
                        "cohort": cohort,
                        "grades": ", ".join(GradeLevel(g).label for g in sorted(held)),
                    }
                }
            )
    # A grade chosen here is the leader's: a roster import keeps it (Cohort.grade_chosen).
    chosen = cohort is None or not cohort.pk or cohort.grade_id != grade.pk
    cohort = cohort if cohort is not None else Cohort(school=school)
    cohort.school = school
    cohort.name = name
    cohort.grade = grade
    if chosen:
        cohort.grade_chosen = True
    cohort.full_clean()
    cohort.save()
    others = Room.objects.filter(homeroom_of=cohort)
    if homeroom is not None:
        others = others.exclude(pk=homeroom.pk)
    others.update(homeroom_of=None)
    if homeroom is not None and homeroom.homeroom_of_id != cohort.pk:
        homeroom.homeroom_of = cohort
        homeroom.save(update_fields=["homeroom_of"])
    for station, staff in (staffing or {}).items():
        _cohort_station_set(school=school, cohort=cohort, station=station, staff=staff)
    return cohort


def _cohort_station_set(
    *, school: School, cohort: Cohort, station: str, staff: Sequence[Staff]
) -> None:
    field = f"station_{station}"
    _same_school(school, staff, field=field)
    for member in staff:
        if message := _qualification_error(member, cohort, station):
            raise ValidationError({field: message})
    assignment = StaffingAssignment.objects.filter(cohort=cohort, station=station).first()
    if not staff:
        if assignment is not None:
            assignment.delete()
        return
    if assignment is None:
        assignment = StaffingAssignment.objects.create(
            school=school, cohort=cohort, station=station
        )
    assignment.staff.set(staff)


def _students_grades(cohort: Cohort) -> set[int]:
    """The grades of ``cohort``'s students who have not left."""
    current = Q(enrollment_end__isnull=True) | Q(enrollment_end__gte=timezone.localdate())
    return set(cohort.students.filter(current).values_list("grade__level", flat=True))


def cohort_delete(*, cohort: Cohort) -> None:
    """Remove a cohort and who staffs it, unless students, pins or schedules still use it."""
    _delete(cohort, first=[StaffingAssignment.objects.filter(cohort=cohort)])


# -- day types and the calendar ------------------------------------------------------------------


@transaction.atomic
def day_type_save(
    *,
    school: School,
    day_type: DayType | None = None,
    name: str,
    arrival: datetime.time,
    day_start: datetime.time,
    dismissal: datetime.time,
    passing_minutes: int,
    granularity_minutes: int,
) -> DayType:
    day_type = day_type if day_type is not None else DayType(school=school)
    day_type.school = school
    day_type.name, day_type.arrival = name, arrival
    day_type.day_start, day_type.dismissal = day_start, dismissal
    day_type.passing_minutes, day_type.granularity_minutes = passing_minutes, granularity_minutes
    day_type.full_clean()
    day_type.save()
    return day_type


def day_type_delete(*, day_type: DayType) -> None:
    _delete(day_type)


def _dates(
    first: datetime.date, last: datetime.date, *, weekdays_only: bool
) -> list[datetime.date]:
    if last < first:
        raise ValidationError(
            {
                "last": gettext("The last date comes before the first (%(first)s).")
                % {"first": date_format(first)}
            }
        )
    span = (last - first).days + 1
    if span > MAX_CALENDAR_RANGE_DAYS:
        raise ValidationError(
            {
                "last": ngettext(
                    "One change covers at most %(most)s day; this is %(span)s.",
                    "One change covers at most %(most)s days; this is %(span)s.",
                    MAX_CALENDAR_RANGE_DAYS,
                )
                % {"most": MAX_CALENDAR_RANGE_DAYS, "span": span}
            }
        )
    days = [first + datetime.timedelta(days=n) for n in range(span)]
    return [d for d in days if d.weekday() < 5] if weekdays_only else days


@transaction.atomic
def calendar_days_set(
    *,
    school: School,
    first: datetime.date,
    last: datetime.date,
    instructional: bool,
    day_type: DayType | None,
    note: str = "",
    weekdays_only: bool = True,
) -> int:
    """Mark every date from ``first`` to ``last`` (weekends skipped unless asked) as a school
    day of ``day_type`` or a day without school; returns how many dates changed."""
    dates = _dates(first, last, weekdays_only=weekdays_only)
    probe = CalendarDay(
        school=school, date=first, instructional=instructional, day_type=day_type, note=note
    )
    probe.full_clean(exclude=["date"], validate_unique=False, validate_constraints=False)
    existing = {day.date: day for day in CalendarDay.objects.filter(school=school, date__in=dates)}
    changed = []
    for day in existing.values():
        day.instructional, day.day_type, day.note = instructional, day_type, note
        changed.append(day)
    CalendarDay.objects.bulk_update(changed, ["instructional", "day_type", "note"])
    CalendarDay.objects.bulk_create(
        CalendarDay(
            school=school, date=date, instructional=instructional, day_type=day_type, note=note
        )
        for date in dates
        if date not in existing
    )
    return len(dates)


@transaction.atomic
def calendar_days_clear(
    *, school: School, first: datetime.date, last: datetime.date, weekdays_only: bool = True
) -> int:
    """Take dates out of the calendar (no build runs for a date that is not in it)."""
    dates = _dates(first, last, weekdays_only=weekdays_only)
    deleted, _ = CalendarDay.objects.filter(school=school, date__in=dates).delete()
    return deleted


# -- absences and settings -----------------------------------------------------------------------


@transaction.atomic
def absence_save(
    *,
    school: School,
    absence: StaffAbsence | None = None,
    staff: Staff,
    date: datetime.date,
    start: datetime.time | None,
    end: datetime.time | None,
    reason: str,
) -> StaffAbsence:
    absence = absence if absence is not None else StaffAbsence(school=school)
    absence.school = school
    absence.staff, absence.date, absence.start, absence.end = staff, date, start, end
    absence.reason = reason
    absence.full_clean()
    absence.save()
    return absence


def absence_delete(*, absence: StaffAbsence) -> None:
    _delete(absence)


# -- the substitute pool -------------------------------------------------------------------------


@transaction.atomic
def substitute_day_add(*, school: School, staff: Staff, date: datetime.date) -> SubstituteDay:
    """Make ``staff`` (a substitute of ``school``) available to be called in on ``date``: the
    school's pool that day, and the network's other schools'. Refusals name their field."""
    if staff.school_id != school.pk:
        raise ValidationError(
            {"staff": gettext("%(name)s is not staff of this school.") % {"name": staff}}
        )
    if Role.SUBSTITUTE not in staff.role_codes:
        raise ValidationError(
            {
                "staff": gettext(
                    "%(name)s does not hold the substitute role: add “Substitute teacher” to "
                    "their roles first."
                )
                % {"name": staff}
            }
        )
    if SubstituteDay.objects.filter(staff=staff, date=date).exists():
        raise ValidationError(
            {
                "date": gettext("%(name)s is already available on %(date)s.")
                % {"name": staff, "date": date_format(date)}
            }
        )
    day = SubstituteDay(school=school, staff=staff, date=date)
    day.full_clean()
    day.save()
    return day


def substitute_day_remove(*, day: SubstituteDay) -> None:
    day.delete()


@transaction.atomic
def school_settings_save(
    *,
    school: School,
    prep_minutes: int,
    prep_window_start: datetime.time | None,
    prep_window_end: datetime.time | None,
    stability_weight: int,
    preferences_weight: int,
    transitions_weight: int,
    lab_balance_weight: int,
    compact_staff_weight: int,
    solve_seconds: int | None = None,
    staff_lunch_minutes: int | None = None,
    staff_lunch_start: datetime.time | None = None,
    staff_lunch_end: datetime.time | None = None,
    max_teaching_stretch: int | None = None,
    min_break_minutes: int | None = None,
    lab_max_changes: int | None = None,
    tutoring_session_minutes: int | None = None,
    adjacent_grade_groups: bool | None = None,
    group_stability_weight: int | None = None,
) -> SchoolSchedulingSettings:
    settings = SchoolSchedulingSettings.objects.select_for_update().filter(
        school=school
    ).first() or SchoolSchedulingSettings(school=school)
    settings.prep_minutes = prep_minutes
    settings.prep_window_start, settings.prep_window_end = prep_window_start, prep_window_end
    settings.stability_weight = stability_weight
    settings.preferences_weight = preferences_weight
    settings.transitions_weight = transitions_weight
    settings.lab_balance_weight = lab_balance_weight
    settings.compact_staff_weight = compact_staff_weight
    if solve_seconds is not None:  # how long a leader's build searches before it stops
        settings.solve_seconds = solve_seconds
    # Staff well-being (W1-W3) and the lab-plan rules; a caller that leaves one out keeps what
    # is stored.
    optional = {
        "staff_lunch_minutes": staff_lunch_minutes,
        "staff_lunch_start": staff_lunch_start,
        "staff_lunch_end": staff_lunch_end,
        "max_teaching_stretch": max_teaching_stretch,
        "min_break_minutes": min_break_minutes,
        "lab_max_changes": lab_max_changes,
        "tutoring_session_minutes": tutoring_session_minutes,
        "adjacent_grade_groups": adjacent_grade_groups,
        "group_stability_weight": group_stability_weight,
    }
    for name, value in optional.items():
        if value is not None:
            setattr(settings, name, value)
    settings.full_clean()
    settings.save()
    return settings
