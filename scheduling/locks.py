"""The per-school lock every build takes before it stores or publishes a version.

On PostgreSQL it is a transaction-level advisory lock keyed by the school: it needs no row, so
it serialises the nightly rebuild, a leader's build and a command run of the same school without
blocking anything that reads or edits the school itself, and it is released when the transaction
ends, whatever ends it. Elsewhere (SQLite, the embedded default) it locks the school's row, which
SQLite's single writer already serialises.
"""

from django.db import connection

from students.models import School

# The advisory lock's first key: which of the project's lock kinds this is (builds of a school).
SCHOOL_BUILDS = 7_101


def lock_school_builds(school_id: int) -> None:
    """Hold the school's build lock until the current transaction ends."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [SCHOOL_BUILDS, school_id])
    else:
        School.objects.select_for_update().filter(pk=school_id).exists()
