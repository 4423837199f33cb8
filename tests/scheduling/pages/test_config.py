"""The leader's configuration pages: rooms and labs, staff, cohorts, day types, the calendar,
absences and settings. A valid change is stored; a refused one shows its message beside the field
at fault and stores nothing; other schools' leaders see 404 and the school's teachers 403."""

import datetime
import html
import re

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from scheduling.models import (
    CalendarDay,
    DayType,
    LabSupervision,
    Room,
    RoomKind,
    SchoolSchedulingSettings,
    StaffAbsence,
    StaffingAssignment,
    StationCode,
    Venue,
)
from students.models import Cohort, Grade, Role, Staff
from tests.conftest import client_for
from tests.factories import GradeFactory, RoomFactory, StaffFactory, StudentFactory

from ..factories import (
    CalendarDayFactory,
    DayTypeFactory,
    LabSupervisionFactory,
    RotationTemplateFactory,
    ScheduledBlockFactory,
    StaffAbsenceFactory,
    StaffingAssignmentFactory,
    TeachingRoomFactory,
    TemplateStationFactory,
)

pytestmark = pytest.mark.django_db


def url(name: str, school, **ids: int) -> str:
    return reverse(name, kwargs={"school_id": school.pk, **ids})


def error_beside(response, field: str) -> str:
    """The error text rendered right beside ``field`` (Django's ``id_<field>_error`` list)."""
    match = re.search(
        rf'<ul class="errorlist" id="id_{re.escape(field)}_error">(.*?)</ul>',
        response.content.decode(),
        re.S,
    )
    assert match, f"no error beside {field}"
    return html.unescape(re.sub(r"<[^>]+>", " ", match.group(1))).strip()


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


# -- access --------------------------------------------------------------------------------------


def config_urls(world) -> list[str]:
    school = world.school
    room = RoomFactory.create(school=school, name="Room 101")
    day_type = DayTypeFactory.create(school=school, name="Regular day")
    return [
        url("rooms", school),
        url("room-edit", school, room_id=room.pk),
        url("staff-list", school),
        url("staff-edit", school, staff_id=world.teacher.pk),
        url("cohorts", school),
        url("cohort-edit", school, cohort_id=world.student.cohort_id),
        url("day-types", school),
        url("day-type-edit", school, day_type_id=day_type.pk),
        url("calendar", school),
        url("absences", school),
        url("school-settings", school),
    ]


def test_every_page_renders_for_the_leader(school_a):
    client = client_for(school_a.leader.user)
    for page in config_urls(school_a):
        response = client.get(page)
        assert response.status_code == 200, page
        assert b"css/config.css" in response.content


def test_a_teacher_of_the_school_is_refused_every_page(school_a):
    client = client_for(school_a.teacher.user)
    for page in config_urls(school_a):
        assert client.get(page).status_code == 403, page
        assert client.post(page, {"name": "Sneaky"}).status_code == 403, page
    assert not Room.objects.filter(name="Sneaky").exists()


def test_a_leader_of_another_school_gets_404_for_its_pages(school_a, school_b):
    client = client_for(school_b.leader.user)
    for page in config_urls(school_a):
        assert client.get(page).status_code == 404, page


def test_another_schools_ids_answer_404_under_the_leaders_own_school(school_a, school_b):
    """Leader of B asks for A's room, staff, cohort, day type and absence through B's pages."""
    client = client_for(school_b.leader.user)
    room = RoomFactory.create(school=school_a.school, name="Room 101")
    day_type = DayTypeFactory.create(school=school_a.school)
    absence = StaffAbsenceFactory.create(school=school_a.school, staff=school_a.teacher)
    own = school_b.school
    for page in [
        url("room-edit", own, room_id=room.pk),
        url("staff-edit", own, staff_id=school_a.teacher.pk),
        url("cohort-edit", own, cohort_id=school_a.student.cohort_id),
        url("day-type-edit", own, day_type_id=day_type.pk),
        url("absences", own) + f"?absence={absence.pk}",
    ]:
        assert client.get(page).status_code == 404, page
        assert client.post(page, {"action": "delete", "absence": absence.pk}).status_code == 404
    assert Room.objects.filter(pk=room.pk).exists()
    assert StaffAbsence.objects.filter(pk=absence.pk).exists()


def test_the_engine_reason_settings_have_pages(school_a):
    """Explanations link ``room:``, ``staff:``, ``staffing:`` and ``school`` to these pages."""
    school = school_a.school
    room = RoomFactory.create(school=school)
    client = client_for(school_a.leader.user)
    cohort_page = client.get(url("cohort-edit", school, cohort_id=school_a.student.cohort_id))
    assert client.get(url("room-edit", school, room_id=room.pk)).status_code == 200
    assert client.get(url("staff-edit", school, staff_id=school_a.teacher.pk)).status_code == 200
    assert 'id="staffing-literacy"' in cohort_page.content.decode()
    assert client.get(url("school-settings", school)).status_code == 200


