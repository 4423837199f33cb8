"""The rotation template pages: the list, the station editor with its live checks, and creating a
template (empty or copied)."""

import datetime
import re
from html import unescape

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from scheduling.forms.rotation_templates import stored_station_data
from scheduling.models import RotationTemplate, TemplateStation, Venue
from scheduling.services.templates import (
    STATION_FIELDS,
    StationInput,
    TemplateInvalid,
    template_save,
    templates_for_school,
)
from students.models import Grade, GradeLevel, Role
from tests.browser.conftest import check_page, page  # noqa: F401 (the browser fixture)
from tests.conftest import client_for
from tests.factories import PASSWORD, GradeFactory
from tests.scheduling.factories import (
    DayTypeFactory,
    RotationTemplateFactory,
    TemplateStationFactory,
)

pytestmark = pytest.mark.django_db
T = datetime.time


def kindergarten_template(school, *, name: str = "Regular day") -> RotationTemplate:
    """Kindergarten on a two-hour day (8:00-10:00, no passing time): literacy 60 in one or two
    blocks of 30-60, the lab 40 in one block, lunch 20 inside 9:30-10:00."""
    day_type = DayTypeFactory.create(
        school=school, name=name, day_start=T(8, 0), dismissal=T(10, 0), passing_minutes=0
    )
    grade = GradeFactory.create(school=school, level=GradeLevel.K)
    template = RotationTemplateFactory.create(school=school, grade=grade, day_type=day_type)
    TemplateStationFactory.create(
        template=template,
        code="literacy",
        minutes=60,
        block_min=30,
        block_max=60,
        max_blocks=2,
        venue=Venue.STAFF_ROOM,
        staff_role=Role.HUMANITIES,
        preferred_start=T(8, 0),
        preferred_end=T(9, 0),
    )
    TemplateStationFactory.create(
        template=template,
        code="lab",
        minutes=40,
        block_min=40,
        block_max=40,
        max_blocks=1,
        venue=Venue.LAB,
        staff_role="",
    )
    TemplateStationFactory.create(
        template=template,
        code="lunch",
        minutes=20,
        block_min=20,
        block_max=20,
        max_blocks=1,
        venue=Venue.CAFETERIA,
        staff_role="",
        window_start=T(9, 30),
        window_end=T(10, 0),
    )
    return template


def stored(template: RotationTemplate) -> list[tuple]:
    return list(
        TemplateStation.objects.filter(template=template)
        .order_by("code")
        .values_list("id", *STATION_FIELDS)
    )


def posted(template: RotationTemplate, **changes: str) -> dict[str, str]:
    """The editor's form as the page sends it, with ``changes`` by field name
    (``{"stations-0-minutes": "50"}``)."""
    # Each field's one posted value (a QueryDict's items() gives the last of each).
    data = {key: str(value) for key, value in stored_station_data(template).items()}
    data.update(changes)
    return data


def row_of(template: RotationTemplate, code: str) -> int:
    """The row index of ``code`` in the editor (the day's usual station order)."""
    data = stored_station_data(template)
    return next(
        int(key.split("-")[1])
        for key, value in data.items()
        if key.endswith("-code") and value == code
    )


def slot(html: str, element_id: str) -> str:
    """The text inside the error slot ``element_id`` (empty when the slot is empty)."""
    match = re.search(rf'<div[^>]*id="{re.escape(element_id)}"[^>]*>(.*?)</div>', html, re.S)
    assert match, f"no slot {element_id}"
    return unescape(re.sub(r"<[^>]+>", " ", match.group(1))).strip()


def urls(template: RotationTemplate) -> dict[str, str]:
    kwargs = {"school_id": template.school_id, "template_id": template.pk}
    return {
        "list": reverse("templates", kwargs={"school_id": template.school_id}),
        "edit": reverse("template-edit", kwargs=kwargs),
        "validate": reverse("template-validate", kwargs=kwargs),
    }


# The list


