"""The column-generation experiment's master (bench/decomposition_bound.py): the LP that the
FINDINGS entry of 2026-12-07 reads its upper ends and prices from."""

import pytest

from bench.decomposition_bound import OVERUSE_PENALTY, Column, capacities, master
from bench.reference import reference_problem

LANE = ("lab", 7, 100)


def test_the_master_shares_a_contested_slot_and_prices_it_at_what_the_cheaper_day_saves():
    # Two teams each prefer a day in the one free lane at slot 100 (cost 10) to one without it
    # (cost 14): only one can have it, so the master pays 10 + 14 and the lane is worth 4.
    cheap, dear = Column(10, {LANE: 1}), Column(14, {})
    value, overuse, prices = master([[cheap, dear], [cheap, dear]], {LANE: 1})

    assert value == pytest.approx(24)
    assert overuse == pytest.approx(0)
    assert prices[LANE] == pytest.approx(4)


def test_overuse_the_columns_cannot_avoid_is_paid_for_at_the_penalty():
    only = Column(10, {LANE: 1})
    value, overuse, prices = master([[only], [only]], {LANE: 1})

    assert overuse == pytest.approx(1)
    assert value == pytest.approx(20 + OVERUSE_PENALTY)
    assert prices[LANE] == pytest.approx(OVERUSE_PENALTY)


def test_the_reference_school_shares_lanes_specials_teachers_and_cafeteria_per_slot():
    problem = reference_problem("M")
    caps = capacities(problem)
    unit = problem.granularity
    slots = range(problem.day.start // unit, problem.day.end // unit)
    labs = {key[1] for key in caps if key[0] == "lab"}

    assert len(labs) == 2
    assert {caps["lab", lab, slot] for lab in labs for slot in slots} == {3}  # 80 seats, 25 each
    assert {caps["specials", slot] for slot in slots} == {2}
    assert {caps["lunch", slot] for slot in slots} == {8}