# -- rooms and labs ------------------------------------------------------------------------------


def test_adding_a_classroom_stores_it(school_a):
    school = school_a.school
    response = client_for(school_a.leader.user).post(
        url("rooms", school),
        {"name": "Room 104", "kind": RoomKind.CLASSROOM, "capacity": "28"},
    )
    assert response.status_code == 302
    room = Room.objects.get(school=school, name="Room 104")
    assert (room.kind, room.capacity, room.homeroom_of) == (RoomKind.CLASSROOM, 28, None)


def test_adding_a_lab_stores_its_grades_and_supervision(school_a):
    school = school_a.school
    ils = StaffFactory.create(school=school, roles=[Role.ILS])
    response = client_for(school_a.leader.user).post(
        url("rooms", school),
        {
            "name": "Upper lab",
            "kind": RoomKind.LEARNING_LAB,
            "capacity": "80",
            "grade_levels": ["3", "4", "5"],
            "supervisors": [str(ils.pk)],
            "students_per_adult": "28",
        },
    )
    assert response.status_code == 302
    lab = Room.objects.get(school=school, name="Upper lab")
    assert sorted(lab.grades.values_list("level", flat=True)) == [3, 4, 5]
    assert set(Grade.objects.filter(school=school).values_list("level", flat=True)) >= {3, 4, 5}
    assert lab.supervision.students_per_adult == 28
    assert list(lab.supervision.supervisors.all()) == [ils]


def test_a_classroom_of_45_seats_is_refused_beside_capacity(school_a):
    school = school_a.school
    response = client_for(school_a.leader.user).post(
        url("rooms", school), {"name": "Room 104", "kind": RoomKind.CLASSROOM, "capacity": "45"}
    )
    assert response.status_code == 200
    assert "more than 40 seats looks like a typo" in error_beside(response, "capacity")
    assert not Room.objects.filter(school=school).exists()


def test_a_lab_without_grades_and_a_classroom_with_supervisors_are_refused(school_a):
    school = school_a.school
    client = client_for(school_a.leader.user)
    lab = client.post(
        url("rooms", school),
        {
            "name": "Lab",
            "kind": RoomKind.LEARNING_LAB,
            "capacity": "80",
            "students_per_adult": "30",
        },
    )
    assert "at least one grade" in error_beside(lab, "grade_levels")
    classroom = client.post(
        url("rooms", school),
        {
            "name": "Room 9",
            "kind": RoomKind.CLASSROOM,
            "capacity": "25",
            "supervisors": [str(school_a.teacher.pk)],
        },
    )
    assert "Only a Learning Lab has supervisors" in error_beside(classroom, "supervisors")
    assert not Room.objects.filter(school=school).exists()


def test_a_duplicate_room_name_and_a_lab_as_homeroom_are_refused_beside_their_fields(school_a):
    school = school_a.school
    RoomFactory.create(school=school, name="Room 101")
    client = client_for(school_a.leader.user)
    duplicate = client.post(
        url("rooms", school), {"name": "room 101", "kind": RoomKind.CLASSROOM, "capacity": "25"}
    )
    assert "already has a room named room 101" in error_beside(duplicate, "name")
    homeroom = client.post(
        url("rooms", school),
        {
            "name": "Lab",
            "kind": RoomKind.LEARNING_LAB,
            "capacity": "80",
            "grade_levels": ["3"],
            "students_per_adult": "30",
            "homeroom_of": str(school_a.student.cohort_id),
        },
    )
    assert "A homeroom is a classroom" in error_beside(homeroom, "homeroom_of")
    assert Room.objects.filter(school=school).count() == 1


def test_another_schools_cohort_cannot_be_chosen_as_homeroom(school_a, school_b):
    response = client_for(school_a.leader.user).post(
        url("rooms", school_a.school),
        {
            "name": "Room 5",
            "kind": RoomKind.CLASSROOM,
            "capacity": "25",
            "homeroom_of": str(school_b.student.cohort_id),
        },
    )
    assert "Select a valid choice" in error_beside(response, "homeroom_of")
    assert not Room.objects.filter(name="Room 5").exists()


def test_editing_a_lab_into_a_classroom_drops_its_supervision(school_a):
    school = school_a.school
    supervision = LabSupervisionFactory.create(school=school, supervisors=[school_a.teacher])
    lab = supervision.lab
    lab.grades.set([GradeFactory.create(school=school, level=2)])
    client = client_for(school_a.leader.user)
    page = client.get(url("room-edit", school, room_id=lab.pk))
    assert page.context["form"].initial["supervisors"] == [school_a.teacher]
    response = client.post(
        url("room-edit", school, room_id=lab.pk),
        {"name": "Room 200", "kind": RoomKind.CLASSROOM, "capacity": "30", "action": "save"},
    )
    assert response.status_code == 302
    lab.refresh_from_db()
    assert (lab.name, lab.kind) == ("Room 200", RoomKind.CLASSROOM)
    assert not lab.grades.exists()
    assert not LabSupervision.objects.filter(pk=supervision.pk).exists()


