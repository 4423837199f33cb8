"""An older engine beside the current one, in the same run (``bench.run --baseline REV``).

``prepare(rev)`` extracts ``scheduling/solver`` at a git revision (``git archive``, no worktree)
into ``bench/.baseline/<commit>/`` (git-ignored, kept between runs). ``solve(...)`` runs one solve
of that engine in a child process, ``python bench/baseline_child.py`` with ``PYTHONPATH`` on the
extracted copy: the parent has the current solver imported, and the two cannot share a process.

The problem is the one the CURRENT reference and shape code builds, passed as JSON
(``dataclasses.asdict``) and rebuilt with the old classes; fields the old engine does not know
(``GradeTemplate.cohorts``, later rules) are dropped and reported, so the old engine does not
enforce the newer rules. Its schedules are judged twice: by its own validator (in the child) and
by the current validator (in the parent, by the caller).
"""

from __future__ import annotations

import dataclasses
import enum
import json
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CACHE = Path(__file__).resolve().parent / ".baseline"
CHILD = Path(__file__).resolve().parent / "baseline_child.py"
DEFAULT_REV = "a3f6ea1"


def commit_of(rev: str) -> str:
    return subprocess.run(
        ["git", "rev-parse", "--verify", f"{rev}^{{commit}}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


def prepare(rev: str) -> Path:
    """The directory to put on ``PYTHONPATH`` for ``rev``'s ``scheduling.solver``."""
    commit = commit_of(rev)
    target = CACHE / commit
    if (target / "scheduling" / "solver").is_dir():  # extracted whole (renamed into place)
        return target
    CACHE.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f"{commit[:12]}-", dir=CACHE))
    archive = subprocess.run(
        ["git", "archive", commit, "scheduling/solver"], cwd=ROOT, capture_output=True, check=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(staging)], input=archive, check=True)
    # Only the solver package: an empty ``scheduling/__init__.py`` keeps Django out of the child.
    (staging / "scheduling" / "__init__.py").write_text("")
    try:
        staging.rename(target)
    except OSError:  # another run extracted it first
        shutil.rmtree(staging, ignore_errors=True)
    return target


def _plain(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = [_plain(v) for v in value]
        return sorted(items, key=repr) if isinstance(value, set | frozenset) else items
    return value


def encode(problem: Any) -> dict[str, Any]:
    """A ``Problem`` as JSON-able data (enums as values, sets as sorted lists)."""
    return _plain(dataclasses.asdict(problem))


def solve(
    directory: Path,
    problem: Any,
    options: dict[str, Any],
    *,
    deadline: float,
    child: Path = CHILD,
) -> dict[str, Any]:
    """One solve of the engine in ``directory`` by ``child`` (stage 1's by default): the
    child's JSON answer, with ``peak_mb``; or ``{"kind": "error", "message": ...}``."""
    request = json.dumps({"problem": encode(problem), "options": options}).encode()
    env = {**os.environ, "PYTHONPATH": str(directory), "PYTHONDONTWRITEBYTECODE": "1"}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    with tempfile.TemporaryFile() as errors, tempfile.TemporaryFile() as source:
        source.write(request)
        source.seek(0)
        process = subprocess.Popen(
            [sys.executable, str(child)],
            cwd=directory,
            env=env,
            stdin=source,
            stdout=subprocess.PIPE,
            stderr=errors,
        )
        assert process.stdout is not None
        chunks, killed, end = [], False, time.monotonic() + deadline
        while True:
            ready, _, _ = select.select([process.stdout], [], [], max(end - time.monotonic(), 0))
            if not ready:
                process.send_signal(signal.SIGKILL)
                killed = True
                break
            chunk = os.read(process.stdout.fileno(), 1 << 20)
            if not chunk:
                break
            chunks.append(chunk)
        _pid, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        if killed:
            return {"kind": "error", "message": f"killed after {deadline:.0f} s"}
        if process.returncode:
            errors.seek(0)
            tail = errors.read().decode(errors="replace").strip().splitlines()[-1:]
            return {"kind": "error", "message": f"baseline child failed: {' '.join(tail)}"}
    answer = json.loads(b"".join(chunks).decode().strip().splitlines()[-1])
    if not str(answer["engine"]).startswith(str(directory)):
        raise RuntimeError(f"the baseline child imported {answer['engine']}, not {directory}")
    answer["peak_mb"] = max(usage.ru_maxrss - answer.pop("start_rss_kb"), 0) / 1024
    return answer
