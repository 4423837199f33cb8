"""The home-visit planner: pairs with a teacher of the household and a colleague, a speaker of the
family's language when the school has one, inside both educators' windows and the family's
times, within weekly caps; routes that leave time to drive; reasons that are true.

Plain Python (no database): the planner takes frozen data. Every plan is judged by the
independent checker (``families.visits.validate``), not by the planner."""

import datetime
import itertools
import random

import pytest

from bench.visit_shapes import visit_network
from families.visits.planner import PlanOptions, plan_visits, shared_window, speaks
from families.visits.problem import (
    DayPart,
    Educator,
    Household,
    PlannedVisit,
    Preference,
    UnplacedReason,
    VisitProblem,
    Weekday,
    Window,
)
from families.visits.routes import fits, order_day, travel_minutes
from families.visits.validate import plan_problems

TUESDAY = datetime.date(2026, 9, 8)
WEDNESDAY = TUESDAY + datetime.timedelta(days=1)
TARGET = datetime.date(2026, 10, 31)
OPTIONS = PlanOptions(work_limit=2.0, workers=1)


def afternoon(day=TUESDAY, start=15 * 60 + 30, end=19 * 60):
    return Window(day, start, end)


def teacher(id, *windows, school=1, languages=("en",), cap=3):
    return Educator(id, school, tuple(windows), cap, frozenset(languages))


def plan(households, educators, **given):
    problem = VisitProblem(tuple(households), tuple(educators), TARGET, **given)
    result = plan_visits(problem, OPTIONS)
    assert plan_problems(problem, result) == ()
    return result


def reasons(result):
    return {u.household: u.reason for u in result.unplaced}


def test_a_teacher_and_a_colleague_visit_at_a_time_the_family_chose():
    family = Household(1, teachers=(10,), prefers=(Preference(Weekday.TUE, DayPart.EVENING),))
    result = plan([family], [teacher(10, afternoon()), teacher(11, afternoon())])

    (visit,) = result.visits
    assert (visit.lead, visit.partner, visit.day) == (10, 11, TUESDAY)
    assert visit.start >= 17 * 60 and visit.end <= 19 * 60


def test_the_pair_includes_a_speaker_of_the_familys_language_when_the_school_has_one():
    family = Household(1, teachers=(10,), language="vi")
    staff = [
        teacher(10, afternoon()),
        teacher(11, afternoon()),
        teacher(12, afternoon(), languages=("en", "vi")),
    ]
    (visit,) = plan([family], staff).visits
    assert visit.partner == 12


def test_a_family_whose_language_nobody_at_the_school_speaks_is_still_visited():
    family = Household(1, teachers=(10,), language="so")
    (visit,) = plan([family], [teacher(10, afternoon()), teacher(11, afternoon())]).visits
    assert visit.partner == 11


def test_households_that_cannot_be_placed_say_why():
    staff = [
        teacher(10, afternoon()),
        teacher(11, afternoon()),
        # The school's only Spanish speaker is free on Wednesdays, the teacher on Tuesdays.
        teacher(12, afternoon(WEDNESDAY), languages=("en", "es")),
        teacher(20, afternoon(), school=2),  # alone at their school: no colleague
    ]
    households = [
        Household(1, teachers=(99,)),
        Household(2, teachers=(20,)),
        Household(3, teachers=(10,), language="es"),
        Household(4, teachers=(10,), prefers=(Preference(Weekday.SAT),)),
    ]
    assert reasons(plan(households, staff)) == {
        1: UnplacedReason.NO_TEACHER,
        2: UnplacedReason.NO_SHARED_WINDOW,
        3: UnplacedReason.NO_LANGUAGE_MATCH,
        4: UnplacedReason.NO_SHARED_WINDOW,
    }


def test_weekly_caps_hold_and_the_rest_are_caps_full():
    staff = [teacher(10, afternoon(), cap=1), teacher(11, afternoon(), cap=1)]
    result = plan([Household(1, teachers=(10,)), Household(2, teachers=(10,))], staff)
    assert len(result.visits) == 1
    assert list(reasons(result).values()) == [UnplacedReason.CAPS_FULL]


def test_a_replan_keeps_what_was_planned_and_counts_it_against_caps():
    staff = [teacher(10, afternoon(), cap=2), teacher(11, afternoon(), cap=2)]
    kept = PlannedVisit(1, 10, 11, TUESDAY, 15 * 60 + 30, 16 * 60 + 30, 1)
    households = [Household(n, teachers=(10,)) for n in (1, 2, 3)]
    result = plan(households, staff, kept=(kept,))

    assert kept in result.visits
    assert len(result.visits) == 2  # the cap of 2 a week allows one more
    assert list(reasons(result).values()) == [UnplacedReason.CAPS_FULL]


def test_a_pairs_afternoon_is_ordered_to_cut_travel_with_time_to_drive():
    # Three homes on one street, 2 km apart, listed out of order.
    on_street = [(37.30 + 0.018 * k, -121.85) for k in (2, 0, 1)]
    households = [Household(n + 1, (10,), location=at) for n, at in enumerate(on_street)]
    staff = [
        teacher(10, afternoon(end=20 * 60), cap=3),
        teacher(11, afternoon(end=20 * 60), cap=3),
    ]
    result = plan(households, staff)

    route = [v.household for v in sorted(result.visits, key=lambda v: v.order)]
    assert route in ([2, 3, 1], [1, 3, 2])  # along the street, never doubling back
    first, second = sorted(result.visits, key=lambda v: v.start)[:2]
    assert second.start - first.end >= 5  # 2 km at 25 km/h, rounded up to 5 minutes


