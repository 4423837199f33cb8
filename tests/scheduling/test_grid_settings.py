"""Settings on the time grid: refused at input with the field named, and rows stored before
that check (written here straight into the table) never make the build and the validator read
different times. The school is ``test_selectors``' kindergarten day (8:00-10:00, 5-minute grid,
lunch between 9:30 and 10:00)."""

import datetime
import logging

import pytest
from django.core.exceptions import ValidationError

from bench.reference import hm as at
from scheduling.models import Pin, TemplateStation
from scheduling.selectors.problem import OffGridSettings, problem_for
from scheduling.solver import problem as p
from scheduling.solver.stage1 import SolveOptions, solve
from scheduling.solver.validate import validate

from .factories import PinFactory
from .test_selectors import DATE, kindergarten

pytestmark = pytest.mark.django_db

T = datetime.time
# Deterministic work, never wall-clock seconds: a busy machine cannot fail these.
STEADY = SolveOptions(time_limit=600, workers=1, seed=7, work_limit=20)


def refused_fields(instance) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as refused:
        instance.full_clean()
    return refused.value.message_dict


def test_a_pin_off_the_grid_is_refused_beside_its_start():
    k = kindergarten()
    pin = Pin(school=k.school, cohort=k.howard, station="lab", date=DATE, start=T(9, 2))
    assert refused_fields(pin)["start"] == [
        "9:02 a.m. is not on the schedule's 5-minute grid: use 9 a.m. or 9:05 a.m."
    ]


def test_a_lunch_window_off_the_grid_is_refused_beside_its_start():
    k = kindergarten()
    lunch = TemplateStation.objects.get(template__school=k.school, code="lunch")
    lunch.window_start = T(9, 32)
    assert (
        "9:32 a.m. is not on the schedule's 5-minute grid"
        in refused_fields(lunch)["window_start"][0]
    )


def test_a_block_length_step_off_the_grid_is_refused_beside_it():
    k = kindergarten()
    lunch = TemplateStation.objects.get(template__school=k.school, code="lunch")
    lunch.block_step = 3
    assert refused_fields(lunch)["block_step"] == [
        "3 minutes is shorter than one step of the schedule's 5-minute grid: use 5"
    ]


def test_a_stored_off_grid_lunch_window_narrows_and_the_build_and_validator_agree(caplog):
    k = kindergarten()
    TemplateStation.objects.filter(template__school=k.school, code="lunch").update(
        window_start=T(9, 32)
    )
    with caplog.at_level(logging.WARNING, logger="scheduling.selectors.problem"):
        problem = problem_for(school=k.school, date=DATE)

    (lunch,) = [s for s in problem.templates[0].stations if s.code == "lunch"]
    assert lunch.window == p.Window(at("9:35"), at("10:00"))
    assert "lunch window 9:32-10:00 narrowed to 9:35-10:00" in caplog.text
    result = solve(problem, STEADY)
    assert isinstance(result, p.Solution), getattr(result, "reasons", result)
    assert validate(problem, result.blocks) == ()
    assert all(b.start >= at("9:35") for b in result.blocks if b.station == "lunch")


def test_a_stored_off_grid_pin_refuses_the_build_naming_the_pin():
    k = kindergarten()
    PinFactory(
        school=k.school, cohort=k.howard, station="lab", date=DATE, day_type=None, start=T(9, 2)
    )
    with pytest.raises(OffGridSettings) as refused:
        problem_for(school=k.school, date=DATE)
    assert "The pin of lab at 9:02 is off the 5-minute grid" in str(refused.value)
    assert refused.value.errors == {"settings": [f"pin:{k.howard.pk}:lab"]}
