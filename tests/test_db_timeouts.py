"""The database's time limits (rocketship.db_timeouts): what each connection starts with, the
client's deadline on a server that does not answer, and the statements allowed to run long."""

import io
import time

import psycopg2
import pytest
from django.db import OperationalError, connection
from psycopg2 import extensions

from rocketship.db_timeouts import long_statements, wait_with_deadline

from .faults.harness import DatabaseProxy, database_address

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def postgresql_only() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("the time limits apply to PostgreSQL only")


def show(setting: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SHOW {setting}")
        return cursor.fetchone()[0]


def test_each_connection_starts_with_the_statement_and_idle_limits(settings):
    assert show("statement_timeout") == f"{settings.DATABASE_STATEMENT_TIMEOUT}s"
    assert show("idle_in_transaction_session_timeout") == "10min"
    options = settings.DATABASES["default"]["OPTIONS"]
    assert options["connect_timeout"] == settings.DATABASE_CONNECT_TIMEOUT
    assert options["keepalives"] == 1 and options["tcp_user_timeout"] == 30_000
    assert extensions.get_wait_callback() is wait_with_deadline


def test_long_statements_lift_both_limits_and_allow_copy_then_put_them_back(settings):
    refused = pytest.raises(psycopg2.ProgrammingError, match="asynchronous callback")
    with connection.cursor() as cursor, refused:
        cursor.cursor.copy_expert("COPY (SELECT 1) TO STDOUT", io.StringIO())

    with long_statements():
        assert show("statement_timeout") == "0"
        assert extensions.get_wait_callback() is None
        copied = io.StringIO()
        with connection.cursor() as cursor:
            cursor.cursor.copy_expert("COPY (SELECT 1) TO STDOUT", copied)
        assert copied.getvalue() == "1\n"

    assert show("statement_timeout") == f"{settings.DATABASE_STATEMENT_TIMEOUT}s"
    assert extensions.get_wait_callback() is wait_with_deadline


def test_the_server_cancels_a_statement_past_its_limit():
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL statement_timeout = '100ms'")
        with pytest.raises(OperationalError, match="statement timeout"):
            cursor.execute("SELECT pg_sleep(5)")


def test_a_server_that_stops_answering_fails_the_query_at_the_deadline(settings):
    """The proxy holds every byte: the server's own statement_timeout could never be heard.
    The client gives up at DATABASE_READ_TIMEOUT and the connection is dropped for good."""
    settings.DATABASE_READ_TIMEOUT = 1
    proxy = DatabaseProxy(database_address())
    params = {**connection.get_connection_params(), "host": "127.0.0.1", "port": proxy.port}
    conn = psycopg2.connect(**params)
    try:
        cursor = conn.cursor()
        cursor.execute("SELECT 1")
        proxy.stall()
        began = time.monotonic()
        with pytest.raises(psycopg2.OperationalError, match="did not answer in 1 s"):
            cursor.execute("SELECT 1")
        assert time.monotonic() - began < 30  # bounds a hang only: the deadline is 1 s
        with pytest.raises(psycopg2.Error):  # dropped: no second wait on the same server
            conn.cursor().execute("SELECT 1")
    finally:
        conn.close()
        proxy.close()