@pytest.mark.parametrize("seed", range(12))
def test_every_reason_given_is_true(seed):
    """On small random networks the checker finds nothing wrong, and each household left out
    is, by an exhaustive search of the rules alone, in the situation its reason names."""
    problem = _random_network(seed, households=(6, 14), educators=(3, 6), weeks=1)
    result = plan_visits(problem, OPTIONS)
    assert plan_problems(problem, result) == ()
    by_id = {e.id: e for e in problem.educators}
    for left in result.unplaced:
        household = next(h for h in problem.households if h.id == left.household)
        leads = [by_id[t] for t in household.teachers if t in by_id]
        possible = _visits_the_rules_allow(problem, household, leads, language=True)
        if left.reason == UnplacedReason.NO_TEACHER:
            assert not leads
        elif left.reason == UnplacedReason.NO_SHARED_WINDOW:
            assert not _visits_the_rules_allow(problem, household, leads, language=False)
        elif left.reason == UnplacedReason.NO_LANGUAGE_MATCH:
            assert not possible
            assert _visits_the_rules_allow(problem, household, leads, language=False)
        else:
            assert possible, left


def _random_network(seed, *, households, educators, weeks):
    rng = random.Random(seed)
    return visit_network(
        households=rng.randint(*households),
        educators=rng.randint(*educators),
        weeks=weeks,
        schools=rng.choice((1, 2)),
        weekly_cap=rng.choice((1, 2)),
        seed=seed,
    )


def _visits_the_rules_allow(problem, household, leads, *, language):
    """Every (lead, partner, day, start) on the 5-minute grid that the rules allow, ignoring
    other visits: written from the rules, not from the planner's candidates."""
    found = []
    for lead, partner in itertools.product(leads, problem.educators):
        if partner.id == lead.id or partner.school != lead.school:
            continue
        colleagues = [e for e in problem.educators if e.school == lead.school]
        if (
            language
            and any(speaks(e, household.language) for e in colleagues)
            and not (speaks(lead, household.language) or speaks(partner, household.language))
        ):
            continue
        for day in {w.day for w in lead.windows}:
            window = shared_window(lead, partner, day)
            if window is None:
                continue
            for start in range(window[0], window[1] - problem.visit_minutes + 1, 5):
                if not household.prefers or any(p.allows(day, start) for p in household.prefers):
                    found.append((lead.id, partner.id, day, start))
    return found


def test_families_who_host_only_before_five_are_spread_over_the_pairs_afternoons():
    # A pair's 15:30-19:00 holds three visits, but only two of them can start before five.
    before_five = (Preference(Weekday.TUE, DayPart.AFTERNOON), Preference(Weekday.WED, None))
    households = [Household(n, (10,), prefers=before_five) for n in (1, 2, 3)]
    staff = [
        teacher(10, afternoon(), afternoon(WEDNESDAY)),
        teacher(11, afternoon(), afternoon(WEDNESDAY)),
    ]
    result = plan(households, staff)

    assert len(result.visits) == 3 and result.optimal
    assert sum(v.day == TUESDAY for v in result.visits) <= 2


@pytest.mark.parametrize("seed", range(8))
def test_the_plan_places_at_least_the_greedy_plan_and_never_more_than_can_be_placed(seed):
    """The greedy first plan is the baseline the search starts from: it never ends worse, and
    it never claims more than the households with a visit the rules allow."""
    problem = _random_network(1000 + seed, households=(20, 40), educators=(5, 9), weeks=2)
    result = plan_visits(problem, OPTIONS)

    assert plan_problems(problem, result) == ()
    greedy_only = plan_visits(problem, PlanOptions(work_limit=0.0, workers=1))
    assert len(result.visits) >= len(greedy_only.visits)
    possible = [
        h
        for h in problem.households
        if _visits_the_rules_allow(
            problem, h, [e for e in problem.educators if e.id in h.teachers], language=True
        )
    ]
    assert result.placeable == len(possible) >= len(result.visits)
    assert result.optimal == (len(result.visits) == len(possible))


@pytest.mark.parametrize("seed", range(30))
def test_a_day_is_ordered_whenever_some_order_fits(seed):
    """Checked against every order of the stops, written here from the rules: the visits at
    the families' times, with the drive between each two."""
    rng = random.Random(seed)
    problem = VisitProblem((), (), TARGET)
    stops = [
        Household(
            n,
            (10,),
            prefers=rng.choice(((), (Preference(Weekday.TUE, rng.choice(list(DayPart))),))),
            location=(37.3 + rng.uniform(0, 0.06), -121.85 + rng.uniform(0, 0.06)),
        )
        for n in range(rng.randint(2, 4))
    ]
    start, end = 15 * 60 + 30, rng.choice((18 * 60, 19 * 60, 19 * 60 + 30))

    timed = order_day(stops, start, end, problem, TUESDAY)

    assert (timed is not None) == _some_order_fits(stops, start, end, problem)
    assert (timed is not None) == fits(stops, start, end, problem, TUESDAY)
    for (h1, _, end1), (h2, start2, _) in itertools.pairwise(timed or []):
        by_id = {h.id: h for h in stops}
        assert start2 - end1 >= travel_minutes(by_id[h1], by_id[h2], problem)


def _some_order_fits(stops, start, end, problem):
    for order in itertools.permutations(stops):
        at, previous, ok = start, None, True
        for household in order:
            if previous is not None:
                at += problem.visit_minutes + travel_minutes(previous, household, problem)
            while at + problem.visit_minutes <= end and not (
                not household.prefers or any(p.allows(TUESDAY, at) for p in household.prefers)
            ):
                at += 1
            if at + problem.visit_minutes > end:
                ok = False
                break
            previous = household
        if ok:
            return True
    return False
