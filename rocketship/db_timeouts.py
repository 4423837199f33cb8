"""Time limits on PostgreSQL, so a database that stalls costs a request seconds, not a worker.

Three limits, each from a setting (``rocketship.settings``, "Database"):

- ``DATABASE_CONNECT_TIMEOUT``: opening a connection (libpq's ``connect_timeout``, and the same
  bound in the wait below, which libpq's own does not cover).
- ``DATABASE_STATEMENT_TIMEOUT``: PostgreSQL cancels a statement running longer
  (``statement_timeout``, sent with the connection's start-up options). It is the server's own
  clock: it cannot fire when the server or the network between is what hangs.
- ``DATABASE_READ_TIMEOUT``: the client's deadline for any answer. psycopg2 lets a *wait
  callback* do every wait for the server (``set_wait_callback``); ours waits with ``select`` up
  to the deadline and then shuts the socket down, so the call raises ``OperationalError`` (a
  503 for a request, ``rocketship.unavailable``) and the connection is known broken at once
  (Django's health check and its end-of-request check fail fast instead of waiting again).
  TCP keepalives and ``tcp_user_timeout`` (``DATABASES`` OPTIONS) catch a peer that stops
  acknowledging; only this deadline catches one that acknowledges and never answers (a hung
  server, a proxy that holds the bytes).

psycopg2 refuses ``COPY`` while a wait callback is set, and some statements are long by
nature (an import's upsert of a million rows, a migration's index). ``long_statements()``
lifts both limits for the code inside it: no statement timeout on the connection and no wait
callback (process-wide while any caller is inside: gunicorn's sync workers and Celery's
prefork pool run one request or task a process).
"""

from __future__ import annotations

import contextlib
import select
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import psycopg2
from django.conf import settings
from django.db import DatabaseError, connections
from psycopg2 import extensions

_lifted = 0  # callers inside without_deadline(), process-wide
_saved: Any = None  # the wait callback to set again when the last of them leaves
_lifted_lock = threading.Lock()


def wait_with_deadline(conn: Any, cursor: Any = None) -> None:
    """psycopg2's wait callback: ``psycopg2.extras.wait_select`` with a deadline."""
    connecting = conn.status == extensions.STATUS_SETUP
    seconds = settings.DATABASE_CONNECT_TIMEOUT if connecting else settings.DATABASE_READ_TIMEOUT
    deadline = time.monotonic() + seconds if seconds > 0 else None
    while True:
        state = conn.poll()
        if state == extensions.POLL_OK:
            return
        wanted: tuple[list[int], list[int], list[int]]
        if state == extensions.POLL_READ:
            wanted = ([conn.fileno()], [], [])
        elif state == extensions.POLL_WRITE:
            wanted = ([], [conn.fileno()], [])
        else:
            raise psycopg2.OperationalError(f"bad state from poll: {state}")
        remaining = None if deadline is None else max(0.0, deadline - time.monotonic())
        if not any(select.select(*wanted, remaining)):
            _shut_down(conn)
            what = "connecting" if connecting else "an answer"
            raise psycopg2.OperationalError(
                f"the database server did not answer in {seconds} s ({what}): "
                "connection closed (DATABASE_READ_TIMEOUT / DATABASE_CONNECT_TIMEOUT)"
            )


def _shut_down(conn: Any) -> None:
    """Shut the connection's socket down under libpq (it owns the descriptor and closes it):
    every later use fails at once instead of waiting on a server that does not answer."""
    with contextlib.suppress(OSError, ValueError, psycopg2.Error):
        probe = socket.socket(fileno=conn.fileno())
        try:
            probe.shutdown(socket.SHUT_RDWR)
        finally:
            probe.detach()  # the descriptor stays libpq's


def install_database_deadline() -> None:
    """Set the wait callback when the default database is PostgreSQL and a deadline is set
    (``RocketshipConfig.ready``, in every process: web, workers, commands)."""
    global _saved
    if _uses_postgresql() and settings.DATABASE_READ_TIMEOUT > 0:
        with _lifted_lock:
            if _lifted:  # inside without_deadline(): set once the last caller leaves
                _saved = wait_with_deadline
            else:
                extensions.set_wait_callback(wait_with_deadline)


def _uses_postgresql() -> bool:
    return any(db["ENGINE"].endswith("postgresql") for db in settings.DATABASES.values())


@contextlib.contextmanager
def without_deadline() -> Iterator[None]:
    """No client deadline (and no wait callback: ``COPY`` works) while inside, process-wide."""
    global _lifted, _saved
    with _lifted_lock:
        if not _lifted:
            _saved = extensions.get_wait_callback()
            extensions.set_wait_callback(None)
        _lifted += 1
    try:
        yield
    finally:
        with _lifted_lock:
            _lifted -= 1
            if not _lifted:
                extensions.set_wait_callback(_saved)


@contextlib.contextmanager
def long_statements(using: str = "default") -> Iterator[None]:
    """Statements inside may run as long as they need: no ``statement_timeout`` on connection
    ``using`` and no client deadline (``COPY`` allowed). For imports and migrations, whose
    single statements can take minutes on large data."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        yield
        return
    try:
        with without_deadline():
            with connection.cursor() as cursor:
                cursor.execute("SET statement_timeout = 0")
            yield
    finally:
        try:
            with connection.cursor() as cursor:
                # Back to the start-up option's value (DATABASE_STATEMENT_TIMEOUT).
                cursor.execute("RESET statement_timeout")
        except DatabaseError:
            connection.close()  # broken or aborted: a new session starts with the limit again