def test_removing_a_room_a_teacher_teaches_in_shows_a_message(school_a):
    school = school_a.school
    place = TeachingRoomFactory.create(school=school, staff=school_a.teacher)
    client = client_for(school_a.leader.user)
    response = client.post(
        url("room-edit", school, room_id=place.room_id), {"action": "delete"}, follow=True
    )
    assert response.status_code == 200
    assert any("cannot be removed" in m and "teaching room" in m for m in messages_of(response)), (
        messages_of(response)
    )
    assert Room.objects.filter(pk=place.room_id).exists()


def test_removing_a_lab_takes_its_supervision_with_it(school_a):
    school = school_a.school
    supervision = LabSupervisionFactory.create(school=school)
    response = client_for(school_a.leader.user).post(
        url("room-edit", school, room_id=supervision.lab_id), {"action": "delete"}
    )
    assert response.status_code == 302
    assert not Room.objects.filter(pk=supervision.lab_id).exists()
    assert not LabSupervision.objects.filter(pk=supervision.pk).exists()


def test_the_rooms_list_reads_in_a_fixed_number_of_queries(school_a, django_assert_max_num_queries):
    school = school_a.school
    for n in range(4):
        LabSupervisionFactory.create(
            school=school, supervisors=[StaffFactory.create(school=school)]
        )
        RoomFactory.create(school=school, name=f"Room {n}")
    client = client_for(school_a.leader.user)
    with django_assert_max_num_queries(20):
        response = client.get(url("rooms", school))
    assert len(response.context["rooms"]) == 8


# -- staff ---------------------------------------------------------------------------------------


def staff_data(**overrides) -> dict:
    return {
        "username": "mrivera",
        "first_name": "Maria",
        "last_name": "Rivera",
        "email": "mrivera@example.org",
        "roles": [Role.HUMANITIES],
        "work_start": "07:30",
        "work_end": "15:30",
        "action": "save",
        **overrides,
    }


def test_adding_staff_creates_their_account_roles_and_room(school_a):
    school = school_a.school
    room = RoomFactory.create(school=school, name="Room 103")
    response = client_for(school_a.leader.user).post(
        url("staff-list", school),
        staff_data(teaching_room=str(room.pk), grade_levels=["3"]),
    )
    staff = Staff.objects.get(school=school, user__username="mrivera")
    assert response["Location"] == url("staff-edit", school, staff_id=staff.pk)
    assert staff.role_codes == {Role.HUMANITIES}
    assert (staff.work_start, staff.work_end) == (datetime.time(7, 30), datetime.time(15, 30))
    assert staff.teaching_room.room == room
    assert [g.level for g in staff.grades.all()] == [3]
    assert not staff.user.has_usable_password()


def test_staff_hours_ending_before_they_start_are_refused_and_no_account_made(school_a):
    response = client_for(school_a.leader.user).post(
        url("staff-list", school_a.school), staff_data(work_start="15:00", work_end="08:00")
    )
    assert response.status_code == 200
    assert "must end after they start" in error_beside(response, "work_end")
    assert not get_user_model().objects.filter(username="mrivera").exists()


def test_a_taken_username_is_refused_beside_it(school_a):
    taken = school_a.teacher.user.username
    response = client_for(school_a.leader.user).post(
        url("staff-list", school_a.school), staff_data(username=taken.upper())
    )
    assert "That username is taken" in error_beside(response, "username")
    assert Staff.objects.filter(school=school_a.school).count() == 2


def test_staff_hours_off_a_day_types_grid_are_refused_beside_the_field(school_a):
    DayTypeFactory.create(school=school_a.school, granularity_minutes=15)
    response = client_for(school_a.leader.user).post(
        url("staff-list", school_a.school), staff_data(work_start="07:40")
    )
    assert error_beside(response, "work_start") == (
        "7:40 a.m. is not on the schedule's 15-minute grid: use 7:30 a.m. or 7:45 a.m."
    )
    assert not Staff.objects.filter(user__username="mrivera").exists()


