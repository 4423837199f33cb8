"""Each engine reason links to the page where its setting is changed.

The pages belong to other areas, so these tests route them through a small URL configuration of
their own (``urlpatterns`` below): the links are checked exactly, whatever else is registered.
"""

import datetime

import pytest
from django.http import HttpResponse
from django.urls import path

from scheduling.models import StationCode
from scheduling.selectors.explanations import (
    KnownSettings,
    SettingLink,
    explanations_for,
    setting_links,
)
from students.models import GradeLevel

from ..factories import CohortFactory, GradeFactory, RoomFactory, StaffFactory, UserFactory
from .factories import CalendarDayFactory, DayTypeFactory, RotationTemplateFactory


def page(request, **kwargs):
    return HttpResponse()


urlpatterns = [
    path("s/<int:school_id>/rooms/<int:room_id>/", page, name="room-edit"),
    path("s/<int:school_id>/staff/<int:staff_id>/", page, name="staff-edit"),
    path("s/<int:school_id>/cohorts/<int:cohort_id>/", page, name="cohort-edit"),
    path("s/<int:school_id>/templates/", page, name="templates"),
    path("s/<int:school_id>/templates/<int:template_id>/", page, name="template-edit"),
    path("s/<int:school_id>/day/", page, name="schedule-day"),
    path("s/<int:school_id>/settings/", page, name="school-settings"),
]

DATE = datetime.date(2026, 9, 1)
KNOWN = KnownSettings(
    templates={0: 40, 3: 43},
    rooms={12: "Learning Lab"},
    staff={7: "Ms. Rivera", 8: "Mr. Okafor"},
    cohorts={5: "K Howard"},
)


def links(setting: str, known: KnownSettings = KNOWN) -> tuple[SettingLink, ...]:
    return setting_links(setting, school_id=1, date=DATE, known=known)


@pytest.mark.urls(__name__)
def test_a_room_links_to_its_edit_page():
    assert links("room:12") == (SettingLink("Room Learning Lab", "/s/1/rooms/12/"),)


@pytest.mark.urls(__name__)
def test_each_staff_member_of_a_pool_gets_a_link():
    assert links("staff:7,8") == (
        SettingLink("Ms. Rivera", "/s/1/staff/7/"),
        SettingLink("Mr. Okafor", "/s/1/staff/8/"),
    )


@pytest.mark.urls(__name__)
def test_staffing_links_to_the_cohort():
    assert links("staffing:5:math") == (
        SettingLink("Staffing of K Howard (Math / STEM)", "/s/1/cohorts/5/"),
    )


@pytest.mark.urls(__name__)
def test_a_template_links_to_the_grades_template_of_the_day_type():
    assert links("template:0") == (
        SettingLink("The kindergarten rotation template", "/s/1/templates/40/"),
    )


@pytest.mark.urls(__name__)
def test_a_station_links_to_its_anchor_in_the_template():
    assert links("station:3:lab") == (
        SettingLink(
            "Learning Lab in the grade 3 rotation template", "/s/1/templates/43/#station-lab"
        ),
    )


@pytest.mark.urls(__name__)
def test_a_grade_without_a_template_for_the_day_type_links_to_the_templates():
    assert links("station:2:math") == (
        SettingLink("Math / STEM in the grade 2 rotation template", "/s/1/templates/"),
    )


@pytest.mark.urls(__name__)
def test_a_pin_links_to_the_day_of_the_date():
    assert links("pin:5:lab") == (
        SettingLink("Pins of K Howard on Tuesday, September 1, 2026", "/s/1/day/?date=2026-09-01"),
    )


@pytest.mark.urls(__name__)
@pytest.mark.parametrize(
    "setting", ["school", "cohort:5", "room:twelve", "staffing:5", "pin:x:lab", "", "nonsense:1"]
)
def test_the_school_and_anything_else_link_to_the_school_settings(setting):
    assert links(setting) == (SettingLink("School settings", "/s/1/settings/"),)


@pytest.mark.urls(__name__)
def test_unknown_names_fall_back_to_ids():
    assert links("room:99", KnownSettings()) == (SettingLink("Room 99", "/s/1/rooms/99/"),)
    assert links("staff:99", KnownSettings()) == (SettingLink("Staff member 99", "/s/1/staff/99/"),)