def test_the_list_shows_each_template_with_its_minutes_against_the_day(school_a):
    ready = kindergarten_template(school_a.school)
    short = RotationTemplateFactory.create(
        school=school_a.school,
        grade=GradeFactory.create(school=school_a.school, level=GradeLevel.FIRST),
        day_type=ready.day_type,
    )
    TemplateStationFactory.create(template=short, code="literacy", minutes=90, block_max=90)
    long = RotationTemplateFactory.create(
        school=school_a.school,
        grade=GradeFactory.create(school=school_a.school, level=GradeLevel.SECOND),
        day_type=ready.day_type,
    )
    TemplateStationFactory.create(template=long, code="literacy", minutes=130, block_max=130)

    response = client_for(school_a.leader.user).get(urls(ready)["list"])

    assert response.status_code == 200
    html = response.content.decode()
    assert urls(ready)["edit"] in html and urls(short)["edit"] in html
    ready_row = html[html.index(f'id="template-{ready.pk}"') :]
    ready_row = ready_row[: ready_row.index("</tr>")]
    assert "120 of 120" in ready_row and "Ready" in ready_row
    short_row = html[html.index(f'id="template-{short.pk}"') :]
    short_row = short_row[: short_row.index("</tr>")]
    assert "90 of 120" in short_row and "30 left" in short_row
    assert "Needs attention" in short_row
    assert "grade 1&#x27;s stations add up to 90 minutes" in short_row.lower()
    long_row = html[html.index(f'id="template-{long.pk}"') :]
    long_row = long_row[: long_row.index("</tr>")]
    assert "130 of 120" in long_row and "10 too many" in long_row
    assert "literacy&#x27;s 130 minutes cannot fit the day" in long_row


# The editor


def test_the_editor_shows_every_station_with_an_anchor_and_no_problems(school_a):
    template = kindergarten_template(school_a.school)

    response = client_for(school_a.leader.user).get(urls(template)["edit"])

    assert response.status_code == 200
    html = response.content.decode()
    for code in ("literacy", "lab", "lunch"):
        assert f'id="station-{code}"' in html
    lunch = row_of(template, "lunch")
    assert f'name="stations-{lunch}-window_start" value="09:30"' in html
    assert "120 of 120 minutes" in html and "No problems found" in html
    # Every control is labelled.
    controls = re.findall(r"<(?:input|select)[^>]*>", html)
    visible = [c for c in controls if 'type="hidden"' not in c and "id_stations-" in c]
    assert len(visible) == 3 * (len(STATION_FIELDS) + 1)
    for control in visible:
        field_id = re.search(r'\bid="([^"]+)"', control).group(1)
        assert f'for="{field_id}"' in html, field_id


def test_the_editor_opens_with_the_stored_problems_beside_their_fields(school_a):
    """An engine explanation links here; the leader lands on the fault, already marked."""
    template = kindergarten_template(school_a.school)
    TemplateStation.objects.filter(template=template, code="lunch").update(
        window_start=T(9, 50), window_end=T(10, 30)
    )

    html = client_for(school_a.leader.user).get(urls(template)["edit"]).content.decode()

    lunch = row_of(template, "lunch")
    assert "outside the day (8 a.m. to 10 a.m.)" in slot(
        html, f"id_stations-{lunch}-window_end-error"
    )
    assert "1 problem to fix before saving" in html


def test_a_valid_save_stores_every_row(school_a):
    template = kindergarten_template(school_a.school)
    literacy, lab, lunch = (row_of(template, c) for c in ("literacy", "lab", "lunch"))
    data = posted(
        template,
        **{
            f"stations-{literacy}-minutes": "50",
            f"stations-{literacy}-block_min": "25",
            f"stations-{literacy}-block_max": "50",
            f"stations-{literacy}-avoid_right_after": "lunch",
            f"stations-{lab}-minutes": "50",
            f"stations-{lab}-block_min": "50",
            f"stations-{lab}-block_max": "50",
            f"stations-{lunch}-window_start": "09:20",
            f"stations-{lunch}-window_end": "09:50",
            "action": "save",
        },
    )

    client = client_for(school_a.leader.user)
    response = client.post(urls(template)["edit"], data)

    assert response.status_code == 302 and response["Location"] == urls(template)["edit"]
    rows = {row.code: row for row in template.stations.all()}
    assert set(rows) == {"literacy", "lab", "lunch"}
    assert (rows["literacy"].minutes, rows["literacy"].block_min, rows["literacy"].block_max) == (
        50,
        25,
        50,
    )
    assert rows["literacy"].avoid_right_after == "lunch"
    assert rows["literacy"].preferred_start == T(8, 0)
    assert (rows["lab"].minutes, rows["lab"].block_min, rows["lab"].block_max) == (50, 50, 50)
    assert (rows["lunch"].window_start, rows["lunch"].window_end) == (T(9, 20), T(9, 50))
    follow = client.get(urls(template)["edit"])
    assert "Saved the stations of kindergarten, Regular day." in follow.content.decode()