def test_editing_staff_changes_roles_hours_and_names(school_a):
    school, teacher = school_a.school, school_a.teacher
    response = client_for(school_a.leader.user).post(
        url("staff-edit", school, staff_id=teacher.pk),
        staff_data(roles=[Role.STEM, Role.TUTOR], first_name="Jo", work_end="14:00", active="on"),
    )
    assert response.status_code == 302
    teacher.refresh_from_db()
    assert teacher.role_codes == {Role.STEM, Role.TUTOR}
    assert teacher.work_end == datetime.time(14, 0)
    assert teacher.user.first_name == "Jo"
    assert teacher.user.username != "mrivera"  # the username is not editable here


def test_a_leader_cannot_drop_their_own_leader_role(school_a):
    leader = school_a.leader
    response = client_for(leader.user).post(
        url("staff-edit", school_a.school, staff_id=leader.pk),
        staff_data(roles=[Role.HUMANITIES], active="on"),
    )
    assert "your own leader role" in error_beside(response, "roles")
    assert leader.role_codes == {Role.LEADER}


def test_assigning_a_station_checks_the_role_the_template_asks_for(school_a):
    school, teacher = school_a.school, school_a.teacher
    cohort = school_a.student.cohort
    template = RotationTemplateFactory.create(school=school, grade=cohort.grade)
    TemplateStationFactory.create(template=template, code=StationCode.MATH, staff_role=Role.STEM)
    client = client_for(school_a.leader.user)
    page = url("staff-edit", school, staff_id=teacher.pk)
    refused = client.post(
        page,
        {"action": "assign", "staffing-station": "math", "staffing-cohorts": [cohort.pk]},
    )
    assert "is not a STEM teacher" in error_beside(refused, "staffing-station")
    assert not StaffingAssignment.objects.exists()
    accepted = client.post(
        page,
        {"action": "assign", "staffing-station": "literacy", "staffing-cohorts": [cohort.pk]},
    )
    assert accepted.status_code == 302
    assignment = StaffingAssignment.objects.get(cohort=cohort, station="literacy")
    assert list(assignment.staff.all()) == [teacher]
    client.post(page, {"action": "unassign", "assignment": assignment.pk})
    assert not StaffingAssignment.objects.filter(pk=assignment.pk).exists()


def test_removing_staff_with_absences_shows_a_message(school_a):
    school, teacher = school_a.school, school_a.teacher
    StaffAbsenceFactory.create(school=school, staff=teacher)
    response = client_for(school_a.leader.user).post(
        url("staff-edit", school, staff_id=teacher.pk), {"action": "delete"}, follow=True
    )
    assert any("Deactivate them instead" in m for m in messages_of(response))
    assert Staff.objects.filter(pk=teacher.pk).exists()


def test_removing_staff_without_history_keeps_their_account(school_a):
    school = school_a.school
    aide = StaffFactory.create(school=school, roles=[Role.TUTOR])
    response = client_for(school_a.leader.user).post(
        url("staff-edit", school, staff_id=aide.pk), {"action": "delete"}
    )
    assert response["Location"] == url("staff-list", school)
    assert not Staff.objects.filter(pk=aide.pk).exists()
    assert get_user_model().objects.filter(pk=aide.user_id).exists()


# -- cohorts -------------------------------------------------------------------------------------


def test_adding_a_cohort_stores_its_grade_and_homeroom(school_a):
    school = school_a.school
    room = RoomFactory.create(school=school, name="Room 7")
    response = client_for(school_a.leader.user).post(
        url("cohorts", school), {"name": "K Howard", "grade_level": "0", "homeroom": room.pk}
    )
    cohort = Cohort.objects.get(school=school, name="K Howard")
    assert response["Location"] == url("cohort-edit", school, cohort_id=cohort.pk)
    assert cohort.grade.level == 0
    room.refresh_from_db()
    assert room.homeroom_of == cohort


def test_a_duplicate_cohort_name_is_refused_beside_it(school_a):
    existing = school_a.student.cohort
    response = client_for(school_a.leader.user).post(
        url("cohorts", school_a.school), {"name": existing.name, "grade_level": "3"}
    )
    assert "already has a cohort named" in error_beside(response, "name")
    assert Cohort.objects.filter(school=school_a.school).count() == 1


def test_editing_a_cohort_sets_who_staffs_each_station(school_a):
    school, cohort = school_a.school, school_a.student.cohort
    stem = StaffFactory.create(school=school, roles=[Role.STEM])
    StaffingAssignmentFactory.create(school=school, cohort=cohort, station="math", staff=[stem])
    response = client_for(school_a.leader.user).post(
        url("cohort-edit", school, cohort_id=cohort.pk),
        {
            "name": "3 Stanford",
            "grade_level": "3",
            "station_literacy": [school_a.teacher.pk],
            "station_math": [],
            "action": "save",
        },
    )
    assert response.status_code == 302
    cohort.refresh_from_db()
    assert cohort.name == "3 Stanford"
    staffing = {a.station: list(a.staff.all()) for a in StaffingAssignment.objects.all()}
    assert staffing == {"literacy": [school_a.teacher]}


