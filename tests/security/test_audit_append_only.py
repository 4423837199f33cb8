"""The audit trail is append-only for the app: connected as the app's database role (a real
login, with exactly the grants ``manage.py grant_app_role`` gives), nothing can truncate,
delete, update or silence it, and the app's own work still runs.

Each test makes its own login role (roles are cluster-wide: the name is unique per run) and
drops it afterwards. The grants must be committed for the role's own connection to see them, so
these tests commit (``transaction=True``); the suite's teardown truncates as ``postgres``.
"""

import io
import runpy
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg2
import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from psycopg2 import errors

from learninglabs.imports import progress_csv_import
from learninglabs.models import Program, ProgramKind, ProgressRecord, Subject, VendorMapping
from students.models import AuditAction, AuditEvent, Network

from ..factories import StudentFactory

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="database roles"),
]

AUDIT = AuditEvent._meta.db_table


@pytest.fixture
def app_role() -> Iterator[str]:
    """A login role with the app's grants, as an operator would set it up."""
    name = f"rs_app_{uuid.uuid4().hex[:12]}"
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE ROLE {name} LOGIN")
    try:
        call_command("grant_app_role", role=name, stdout=io.StringIO())
        yield name
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"REASSIGN OWNED BY {name} TO current_user")
            cursor.execute(f"DROP OWNED BY {name}")
            cursor.execute(f"DROP ROLE {name}")


@pytest.fixture
def as_app(app_role: str) -> Iterator[psycopg2.extensions.connection]:
    """A connection to the test database logged in as the app's role (trust auth)."""
    settings = connection.settings_dict
    conn = psycopg2.connect(
        dbname=settings["NAME"],
        host=settings["HOST"] or None,
        port=settings["PORT"] or None,
        user=app_role,
    )
    conn.autocommit = True
    try:
        yield conn
    finally:
        conn.close()


@pytest.fixture
def audited(school_a) -> AuditEvent:
    return AuditEvent.objects.create(
        action=AuditAction.VIEW,
        model="students.student",
        object_id=str(school_a.student.pk),
        school_id=school_a.school.pk,
        via="test",
    )


def refused(conn, sql: str, *params: object) -> psycopg2.Error:
    with pytest.raises(psycopg2.Error) as caught, conn.cursor() as cursor:
        cursor.execute(sql, params or None)
    return caught.value


def audit_count() -> int:
    return AuditEvent.objects.count()


def test_the_app_role_cannot_truncate_the_audit_trail(as_app, audited):
    error = refused(as_app, f"TRUNCATE {AUDIT}")

    assert isinstance(error, errors.InsufficientPrivilege)
    assert audit_count() == 1


def test_the_app_role_cannot_delete_or_update_audit_events(as_app, audited):
    deleting = refused(as_app, f"DELETE FROM {AUDIT}")
    updating = refused(as_app, f"UPDATE {AUDIT} SET username = 'nobody'")

    assert isinstance(deleting, errors.InsufficientPrivilege)
    assert isinstance(updating, errors.InsufficientPrivilege)
    audited.refresh_from_db()
    assert audited.username == ""
    assert audit_count() == 1


def test_the_app_role_cannot_disable_the_audit_trigger(as_app, audited):
    error = refused(as_app, f"ALTER TABLE {AUDIT} DISABLE TRIGGER ALL")

    assert isinstance(error, errors.InsufficientPrivilege)
    assert "must be owner" in str(error)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_trigger WHERE tgrelid = %s::regclass "
            "AND NOT tgisinternal AND tgenabled = 'O'",
            [AUDIT],
        )
        assert cursor.fetchone()[0] == 2  # append-only (UPDATE, DELETE) and no-truncate


def test_the_app_role_cannot_switch_triggers_off_for_its_session(as_app):
    for statement in (
        "SET session_replication_role = replica",
        "SELECT set_config('session_replication_role', 'replica', false)",
    ):
        error = refused(as_app, statement)
        assert isinstance(error, errors.InsufficientPrivilege), statement
    with as_app.cursor() as cursor:
        cursor.execute("SHOW session_replication_role")
        assert cursor.fetchone()[0] == "origin"


def test_the_app_role_is_no_superuser_and_owns_nothing(as_app, app_role):
    with as_app.cursor() as cursor:
        cursor.execute("SELECT current_setting('is_superuser')")
        assert cursor.fetchone()[0] == "off"
        cursor.execute(
            "SELECT count(*) FROM pg_class WHERE pg_has_role(%s, relowner, 'USAGE') "
            "AND relnamespace = 'public'::regnamespace",
            [app_role],
        )
        assert cursor.fetchone()[0] == 0
        refused(as_app, "CREATE TABLE stolen (id int)")


def test_even_a_mistaken_truncate_grant_is_refused_by_the_trigger(as_app, app_role, audited):
    with connection.cursor() as cursor:
        cursor.execute(f"GRANT TRUNCATE ON {AUDIT} TO {app_role}")

    error = refused(as_app, f"TRUNCATE {AUDIT}")

    assert isinstance(error, errors.RaiseException)
    assert "append-only" in str(error)
    assert audit_count() == 1


