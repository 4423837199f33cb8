"""Run by ``test_zip_bomb`` in a child process, whose peak memory the test measures.

    python -m tests.security.bomb_child read PATH        # the reader alone, no Django
    python -m tests.security.bomb_child import IMPORT_ID # the worker's task, on the test database

Prints one JSON line: the errors (file, row, column, reason), for an import its state, and
``peak_mb``, this process's peak resident memory (``VmHWM`` of /proc/self/status: it counts only
this program, whereas ``ru_maxrss`` of a child started by fork or vfork also counts the parent's
pages it shared before its exec).
"""

from __future__ import annotations

import dataclasses
import json
import os
import sys


def main() -> None:
    mode, argument = sys.argv[1], sys.argv[2]
    if mode == "read":
        from students.oneroster import read_export

        export = read_export(argument)
        result: dict[str, object] = {
            "errors": [dataclasses.asdict(error) for error in export.errors]
        }
    else:
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rocketship.settings")
        import django

        django.setup()
        from students.models import RosterImport
        from students.tasks import roster_import_run_task

        roster_import_run_task(int(argument))  # the task as a worker runs it, in-process
        record = RosterImport.objects.get(pk=int(argument))
        result = {"state": record.state, "errors": record.errors}
    result["peak_mb"] = peak_mb()
    print(json.dumps(result))


def peak_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc/self/status")


if __name__ == "__main__":
    main()