def test_staffing_a_station_with_the_wrong_role_is_refused_beside_it(school_a):
    school, cohort = school_a.school, school_a.student.cohort
    template = RotationTemplateFactory.create(school=school, grade=cohort.grade)
    TemplateStationFactory.create(template=template, code="literacy", staff_role=Role.HUMANITIES)
    TemplateStationFactory.create(
        template=template, code="math", staff_role=Role.STEM, venue=Venue.STAFF_ROOM
    )
    response = client_for(school_a.leader.user).post(
        url("cohort-edit", school, cohort_id=cohort.pk),
        {
            "name": "Renamed",
            "grade_level": str(cohort.grade.level),
            "station_math": [school_a.teacher.pk],
        },
    )
    assert "is not a STEM teacher" in error_beside(response, "station_math")
    cohort.refresh_from_db()
    assert cohort.name != "Renamed"
    assert not StaffingAssignment.objects.exists()


def test_a_cohort_follows_one_of_its_students_grades(school_a):
    school, cohort = school_a.school, school_a.student.cohort
    response = client_for(school_a.leader.user).post(
        url("cohort-edit", school, cohort_id=cohort.pk),
        {"name": cohort.name, "grade_level": "4", "action": "save"},
    )
    assert error_beside(response, "grade_level") == (
        f"The students of {cohort} are in grade 3: a cohort follows the rotation template of "
        "one of its students' grades."
    )
    cohort.refresh_from_db()
    assert cohort.grade.level == 3 and not cohort.grade_chosen


def test_a_combination_cohort_shows_its_students_grades_and_follows_the_one_chosen(school_a):
    school, cohort = school_a.school, school_a.student.cohort
    StudentFactory.create(
        school=school, cohort=cohort, grade=GradeFactory.create(school=school, level=4)
    )
    client = client_for(school_a.leader.user)

    listed = client.get(url("cohorts", school)).content.decode()
    response = client.post(
        url("cohort-edit", school, cohort_id=cohort.pk),
        {"name": cohort.name, "grade_level": "4", "action": "save"},
    )

    assert "(a combination class: students in grades 3, 4)" in listed
    assert response.status_code == 302
    cohort.refresh_from_db()
    assert cohort.grade.level == 4 and cohort.grade_chosen
    assert sorted(cohort.students.values_list("grade__level", flat=True)) == [3, 4]


def test_removing_a_cohort_with_students_shows_a_message(school_a):
    school, cohort = school_a.school, school_a.student.cohort
    response = client_for(school_a.leader.user).post(
        url("cohort-edit", school, cohort_id=cohort.pk), {"action": "delete"}, follow=True
    )
    assert messages_of(response) == [f"{cohort} cannot be removed: it is still used by 1 student."]
    assert Cohort.objects.filter(pk=cohort.pk).exists()


def test_removing_an_empty_cohort_takes_its_staffing(school_a):
    school = school_a.school
    assignment = StaffingAssignmentFactory.create(school=school, staff=[school_a.teacher])
    response = client_for(school_a.leader.user).post(
        url("cohort-edit", school, cohort_id=assignment.cohort_id), {"action": "delete"}
    )
    assert response["Location"] == url("cohorts", school)
    assert not Cohort.objects.filter(pk=assignment.cohort_id).exists()


# -- day types -----------------------------------------------------------------------------------


def day_type_data(**overrides) -> dict:
    return {
        "name": "Minimum day",
        "arrival": "07:45",
        "day_start": "08:00",
        "dismissal": "12:30",
        "passing_minutes": "5",
        "granularity_minutes": "5",
        **overrides,
    }


def test_adding_a_day_type_stores_its_bell_times(school_a):
    school = school_a.school
    response = client_for(school_a.leader.user).post(url("day-types", school), day_type_data())
    assert response.status_code == 302
    day_type = DayType.objects.get(school=school)
    assert (day_type.name, day_type.dismissal, day_type.passing_minutes) == (
        "Minimum day",
        datetime.time(12, 30),
        5,
    )


def test_bell_times_out_of_order_or_off_the_grid_are_refused_beside_them(school_a):
    client = client_for(school_a.leader.user)
    early = client.post(url("day-types", school_a.school), day_type_data(dismissal="07:50"))
    assert "must come after the first block" in error_beside(early, "dismissal")
    grid = client.post(url("day-types", school_a.school), day_type_data(granularity_minutes="7"))
    assert "must divide an hour evenly" in error_beside(grid, "granularity_minutes")
    assert not DayType.objects.exists()


def test_editing_a_day_type_changes_it(school_a):
    school = school_a.school
    day_type = DayTypeFactory.create(school=school, name="Regular day")
    response = client_for(school_a.leader.user).post(
        url("day-type-edit", school, day_type_id=day_type.pk),
        day_type_data(name="Regular day", dismissal="15:00", action="save"),
    )
    assert response.status_code == 302
    day_type.refresh_from_db()
    assert day_type.dismissal == datetime.time(15, 0)