def test_an_invalid_row_is_shown_beside_its_field_and_nothing_is_saved(school_a):
    template = kindergarten_template(school_a.school)
    before = stored(template)
    literacy, lab, lunch = (row_of(template, c) for c in ("literacy", "lab", "lunch"))
    data = posted(
        template,
        **{
            # Valid changes to two rows ...
            f"stations-{literacy}-minutes": "50",
            f"stations-{lab}-minutes": "50",
            f"stations-{lab}-block_min": "50",
            f"stations-{lab}-block_max": "50",
            # ... and a lunch window shorter than lunch.
            f"stations-{lunch}-window_start": "09:30",
            f"stations-{lunch}-window_end": "09:45",
            "action": "save",
        },
    )

    response = client_for(school_a.leader.user).post(urls(template)["edit"], data)

    assert response.status_code == 200
    html = response.content.decode()
    assert slot(html, f"id_stations-{lunch}-window_end-error") == (
        "the lunch window 9:30 a.m.-9:45 a.m. is shorter than lunch's 20 minutes."
    )
    assert slot(html, f"id_stations-{lunch}-minutes-error") == ""
    assert slot(html, f"id_stations-{literacy}-minutes-error") == ""
    # The leader's typing is kept in the page ...
    assert f'name="stations-{literacy}-minutes" value="50"' in html
    # ... and nothing changed, not even the valid rows.
    assert stored(template) == before


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        (
            {"minutes": "300"},
            "minutes",
            "literacy's 300 minutes cannot fit the day from 8 a.m. to 10 a.m. (120 minutes).",
        ),
        (
            {"minutes": "65", "block_min": "30", "block_max": "40", "block_step": "10"},
            "minutes",
            "literacy needs 65 minutes, which cannot be made of at most 2 blocks of 30-40 "
            "minutes in steps of 10.",
        ),
        (
            {"block_min": "50", "block_max": "40"},
            "block_max",
            "literacy's longest block (40 minutes) is shorter than its shortest (50 minutes).",
        ),
        (
            {"window_start": "07:30", "window_end": "09:00"},
            "window_start",
            "the literacy window 7:30 a.m.-9 a.m. would put a block outside the day (8 a.m. to "
            "10 a.m.).",
        ),
        (
            {"window_start": "09:00", "window_end": ""},
            "window_end",
            "Give both ends of literacy's window, or neither.",
        ),
        (
            {"window_start": "09:02", "window_end": "09:50"},
            "window_start",
            "9:02 a.m. is not on the schedule's 5-minute grid: use 9 a.m. or 9:05 a.m.",
        ),
        (
            {"preferred_start": "08:30", "preferred_end": "09:33"},
            "preferred_end",
            "9:33 a.m. is not on the schedule's 5-minute grid: use 9:30 a.m. or 9:35 a.m.",
        ),
        (
            {"preferred_start": "09:00", "preferred_end": "10:30"},
            "preferred_end",
            "literacy's preferred time ends at 10:30 a.m., after dismissal (10 a.m.).",
        ),
        ({"staff_role": ""}, "staff_role", None),
        ({"code": "lab"}, "code", "lab is also station"),
        ({"avoid_right_after": "math"}, "avoid_right_after", "math is not a station"),
    ],
)
def test_each_check_names_the_field_at_fault(school_a, changes, field, message):
    template = kindergarten_template(school_a.school)
    before = stored(template)
    row = row_of(template, "literacy")
    data = posted(template, **{f"stations-{row}-{k}": v for k, v in changes.items()})

    html = client_for(school_a.leader.user).post(urls(template)["edit"], data).content.decode()

    text = slot(html, f"id_stations-{row}-{field}-error")
    assert text, f"no error beside {field}"
    if message:
        assert message in text
    assert stored(template) == before


