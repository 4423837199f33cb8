"""Gunicorn's logger with the secrets an address can carry (a calendar feed's ``?token=``, a
password-reset link's token) taken out of its access log.

Gunicorn writes its access log itself, outside Django's logging, from "atoms" such as ``%(r)s``
(the request line), ``%(U)s`` (the path), ``%(q)s`` (the query string) and ``%(f)s`` (the
Referer). Run it with ``--logger-class rocketship.gunicorn_logging.RedactingLogger`` (or
``logger_class`` in a gunicorn config file) and every atom is redacted as Django's log lines are
(``rocketship.middleware.redact_secrets``). An access log format without the request line and
query (e.g. ``%(h)s %(t)s "%(m)s %(U)s" %(s)s %(b)s``) leaves nothing to redact at all.
"""

from typing import Any

from gunicorn.glogging import Logger

from .middleware import redact_secrets


class RedactingLogger(Logger):
    def atoms(self, resp: Any, req: Any, environ: dict, request_time: Any) -> dict:
        atoms = super().atoms(resp, req, environ, request_time)
        return {
            key: redact_secrets(value) if isinstance(value, str) else value
            for key, value in atoms.items()
        }