def test_removing_a_day_type_the_calendar_uses_shows_a_message(school_a):
    school = school_a.school
    day = CalendarDayFactory.create(school=school)
    response = client_for(school_a.leader.user).post(
        url("day-type-edit", school, day_type_id=day.day_type_id), {"action": "delete"}, follow=True
    )
    assert any("calendar day" in m for m in messages_of(response)), messages_of(response)
    assert DayType.objects.filter(pk=day.day_type_id).exists()


# -- calendar ------------------------------------------------------------------------------------


def test_a_holiday_week_is_set_at_once_on_its_weekdays(school_a):
    school = school_a.school
    regular = DayTypeFactory.create(school=school)
    CalendarDayFactory.create(school=school, date=datetime.date(2026, 11, 23), day_type=regular)
    response = client_for(school_a.leader.user).post(
        url("calendar", school),
        {
            "first": "2026-11-21",
            "last": "2026-11-29",
            "kind": "no_school",
            "note": "Thanksgiving break",
            "weekdays_only": "on",
        },
    )
    assert response["Location"].endswith("?month=2026-11")
    days = CalendarDay.objects.filter(school=school).order_by("date")
    assert [d.date.day for d in days] == [23, 24, 25, 26, 27]
    assert {(d.instructional, d.day_type_id, d.note) for d in days} == {
        (False, None, "Thanksgiving break")
    }


def test_minimum_days_are_marked_by_their_day_type_and_shown_in_the_month(school_a):
    school = school_a.school
    minimum = DayTypeFactory.create(
        school=school, name="Minimum day", dismissal=datetime.time(12, 30)
    )
    client = client_for(school_a.leader.user)
    client.post(
        url("calendar", school),
        {"first": "2026-12-18", "last": "2026-12-18", "kind": "school", "day_type": minimum.pk},
    )
    day = CalendarDay.objects.get(school=school, date=datetime.date(2026, 12, 18))
    assert (day.instructional, day.day_type) == (True, minimum)
    month = client.get(url("calendar", school), {"month": "2026-12"})
    cells = [cell for week in month.context["weeks"] for cell in week if cell.day]
    assert [(c.date.day, c.day.day_type.name) for c in cells] == [(18, "Minimum day")]
    assert "Minimum day" in month.content.decode()


def test_school_days_without_a_day_type_or_a_backwards_range_are_refused(school_a):
    school = school_a.school
    client = client_for(school_a.leader.user)
    no_type = client.post(
        url("calendar", school), {"first": "2026-12-01", "last": "2026-12-04", "kind": "school"}
    )
    assert "needs a day type" in error_beside(no_type, "day_type")
    backwards = client.post(
        url("calendar", school),
        {"first": "2026-12-04", "last": "2026-12-01", "kind": "no_school"},
    )
    assert "comes before the first" in error_beside(backwards, "last")
    assert not CalendarDay.objects.exists()


def test_dates_can_be_taken_out_of_the_calendar(school_a):
    school = school_a.school
    CalendarDayFactory.create(school=school, date=datetime.date(2026, 12, 1))
    other = CalendarDayFactory.create(school=school, date=datetime.date(2026, 12, 8))
    client_for(school_a.leader.user).post(
        url("calendar", school),
        {"first": "2026-12-01", "last": "2026-12-05", "kind": "clear", "weekdays_only": "on"},
    )
    assert list(CalendarDay.objects.filter(school=school)) == [other]


# -- absences ------------------------------------------------------------------------------------


def test_recording_a_part_day_absence_stores_it(school_a):
    school, teacher = school_a.school, school_a.teacher
    response = client_for(school_a.leader.user).post(
        url("absences", school),
        {
            "staff": teacher.pk,
            "date": "2026-11-24",
            "start": "12:00",
            "end": "",
            "reason": "training",
            "action": "save",
        },
    )
    assert response.status_code == 302
    absence = StaffAbsence.objects.get(school=school)
    assert (absence.staff, absence.date, absence.start, absence.end, absence.reason) == (
        teacher,
        datetime.date(2026, 11, 24),
        datetime.time(12, 0),
        None,
        "training",
    )


def test_an_absence_ending_before_it_starts_is_refused_beside_the_end(school_a):
    response = client_for(school_a.leader.user).post(
        url("absences", school_a.school),
        {
            "staff": school_a.teacher.pk,
            "date": "2026-11-24",
            "start": "12:00",
            "end": "09:00",
            "reason": "sick",
        },
    )
    assert "must end after it starts" in error_beside(response, "end")
    assert not StaffAbsence.objects.exists()


