"""One solve by an older engine, in its own process: ``bench/baseline.py`` runs
``python bench/baseline_child.py`` with ``PYTHONPATH`` set to an extracted copy of
``scheduling/solver`` at some git revision, so ``scheduling.solver`` here is that revision's.

Standard library only, and nothing from the current tree: the problem arrives on stdin as JSON
(``dataclasses.asdict`` of the current ``Problem``, see ``bench.baseline.encode``) and is rebuilt
with the old revision's classes, from their type hints; fields the old classes do not know are
dropped, and the non-empty ones named in the answer (the old engine does not enforce what
they mean). The answer is one JSON line on stdout.
"""

from __future__ import annotations

import dataclasses
import enum
import json
import sys
import time
import types
import typing
from typing import Any


def _rss_kb() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


class Decoder:
    """JSON values into the old revision's dataclasses, guided by their type hints."""

    def __init__(self, namespace: dict[str, Any]) -> None:
        self.namespace = namespace
        self.dropped: set[str] = set()

    def value(self, hint: Any, data: Any) -> Any:
        origin = typing.get_origin(hint)
        if origin in (typing.Union, types.UnionType):
            if data is None:
                return None
            options = [a for a in typing.get_args(hint) if a is not type(None)]
            return self.value(options[0], data)
        if origin is tuple:
            args = typing.get_args(hint)
            if len(args) == 2 and args[1] is Ellipsis:
                return tuple(self.value(args[0], item) for item in data)
            return tuple(self.value(a, item) for a, item in zip(args, data, strict=True))
        if origin in (frozenset, set):
            (arg,) = typing.get_args(hint)
            return frozenset(self.value(arg, item) for item in data)
        if origin is dict:
            key, val = typing.get_args(hint)
            return {self.value(key, k): self.value(val, v) for k, v in data.items()}
        if isinstance(hint, type) and dataclasses.is_dataclass(hint):
            return self.dataclass(hint, data)
        if isinstance(hint, type) and issubclass(hint, enum.Enum):
            return hint(data)
        return data

    def dataclass(self, cls: type, data: dict[str, Any]) -> Any:
        hints = typing.get_type_hints(cls, self.namespace)
        known = {f.name for f in dataclasses.fields(cls) if f.init}
        for name, value in data.items():
            if name not in known and value not in (None, False, 0, [], {}, ""):
                self.dropped.add(f"{cls.__name__}.{name}")  # an empty one changes nothing
        return cls(**{k: self.value(hints[k], v) for k, v in data.items() if k in known})


def main() -> int:
    request = json.loads(sys.stdin.read())
    from scheduling.solver import problem as problem_module
    from scheduling.solver import stage1, validate

    decoder = Decoder(vars(problem_module))
    problem = decoder.dataclass(problem_module.Problem, request["problem"])
    known = {f.name for f in dataclasses.fields(stage1.SolveOptions)}
    options = stage1.SolveOptions(**{k: v for k, v in request["options"].items() if k in known})
    start_rss = _rss_kb()  # as a forked child of the bench: solver imported, problem built
    began = time.perf_counter()
    answer = stage1.solve(problem, options)
    seconds = time.perf_counter() - began
    out: dict[str, Any] = {
        "engine": stage1.__file__,
        "seconds": seconds,
        "dropped": sorted(decoder.dropped),
        "start_rss_kb": start_rss,
    }
    if isinstance(answer, problem_module.Solution):
        violations = validate.validate(problem, answer.blocks)
        out |= {
            "kind": "schedule",
            "status": answer.stats.status,
            "objective": answer.stats.objective,
            "bound": answer.stats.bound,
            "gap": answer.stats.gap,
            "moved": answer.moved_blocks,
            "blocks": [dataclasses.asdict(b) for b in answer.blocks],
            "own_violations": len(violations),
            "own_first_violation": violations[0].message if violations else None,
        }
    else:
        first = answer.reasons[0] if answer.reasons else None
        timed_out = first is not None and first.code == "time-limit"
        out |= {
            "kind": "timeout" if timed_out else "explained",
            "status": answer.stats.status if answer.stats else "PRECHECK",
            "code": first.code if first else None,
            "message": first.message if first else None,
        }
    sys.stdout.write(json.dumps(out) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
