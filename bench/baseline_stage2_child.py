"""One stage-2 solve by an older planner, in its own process: ``bench/stage2.py`` runs
``python bench/baseline_stage2_child.py`` through ``bench.baseline.solve(..., child=...)``, with
``PYTHONPATH`` on an extracted copy of ``scheduling/solver`` at some git revision.

The problem arrives on stdin as JSON (``dataclasses.asdict`` of the current ``PlanProblem``) and
is rebuilt with the old classes by ``baseline_child.Decoder``: fields the old planner does not
know (places, session lengths, changes budget) are dropped and named in the answer, and the old
``segment_minutes`` keeps its default (15). The answer is one JSON line on stdout: the plan's
segments and groups as plain data, the seconds, and the old validator's verdict.
"""

from __future__ import annotations

import dataclasses
import json
import sys
import time
from typing import Any

from baseline_child import Decoder, _rss_kb


def main() -> int:
    request = json.loads(sys.stdin.read())
    from scheduling.solver import plans, stage2, validate_stage2

    decoder = Decoder(vars(plans))
    problem = decoder.dataclass(plans.PlanProblem, request["problem"])
    known = {f.name for f in dataclasses.fields(stage2.PlanOptions)}
    options = stage2.PlanOptions(**{k: v for k, v in request["options"].items() if k in known})
    start_rss = _rss_kb()
    began = time.perf_counter()
    plan = stage2.solve(problem, options)
    seconds = time.perf_counter() - began
    violations = validate_stage2.validate_plan(problem, plan)
    out: dict[str, Any] = {
        "engine": stage2.__file__,
        "seconds": seconds,
        "dropped": sorted(decoder.dropped),
        "start_rss_kb": start_rss,
        "segment_minutes": problem.segment_minutes,
        "segments": [dataclasses.asdict(s) for s in plan.segments],
        "groups": [dataclasses.asdict(g) for g in plan.groups],
        "missing": sum(s.missing for s in plan.shortfalls),
        "status": plan.stats.status if plan.stats else "",
        "own_violations": len(violations),
        "own_first_violation": violations[0].message if violations else None,
    }
    sys.stdout.write(json.dumps(out) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
