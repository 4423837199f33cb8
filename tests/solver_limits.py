"""The solver's limits in tests: CP-SAT's deterministic work (its own units) is what stops a
solve, so a test's outcome depends on its inputs and seed alone and a busy machine cannot fail
it; the seconds are only a safety net far above any test's solve. Speed targets live in bench/.
"""

from typing import Any

from scheduling.solver.stage1 import SolveOptions

# Well above what any test's day needs (the reference medium school's first day takes 0.3);
# about 6-10 s of optimising on one worker of the 2-core reference machine.
WORK = 1.0
SAFETY_SECONDS = 120.0


def work_limited(**given: Any) -> SolveOptions:
    """Solve options stopping at ``WORK`` (or ``work_limit``), seconds only a safety net."""
    return SolveOptions(**{"time_limit": SAFETY_SECONDS, "work_limit": WORK, **given})