def test_stations_that_do_not_fill_the_day_are_refused_as_a_whole(school_a):
    template = kindergarten_template(school_a.school)
    before = stored(template)
    lab = row_of(template, "lab")
    data = posted(template, **{f"stations-{lab}-DELETE": "on", "action": "save"})

    html = client_for(school_a.leader.user).post(urls(template)["edit"], data).content.decode()

    assert (
        "Kindergarten's stations add up to 80 minutes but the day from 8 a.m. to 10 a.m. is 120 "
        "minutes." in unescape(html)
    )
    assert "80 of 120 minutes" in html
    assert stored(template) == before


def test_the_live_check_answers_errors_for_a_half_typed_form_without_saving(school_a):
    template = kindergarten_template(school_a.school)
    before = stored(template)
    literacy = row_of(template, "literacy")
    data = posted(
        template,
        **{
            "stations-TOTAL_FORMS": "4",
            # A new row, half typed: a station and an impossible shortest block, no minutes yet.
            "stations-3-code": "math",
            "stations-3-block_min": "400",
            "stations-3-block_step": "5",
            "stations-3-max_blocks": "1",
            "stations-3-venue": "homeroom",
            # Literacy mid-edit: "3" on the way to "30".
            f"stations-{literacy}-minutes": "3",
        },
    )

    response = client_for(school_a.leader.user).post(
        urls(template)["validate"], data, headers={"HX-Request": "true"}
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert slot(html, "id_stations-3-minutes-error") == "This field is required."
    assert "A block of 400 minutes cannot fit the day" in slot(
        html, "id_stations-3-block_min-error"
    )
    assert "Ensure this value is greater than or equal to 5." in slot(
        html, f"id_stations-{literacy}-minutes-error"
    )
    assert slot(html, "id_stations-3-code-error") == ""
    # Every slot is swapped out of band; the target region gets the summary.
    assert html.count('hx-swap-oob="true"') == 4 * (len(STATION_FIELDS) + 1)
    assert "problems to fix before saving" in html
    # No control comes back, so the field being typed in keeps its value and focus.
    assert "<input" not in html and "<select" not in html
    assert stored(template) == before


def test_the_live_check_clears_an_error_once_it_is_fixed(school_a):
    template = kindergarten_template(school_a.school)
    literacy = row_of(template, "literacy")
    client = client_for(school_a.leader.user)

    broken = client.post(
        urls(template)["validate"], posted(template, **{f"stations-{literacy}-minutes": "61"})
    ).content.decode()
    fixed = client.post(
        urls(template)["validate"], posted(template, **{f"stations-{literacy}-minutes": "60"})
    ).content.decode()

    assert "61 minutes plus" not in broken  # no passing time on this day
    assert "add up to 121 minutes" in unescape(broken)
    assert "No problems found" in fixed and "add up to" not in fixed
    assert slot(fixed, f"id_stations-{literacy}-minutes-error") == ""


def test_the_editor_posts_its_live_check_into_the_summary_only(school_a):
    template = kindergarten_template(school_a.school)

    html = client_for(school_a.leader.user).get(urls(template)["edit"]).content.decode()

    form = re.search(r"<form[^>]*class=\"template-form\"[^>]*>", html, re.S).group(0)
    assert f'hx-post="{urls(template)["validate"]}"' in form
    assert 'hx-target="#template-check"' in form and 'hx-trigger="input delay:400ms"' in form
    check = html[html.index('id="template-check"') :]
    check = check[: check.index("</div>")]
    assert "<input" not in check and "<select" not in check
    # Each control points at its error slot for screen readers.
    assert 'aria-describedby="id_stations-0-minutes-error"' in html


def test_adding_a_row_keeps_what_was_typed_and_saves_nothing(school_a):
    template = kindergarten_template(school_a.school)
    before = stored(template)
    literacy = row_of(template, "literacy")
    data = posted(template, **{f"stations-{literacy}-minutes": "40", "action": "add"})

    response = client_for(school_a.leader.user).post(urls(template)["edit"], data)

    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="stations-TOTAL_FORMS" value="4"' in html
    assert 'id="station-row-3"' in html
    assert re.search(r'<select name="stations-3-code"[^>]*autofocus', html)
    assert f'name="stations-{literacy}-minutes" value="40"' in html
    assert slot(html, "id_stations-3-code-error") == ""  # an untouched new row is not an error
    assert stored(template) == before


def test_a_new_row_is_saved_with_the_others(school_a):
    template = kindergarten_template(school_a.school)
    literacy = row_of(template, "literacy")
    data = posted(
        template,
        **{
            "stations-TOTAL_FORMS": "4",
            f"stations-{literacy}-minutes": "40",
            "stations-3-code": "flex",
            "stations-3-minutes": "20",
            "stations-3-block_min": "20",
            "stations-3-block_max": "20",
            "stations-3-block_step": "5",
            "stations-3-max_blocks": "1",
            "stations-3-venue": "homeroom",
            "action": "save",
        },
    )

    response = client_for(school_a.leader.user).post(urls(template)["edit"], data)

    assert response.status_code == 302
    assert dict(template.stations.values_list("code", "minutes")) == {
        "literacy": 40,
        "lab": 40,
        "lunch": 20,
        "flex": 20,
    }


def test_removing_a_row_deletes_it_on_save(school_a):
    template = kindergarten_template(school_a.school)
    literacy, lab = row_of(template, "literacy"), row_of(template, "lab")
    data = posted(
        template,
        **{
            f"stations-{lab}-DELETE": "on",
            # A removed row's own errors no longer count.
            f"stations-{lab}-block_max": "5",
            f"stations-{literacy}-minutes": "100",
            f"stations-{literacy}-block_max": "50",
            "action": "save",
        },
    )

    response = client_for(school_a.leader.user).post(urls(template)["edit"], data)

    assert response.status_code == 302
    assert dict(template.stations.values_list("code", "minutes")) == {"literacy": 100, "lunch": 20}


def test_two_stations_can_swap_codes_in_one_save(school_a):
    template = kindergarten_template(school_a.school)
    rows = {s.code: s for s in template.stations.all()}
    entries = [
        StationInput(
            id=s.pk,
            **{n: getattr(s, n) for n in STATION_FIELDS if n not in ("code", "venue")},
            code=code,
            venue=venue,
        )
        for s, code, venue in [
            (rows["literacy"], "literacy", Venue.STAFF_ROOM),
            (rows["lab"], "flex", Venue.HOMEROOM),
            (rows["lunch"], "lunch", Venue.CAFETERIA),
        ]
    ]

    template_save(template=template, stations=entries)

    assert dict(template.stations.values_list("pk", "code")) == {
        rows["literacy"].pk: "literacy",
        rows["lab"].pk: "flex",
        rows["lunch"].pk: "lunch",
    }


def test_the_service_refuses_a_template_that_does_not_fill_the_day(school_a):
    template = kindergarten_template(school_a.school)
    before = stored(template)
    literacy = template.stations.get(code="literacy")

    with pytest.raises(TemplateInvalid) as refused:
        template_save(
            template=template,
            stations=[
                StationInput(id=literacy.pk, **{n: getattr(literacy, n) for n in STATION_FIELDS})
            ],
        )

    assert refused.value.general == [
        "Kindergarten's stations add up to 60 minutes but the day from 8 a.m. to 10 a.m. is 120 "
        "minutes."
    ]
    assert stored(template) == before


# Creating a template


def test_a_leader_creates_an_empty_template_for_a_grade_and_day_type(school_a):
    day_type = DayTypeFactory.create(school=school_a.school, name="Minimum day")
    url = reverse("templates", kwargs={"school_id": school_a.school.pk})

    response = client_for(school_a.leader.user).post(
        url, {"grade": "2", "day_type": str(day_type.pk), "copy_from": ""}
    )

    created = RotationTemplate.objects.get(school=school_a.school, day_type=day_type)
    assert created.grade.level == 2 and created.stations.count() == 0
    assert response.status_code == 302
    assert response["Location"] == urls(created)["edit"]
    html = client_for(school_a.leader.user).get(urls(created)["edit"]).content.decode()
    assert "Add at least one station" in html


def test_a_leader_creates_a_template_by_copying_another_grade(school_a):
    source = kindergarten_template(school_a.school)
    url = reverse("templates", kwargs={"school_id": school_a.school.pk})

    response = client_for(school_a.leader.user).post(
        url, {"grade": "1", "day_type": str(source.day_type.pk), "copy_from": str(source.pk)}
    )

    assert response.status_code == 302
    copy = RotationTemplate.objects.get(grade__level=1, day_type=source.day_type)
    assert [row[1:] for row in stored(copy)] == [row[1:] for row in stored(source)]
    assert {row[0] for row in stored(copy)}.isdisjoint({row[0] for row in stored(source)})


def test_a_second_template_for_the_same_grade_and_day_is_refused_beside_the_grade(school_a):
    template = kindergarten_template(school_a.school)
    url = reverse("templates", kwargs={"school_id": school_a.school.pk})

    response = client_for(school_a.leader.user).post(
        url, {"grade": "0", "day_type": str(template.day_type.pk), "copy_from": ""}
    )

    assert response.status_code == 200
    html = unescape(response.content.decode())
    assert "Kindergarten already has a Regular day template; edit that one." in html
    assert RotationTemplate.objects.filter(school=school_a.school).count() == 1


def test_another_schools_day_type_or_template_cannot_be_used_to_create(school_a, school_b):
    mine = DayTypeFactory.create(school=school_a.school, name="Regular day")
    theirs = kindergarten_template(school_b.school)
    url = reverse("templates", kwargs={"school_id": school_a.school.pk})
    client = client_for(school_a.leader.user)

    by_day = client.post(url, {"grade": "1", "day_type": str(theirs.day_type.pk)})
    by_copy = client.post(
        url, {"grade": "1", "day_type": str(mine.pk), "copy_from": str(theirs.pk)}
    )

    assert by_day.status_code == 200 and by_copy.status_code == 200
    assert "Select a valid choice" in by_day.content.decode()
    assert "Select a valid choice" in by_copy.content.decode()
    assert not RotationTemplate.objects.filter(school=school_a.school).exists()
    assert not Grade.objects.filter(school=school_a.school, level=1).exists()


# Who may


def test_a_teacher_of_the_school_is_refused(school_a):
    template = kindergarten_template(school_a.school)
    before = stored(template)
    client = client_for(school_a.teacher.user)

    assert client.get(urls(template)["list"]).status_code == 403
    assert client.get(urls(template)["edit"]).status_code == 403
    assert client.post(urls(template)["edit"], posted(template)).status_code == 403
    assert client.post(urls(template)["validate"], posted(template)).status_code == 403
    assert stored(template) == before


def test_a_leader_of_another_school_gets_404(school_a, school_b):
    template = kindergarten_template(school_a.school)
    before = stored(template)
    lab = row_of(template, "lab")
    client = client_for(school_b.leader.user)

    assert client.get(urls(template)["list"]).status_code == 404
    assert client.get(urls(template)["edit"]).status_code == 404
    assert client.post(urls(template)["validate"], posted(template)).status_code == 404
    assert (
        client.post(
            urls(template)["edit"], posted(template, **{f"stations-{lab}-DELETE": "on"})
        ).status_code
        == 404
    )
    assert client.post(urls(template)["list"], {"grade": "1"}).status_code == 404
    assert stored(template) == before


def test_another_schools_template_id_under_ones_own_school_gets_404(school_a, school_b):
    theirs = kindergarten_template(school_b.school)
    before = stored(theirs)
    kwargs = {"school_id": school_a.school.pk, "template_id": theirs.pk}
    client = client_for(school_a.leader.user)

    assert client.get(reverse("template-edit", kwargs=kwargs)).status_code == 404
    assert client.post(reverse("template-edit", kwargs=kwargs), posted(theirs)).status_code == 404
    assert (
        client.post(reverse("template-validate", kwargs=kwargs), posted(theirs)).status_code == 404
    )
    assert stored(theirs) == before


def test_a_forged_station_id_of_another_template_changes_nothing(school_a, school_b):
    mine = kindergarten_template(school_a.school)
    theirs = kindergarten_template(school_b.school)
    before_mine, before_theirs = stored(mine), stored(theirs)
    their_lab = theirs.stations.get(code="lab")
    lab = row_of(mine, "lab")
    data = posted(
        mine, **{f"stations-{lab}-id": str(their_lab.pk), f"stations-{lab}-minutes": "40"}
    )

    response = client_for(school_a.leader.user).post(urls(mine)["edit"], data)

    assert response.status_code == 200
    assert "not one of this template's stations" in unescape(response.content.decode())
    assert stored(mine) == before_mine and stored(theirs) == before_theirs


def test_the_list_reads_the_templates_in_two_queries(school_a, django_assert_num_queries):
    kindergarten_template(school_a.school)
    other = RotationTemplateFactory.create(
        school=school_a.school,
        grade=GradeFactory.create(school=school_a.school, level=GradeLevel.FIRST),
        day_type=DayTypeFactory.create(school=school_a.school, name="Minimum day"),
    )
    TemplateStationFactory.create(template=other)

    with django_assert_num_queries(2):
        summaries = templates_for_school(school=school_a.school)

    assert [(s.template.grade.level, s.total_minutes) for s in summaries] == [(1, 120), (0, 120)]


# In a browser: the live check never takes the field from under the leader's fingers.


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_typing_keeps_the_value_and_focus_while_errors_appear_beside_it(
    live_server,
    page,  # noqa: F811 (the browser fixture, imported above)
    school_a,
):
    template = kindergarten_template(school_a.school)
    literacy = row_of(template, "literacy")
    minutes = f"#id_stations-{literacy}-minutes"
    page.goto(f"{live_server.url}{urls(template)['edit']}")
    page.fill("#id_username", school_a.leader.user.username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("h1:has-text('Kindergarten, Regular day')")
    check_page(page, "rotation-template-editor")

    page.fill(minutes, "")
    page.locator(minutes).press_sequentially("6")
    page.wait_for_selector(f"{minutes}-error li")  # "6" is less than the 5-minute steps allow
    page.locator(minutes).press_sequentially("1", delay=50)
    page.wait_for_selector("#template-check :text('add up to 121 minutes')")

    assert page.input_value(minutes) == "61"
    assert page.evaluate("document.activeElement.id") == minutes[1:]
    assert page.get_attribute(minutes, "aria-invalid") == "true"
    assert "cannot be made of at most 2 blocks" in page.inner_text(f"{minutes}-error")
    check_page(page, "rotation-template-editor-errors")
    page.focus(minutes)

    page.keyboard.press("Backspace")
    page.keyboard.press("0")
    page.wait_for_selector("#template-check :text('No problems found')")
    assert page.inner_text(f"{minutes}-error") == ""
    assert page.get_attribute(minutes, "aria-invalid") is None
    assert page.input_value(minutes) == "60"
    page.click("button[value=save]")
    page.wait_for_selector("text=Saved the stations of kindergarten, Regular day.")
    assert template.stations.get(code="literacy").minutes == 60

    page.goto(f"{live_server.url}{urls(template)['list']}")
    check_page(page, "rotation-templates")


def test_the_live_check_costs_a_fixed_number_of_queries(school_a):
    """Session, user, the school's time zone, school, leadership, template, stations: however
    many rows are typed."""
    template = kindergarten_template(school_a.school)
    client = client_for(school_a.leader.user)
    small = posted(template)
    large = posted(
        template,
        **{
            "stations-TOTAL_FORMS": "6",
            **{f"stations-{n}-code": code for n, code in [(3, "math"), (4, "flex"), (5, "eld")]},
            **{f"stations-{n}-minutes": "10" for n in (3, 4, 5)},
        },
    )
    client.post(urls(template)["validate"], small)  # the session and user are loaded once

    with CaptureQueriesContext(connection) as few:
        client.post(urls(template)["validate"], small)
    with CaptureQueriesContext(connection) as many:
        client.post(urls(template)["validate"], large)

    assert len(many) == len(few) == 7, "\n".join(q["sql"][:150] for q in few.captured_queries)