def test_another_schools_staff_cannot_be_marked_absent(school_a, school_b):
    response = client_for(school_a.leader.user).post(
        url("absences", school_a.school),
        {"staff": school_b.teacher.pk, "date": "2026-11-24", "reason": "sick"},
    )
    assert "Select a valid choice" in error_beside(response, "staff")
    assert not StaffAbsence.objects.exists()


def test_an_absence_is_edited_and_removed(school_a):
    school = school_a.school
    today = datetime.date.today()  # noqa: DTZ011 (a date in the future of every zone)
    absence = StaffAbsenceFactory.create(
        school=school, staff=school_a.teacher, date=today + datetime.timedelta(days=3)
    )
    client = client_for(school_a.leader.user)
    listed = client.get(url("absences", school))
    assert [a.pk for a in listed.context["absences"]] == [absence.pk]
    editing = client.get(url("absences", school), {"absence": absence.pk})
    assert editing.context["editing"] == absence
    client.post(
        url("absences", school),
        {
            "absence": absence.pk,
            "staff": school_a.teacher.pk,
            "date": absence.date.isoformat(),
            "start": "",
            "end": "10:30",
            "reason": "personal",
            "action": "save",
        },
    )
    absence.refresh_from_db()
    assert (absence.end, absence.reason) == (datetime.time(10, 30), "personal")
    assert StaffAbsence.objects.count() == 1
    client.post(url("absences", school), {"action": "delete", "absence": absence.pk})
    assert not StaffAbsence.objects.exists()


# -- settings ------------------------------------------------------------------------------------


def settings_data(**overrides) -> dict:
    return {
        "prep_minutes": "40",
        "prep_window_start": "10:00",
        "prep_window_end": "14:00",
        "stability_weight": "200",
        "preferences_weight": "10",
        "transitions_weight": "5",
        "lab_balance_weight": "0",
        "compact_staff_weight": "1",
        "solve_seconds": "20",
        "staff_lunch_minutes": "30",
        "staff_lunch_start": "10:45",
        "staff_lunch_end": "13:30",
        "max_teaching_stretch": "150",
        "min_break_minutes": "10",
        "lab_max_changes": "2",
        "tutoring_session_minutes": "20",
        "group_stability_weight": "20",
        **overrides,
    }


def test_saving_settings_stores_prep_and_weights(school_a):
    school = school_a.school
    client = client_for(school_a.leader.user)
    assert client.get(url("school-settings", school)).context["form"].initial["prep_minutes"] == 45
    response = client.post(url("school-settings", school), settings_data())
    assert response.status_code == 302
    saved = SchoolSchedulingSettings.objects.get(school=school)
    assert (saved.prep_minutes, saved.prep_window_end, saved.stability_weight) == (
        40,
        datetime.time(14, 0),
        200,
    )
    assert saved.lab_balance_weight == 0


def test_saving_settings_stores_the_lab_plan_rules(school_a):
    client = client_for(school_a.leader.user)
    response = client.post(
        url("school-settings", school_a.school),
        settings_data(
            lab_max_changes="1",
            tutoring_session_minutes="25",
            adjacent_grade_groups="on",
            group_stability_weight="50",
        ),
    )
    assert response.status_code == 302
    saved = SchoolSchedulingSettings.objects.get(school=school_a.school)
    assert (
        saved.lab_max_changes,
        saved.tutoring_session_minutes,
        saved.adjacent_grade_groups,
        saved.group_stability_weight,
    ) == (1, 25, True, 50)
    refused = client.post(
        url("school-settings", school_a.school),
        settings_data(tutoring_session_minutes="5", lab_max_changes="9"),
    )
    assert refused.status_code == 200
    assert error_beside(refused, "tutoring_session_minutes")
    assert error_beside(refused, "lab_max_changes")
    assert SchoolSchedulingSettings.objects.get(school=school_a.school).lab_max_changes == 1


def test_the_build_time_limit_is_a_school_setting_between_5_and_600_seconds(school_a):
    client = client_for(school_a.leader.user)
    assert (
        client.get(url("school-settings", school_a.school)).context["form"].initial["solve_seconds"]
        == 20
    )

    response = client.post(
        url("school-settings", school_a.school), settings_data(solve_seconds="90")
    )

    assert response.status_code == 302
    assert SchoolSchedulingSettings.objects.get(school=school_a.school).solve_seconds == 90
    refused = client.post(
        url("school-settings", school_a.school), settings_data(solve_seconds="900")
    )
    assert "600" in error_beside(refused, "solve_seconds")


def test_a_half_prep_window_is_refused_beside_its_end(school_a):
    response = client_for(school_a.leader.user).post(
        url("school-settings", school_a.school), settings_data(prep_window_end="")
    )
    assert "Give both ends of the prep window" in error_beside(response, "prep_window_end")
    assert not SchoolSchedulingSettings.objects.exists()