def test_the_app_role_does_the_apps_work(as_app, audited, school_a):
    with as_app.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {AUDIT} (at, username, action, model, object_id, via, "
            "special_education, detail) VALUES (now(), 'app', 'view', 'students.student', "
            "'1', 'test', false, '{}') RETURNING id"
        )
        cursor.execute(f"SELECT count(*) FROM {AUDIT}")
        assert cursor.fetchone()[0] == 2
        cursor.execute(
            "INSERT INTO students_network (name, slug) VALUES ('Elm', 'elm') RETURNING id"
        )
        (network_id,) = cursor.fetchone()
        cursor.execute(
            "UPDATE students_network SET name = 'Elm Valley' WHERE id = %s", [network_id]
        )
        cursor.execute("SELECT name FROM students_network WHERE id = %s", [network_id])
        assert cursor.fetchone()[0] == "Elm Valley"
        cursor.execute("DELETE FROM students_network WHERE id = %s", [network_id])
        assert cursor.rowcount == 1
    assert not Network.objects.filter(slug="elm").exists()


@contextmanager
def django_connected_as(role: str) -> Iterator[None]:
    """Django's own connection logged in as ``role`` (as web servers and workers are)."""
    saved = connection.settings_dict["USER"]
    connection.close()
    connection.settings_dict["USER"] = role
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict["USER"] = saved


def test_a_progress_import_runs_as_the_app_role(app_role, school_a):
    student = school_a.student
    StudentFactory(school=school_a.school, cohort=student.cohort, local_id="2002")
    student.local_id = "2001"
    student.save()
    program = Program.objects.create(
        school=school_a.school,
        name="ST Math",
        code="st-math",
        subject=Subject.MATH,
        kind=ProgramKind.ADAPTIVE,
    )
    mapping = VendorMapping.objects.create(
        school=school_a.school,
        name="Vendor export",
        source="csv:vendor",
        program=program,
        student_column="Student ID",
        date_column="Date",
        minutes_column="Minutes",
    )
    day = student.enrollment_start.isoformat()
    file = io.BytesIO(f"Student ID,Date,Minutes\n2001,{day},30\n2002,{day},25\n".encode())

    with django_connected_as(app_role):
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_user")
            assert cursor.fetchone()[0] == app_role
        outcome = progress_csv_import(mapping=mapping, file=file)

    assert outcome.ok, outcome.errors
    assert outcome.created == 2
    assert ProgressRecord.objects.filter(program=program).count() == 2


def test_migrate_as_the_owner_grants_the_app_role(settings, app_role):
    # The app connects as its role; MIGRATE_DATABASE_URL names the owner (here postgres).
    owner = connection.settings_dict
    settings.MIGRATE_DATABASE_URL = (
        f"postgres://{owner['USER']}@{owner['HOST'] or 'localhost'}:{owner['PORT'] or 5432}"
        f"/{owner['NAME']}"
    )
    with connection.cursor() as cursor:
        cursor.execute(f"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {app_role}")

    with django_connected_as(app_role):
        call_command("migrate", verbosity=0)

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT has_table_privilege(%s, 'students_student', 'INSERT, UPDATE, DELETE'), "
            "has_table_privilege(%s, %s, 'INSERT'), "
            "has_table_privilege(%s, %s, 'UPDATE'), "
            "has_table_privilege(%s, %s, 'DELETE'), "
            "has_table_privilege(%s, %s, 'TRUNCATE')",
            [app_role, app_role, AUDIT, app_role, AUDIT, app_role, AUDIT, app_role, AUDIT],
        )
        assert cursor.fetchone() == (True, True, False, False, False)


def test_grants_reach_tables_a_later_migration_creates(as_app, app_role):
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE later_migration_table (id bigint)")
    try:
        with as_app.cursor() as cursor:
            cursor.execute("INSERT INTO later_migration_table VALUES (1)")
            cursor.execute("DELETE FROM later_migration_table")
            assert cursor.rowcount == 1
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE later_migration_table")


@pytest.mark.parametrize(
    ("who", "why"), [("superuser", "is a superuser"), ("owner", "owns tables")]
)
def test_the_grant_command_refuses_a_role_that_could_undo_the_limits(app_role, who, why):
    role = "postgres" if who == "superuser" else app_role
    if who == "owner":
        with connection.cursor() as cursor:
            cursor.execute(
                f"CREATE TABLE owned_by_app (id int); ALTER TABLE owned_by_app OWNER TO {app_role}"
            )
    try:
        with pytest.raises(CommandError, match=why):
            call_command("grant_app_role", role=role, stdout=io.StringIO())
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE IF EXISTS owned_by_app")


@pytest.mark.parametrize(
    ("owner_url", "refused"),
    [
        ("postgres://owner@db.example.org:5432/rocketship", False),
        ("postgres://owner@db.example.org:5432/another", True),
    ],
)
@pytest.mark.filterwarnings("ignore:'rocketship.settings' found in sys.modules:RuntimeWarning")
def test_the_owner_url_must_name_the_apps_database(monkeypatch, owner_url, refused):
    monkeypatch.setenv("DATABASE_URL", "postgres://rocketship_app@db.example.org:5432/rocketship")
    monkeypatch.setenv("MIGRATE_DATABASE_URL", owner_url)
    monkeypatch.setenv("SECRET_KEY", "only-for-this-test")

    if refused:
        with pytest.raises(ImproperlyConfigured, match="MIGRATE_DATABASE_URL must name the same"):
            runpy.run_module("rocketship.settings")
    else:
        loaded = runpy.run_module("rocketship.settings")
        assert loaded["MIGRATE_DATABASE_URL"] == owner_url
        assert loaded["DATABASES"]["default"]["USER"] == "rocketship_app"