@pytest.mark.django_db
@pytest.mark.urls(__name__)
def test_stored_reasons_get_names_and_template_ids_from_the_school(django_assert_num_queries):
    regular = DayTypeFactory(name="Regular day")
    school = regular.school
    minimum = DayTypeFactory(school=school, name="Minimum day")
    CalendarDayFactory(school=school, date=DATE, day_type=regular)
    kinder = GradeFactory(school=school, level=GradeLevel.K)
    template = RotationTemplateFactory(school=school, grade=kinder, day_type=regular)
    RotationTemplateFactory(school=school, grade=kinder, day_type=minimum)  # another day type
    lab = RoomFactory(school=school, name="Lab North")
    rivera = StaffFactory(school=school, user=UserFactory(first_name="Ana", last_name="Rivera"))
    howard = CohortFactory(school=school, name="K Howard")
    other_school_room = RoomFactory(name="Elsewhere")
    reasons = [
        reason("lab-seats", f"room:{lab.pk}"),
        reason("no-staff", f"staffing:{howard.pk}:{StationCode.LITERACY}"),
        reason("staff-minutes-short", f"staff:{rivera.pk}"),
        reason("minutes-do-not-fill-day", "station:0:lab"),
        reason("leak", f"room:{other_school_room.pk}"),
    ]

    with django_assert_num_queries(4):
        explained = explanations_for(reasons, school_id=school.pk, date=DATE)

    s = school.pk
    assert [(e.code, e.message, e.suggestion, e.setting) for e in explained] == [
        (r["code"], r["message"], r["suggestion"], r["setting"]) for r in reasons
    ]
    assert [e.links for e in explained] == [
        (SettingLink("Room Lab North", f"/s/{s}/rooms/{lab.pk}/"),),
        (
            SettingLink(
                "Staffing of K Howard (Literacy / humanities)", f"/s/{s}/cohorts/{howard.pk}/"
            ),
        ),
        (SettingLink("Ana Rivera", f"/s/{s}/staff/{rivera.pk}/"),),
        (
            SettingLink(
                "Learning Lab in the kindergarten rotation template",
                f"/s/{s}/templates/{template.pk}/#station-lab",
            ),
        ),
        # another school's room is never named (its page answers 404 to this school's leader)
        (SettingLink(f"Room {other_school_room.pk}", f"/s/{s}/rooms/{other_school_room.pk}/"),),
    ]


def reason(code: str, setting: str) -> dict[str, str]:
    return {
        "code": code,
        "message": f"{code} happened.",
        "suggestion": "Fix it.",
        "setting": setting,
    }


@pytest.mark.django_db
def test_no_reasons_need_no_queries(django_assert_num_queries):
    with django_assert_num_queries(0):
        assert explanations_for([], school_id=1, date=DATE) == []


@pytest.mark.django_db
@pytest.mark.urls(__name__)
def test_an_absence_and_a_time_limit_are_said_again_in_the_readers_language():
    school = DayTypeFactory().school
    rivera = StaffFactory(school=school, user=UserFactory(first_name="Ana", last_name="Rivera"))
    okafor = StaffFactory(school=school, user=UserFactory(first_name="Ben", last_name="Okafor"))
    absent = {
        "code": "staff-absent",
        "message": "Ana Rivera is out on Tuesday 2026-09-01, and nobody present can take ...",
        "suggestion": "Add a substitute for Ana Rivera on that day, ...",
        "setting": f"staff:{rivera.pk},{okafor.pk}",
        "detail": [["literacy", 2], ["math", 1]],
    }
    stopped = {**reason("time-limit", "school"), "detail": [["seconds", 20]]}
    by_work = {**reason("time-limit", "school"), "detail": [["work", 5]]}

    absence, timed, worked = explanations_for(
        [absent, stopped, by_work], school_id=school.pk, date=DATE
    )

    assert absence.message == (
        "Ana Rivera and Ben Okafor are out on Tuesday, September 1, 2026, and nobody present can "
        "take Literacy / humanities for 2 cohorts and Math / STEM for 1 cohort."
    )
    assert absence.suggestion.startswith(
        "Add a substitute for Ana Rivera and Ben Okafor on Tuesday, September 1, 2026"
    )
    assert [link.label for link in absence.links] == ["Ana Rivera", "Ben Okafor"]
    assert timed.message == (
        "The engine stopped after 20 s without finding a day; this does not mean none exists."
    )
    assert "120" not in worked.message and "stopped at its limit" in worked.message
    assert (
        timed.suggestion
        == worked.suggestion
        == ("Try for longer: build again with a longer time limit.")
    )