def test_a_prep_window_off_the_grid_is_refused_beside_the_end_at_fault(school_a):
    DayTypeFactory.create(school=school_a.school)
    response = client_for(school_a.leader.user).post(
        url("school-settings", school_a.school), settings_data(prep_window_end="14:02")
    )
    assert error_beside(response, "prep_window_end") == (
        "2:02 p.m. is not on the schedule's 5-minute grid: use 2 p.m. or 2:05 p.m."
    )
    assert not SchoolSchedulingSettings.objects.exists()


def test_a_prep_window_after_dismissal_is_refused_naming_the_day_type(school_a):
    DayTypeFactory.create(school=school_a.school, name="Regular day")
    response = client_for(school_a.leader.user).post(
        url("school-settings", school_a.school),
        settings_data(prep_window_start="15:30", prep_window_end="16:15"),
    )
    assert error_beside(response, "prep_window_start") == (
        "The prep window (Regular day) at 3:30 p.m. is outside the day from 8 a.m. to 3:15 p.m."
    )
    assert not SchoolSchedulingSettings.objects.exists()


def test_saving_settings_stores_the_staff_well_being_rules(school_a):
    client = client_for(school_a.leader.user)
    form = client.get(url("school-settings", school_a.school)).context["form"]
    assert (form.initial["staff_lunch_start"], form.initial["max_teaching_stretch"]) == (
        datetime.time(10, 45),
        150,
    )

    response = client.post(
        url("school-settings", school_a.school),
        settings_data(
            staff_lunch_minutes="40",
            staff_lunch_start="11:00",
            staff_lunch_end="13:00",
            max_teaching_stretch="120",
            min_break_minutes="15",
        ),
    )

    assert response.status_code == 302
    saved = SchoolSchedulingSettings.objects.get(school=school_a.school)
    assert (
        saved.staff_lunch_minutes,
        saved.staff_lunch_start,
        saved.staff_lunch_end,
        saved.max_teaching_stretch,
        saved.min_break_minutes,
    ) == (40, datetime.time(11, 0), datetime.time(13, 0), 120, 15)


def test_a_staff_lunch_window_that_ends_first_is_refused_beside_its_end(school_a):
    response = client_for(school_a.leader.user).post(
        url("school-settings", school_a.school),
        settings_data(staff_lunch_start="13:30", staff_lunch_end="10:45"),
    )
    assert "The staff lunch window must end after it starts" in error_beside(
        response, "staff_lunch_end"
    )
    assert not SchoolSchedulingSettings.objects.exists()


def test_a_staff_lunch_window_shorter_than_lunch_is_refused_beside_its_end(school_a):
    response = client_for(school_a.leader.user).post(
        url("school-settings", school_a.school),
        settings_data(staff_lunch_minutes="45", staff_lunch_start="11:00", staff_lunch_end="11:30"),
    )
    assert error_beside(response, "staff_lunch_end") == (
        "The staff lunch window is 30 minutes long, shorter than the 45-minute staff lunch."
    )
    assert not SchoolSchedulingSettings.objects.exists()


def test_a_staff_lunch_window_off_the_grid_is_refused_beside_the_end_at_fault(school_a):
    DayTypeFactory.create(school=school_a.school)
    response = client_for(school_a.leader.user).post(
        url("school-settings", school_a.school), settings_data(staff_lunch_start="12:02")
    )
    assert error_beside(response, "staff_lunch_start") == (
        "12:02 p.m. is not on the schedule's 5-minute grid: use noon or 12:05 p.m."
    )
    assert not SchoolSchedulingSettings.objects.exists()


def test_an_absence_off_the_grid_of_its_day_is_refused_beside_its_start(school_a):
    CalendarDayFactory.create(school=school_a.school, date=datetime.date(2026, 11, 24))
    response = client_for(school_a.leader.user).post(
        url("absences", school_a.school),
        {
            "staff": school_a.teacher.pk,
            "date": "2026-11-24",
            "start": "12:02",
            "end": "",
            "reason": "training",
            "action": "save",
        },
    )
    assert "12:02 p.m. is not on the schedule's 5-minute grid" in error_beside(response, "start")
    assert not StaffAbsence.objects.exists()


def test_a_room_used_by_a_schedule_cannot_be_removed(school_a):
    school = school_a.school
    room = RoomFactory.create(school=school)
    block = ScheduledBlockFactory.create(schedule__school=school, room=room)
    response = client_for(school_a.leader.user).post(
        url("room-edit", school, room_id=room.pk), {"action": "delete"}, follow=True
    )
    assert any("scheduled block" in m for m in messages_of(response)), messages_of(response)
    assert Room.objects.filter(pk=block.room_id).exists()
