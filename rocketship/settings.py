"""Settings, all read from the environment with safe local defaults.

Unset, everything runs on one machine with no servers: a SQLite file under ``var/``, Celery tasks
run in-process, DEBUG off. Production sets ``DATABASE_URL``, ``REDIS_URL``, ``SECRET_KEY``,
``ALLOWED_HOSTS`` and ``HTTPS=true``; with those, ``manage.py check --deploy`` is clean.
"""

import re
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.core.management.utils import get_random_secret_key

from .env import env_bool, env_int, env_list, env_str, env_time

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("ROCKETSHIP_VAR_DIR") or BASE_DIR / "var")


def _local_secret_key() -> str:
    """A per-checkout key kept in var/, so local sessions survive restarts without a shared
    default key that would be insecure if it ever reached a server."""
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    key_file = VAR_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(get_random_secret_key())
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = env_str("SECRET_KEY") or _local_secret_key()
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "rocketship.apps.RocketshipAdminConfig",
    "django.contrib.auth",
    "axes",  # failed logins lock a username and an address (rocketship.login_guard)
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI's assets served from here, not from a CDN
    "django_htmx",
    "csp",
    "students",
    "scheduling",
    "learninglabs",
    "families",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",  # the Content-Security-Policy header on every answer
    "rocketship.unavailable.DatabaseUnavailableMiddleware",  # above session and auth: see there
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    # Before CSRF, which parses a POST's body: an upload page's oversized body is a 413 first.
    "rocketship.upload_limits.UploadBodyLimitMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Family URLs and signed-in guardians in the guardian's language; staff pages stay en-us.
    "families.language.FamilyLanguageMiddleware",
    # A guardian's session reaches family URLs only: never a staff page, the admin or the API.
    "families.boundary.FamilyBoundaryMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "rocketship.middleware.RequestIdMiddleware",
    "rocketship.school_zone.SchoolTimeZoneMiddleware",  # the URL's school's zone, then reset
    "rocketship.api_middleware.ApiProblemMiddleware",
    "rocketship.api_middleware.ApiBodyLimitMiddleware",
    "axes.middleware.AxesMiddleware",  # last: turns a locked-out login into the lockout page
]

ROOT_URLCONF = "rocketship.urls"
WSGI_APPLICATION = "rocketship.wsgi.application"
ASGI_APPLICATION = "rocketship.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "scheduling.navigation.navigation",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------------------------
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'rocketship.sqlite3'}",
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Local SQLite: persistent connections gain nothing and hold the file lock longer.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20
# Time limits on PostgreSQL (rocketship.db_timeouts), in seconds; 0 turns one off. A database
# that stalls must cost a page seconds (then a 503), never a gunicorn worker (30 s timeout).
# Opening a connection: libpq's connect_timeout, and the client's own bound on it.
DATABASE_CONNECT_TIMEOUT = env_int("DATABASE_CONNECT_TIMEOUT", 5)
# The server cancels a statement running longer (statement_timeout). Imports and migrations lift
# it where their statements are long by nature (rocketship.db_timeouts.long_statements).
DATABASE_STATEMENT_TIMEOUT = env_int("DATABASE_STATEMENT_TIMEOUT", 10)
# The client gives up on any answer after this long and drops the connection: the one limit
# that fires when the server or the network hangs (statement_timeout runs on the server). Above
# DATABASE_STATEMENT_TIMEOUT, so a live server's own cancellation comes first (and off with it).
DATABASE_READ_TIMEOUT = env_int(
    "DATABASE_READ_TIMEOUT", DATABASE_STATEMENT_TIMEOUT + 5 if DATABASE_STATEMENT_TIMEOUT else 0
)
# The server ends a session idle inside a transaction this long (a hung client holding locks).
DATABASE_IDLE_IN_TRANSACTION_TIMEOUT = env_int("DATABASE_IDLE_IN_TRANSACTION_TIMEOUT", 10 * 60)
# TCP keepalives notice a server (or a network path) that died without closing the connection:
# a probe after this many idle seconds, then every DATABASE_KEEPALIVES_INTERVAL, given up
# after DATABASE_KEEPALIVES_COUNT unanswered ones.
DATABASE_KEEPALIVES_IDLE = env_int("DATABASE_KEEPALIVES_IDLE", 30)
DATABASE_KEEPALIVES_INTERVAL = env_int("DATABASE_KEEPALIVES_INTERVAL", 10)
DATABASE_KEEPALIVES_COUNT = env_int("DATABASE_KEEPALIVES_COUNT", 3)
# Data sent and not acknowledged for this long drops the connection (tcp_user_timeout).
DATABASE_TCP_USER_TIMEOUT = env_int("DATABASE_TCP_USER_TIMEOUT", 30)
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    _server_options = f"-c statement_timeout={DATABASE_STATEMENT_TIMEOUT * 1000}"
    if DATABASE_IDLE_IN_TRANSACTION_TIMEOUT:
        _server_options += (
            f" -c idle_in_transaction_session_timeout={DATABASE_IDLE_IN_TRANSACTION_TIMEOUT * 1000}"
        )
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "connect_timeout": DATABASE_CONNECT_TIMEOUT,
            "options": _server_options,  # the session's settings, sent as it starts
            "keepalives": 1,
            "keepalives_idle": DATABASE_KEEPALIVES_IDLE,
            "keepalives_interval": DATABASE_KEEPALIVES_INTERVAL,
            "keepalives_count": DATABASE_KEEPALIVES_COUNT,
            "tcp_user_timeout": DATABASE_TCP_USER_TIMEOUT * 1000,  # milliseconds
        }
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# The migration owner (README "Security"): when set, ``manage.py migrate`` and
# ``manage.py grant_app_role`` connect with this URL's user, password, host and port (to the
# database DATABASE_URL names); the app's role (DATABASE_URL) keeps only the rights
# ``grant_app_role`` gives it. Unset, migrate runs as DATABASE_URL's role, as before.
MIGRATE_DATABASE_URL = env_str("MIGRATE_DATABASE_URL")
if MIGRATE_DATABASE_URL:
    _owner = dj_database_url.parse(MIGRATE_DATABASE_URL)
    if (_owner["ENGINE"], _owner["NAME"]) != (
        DATABASES["default"]["ENGINE"],
        DATABASES["default"]["NAME"],
    ):
        raise ImproperlyConfigured(
            "MIGRATE_DATABASE_URL must name the same database as DATABASE_URL "
            f"({DATABASES['default']['NAME']!r}), as the owner role"
        )

# --- Celery ---------------------------------------------------------------------------------------
REDIS_URL = env_str("REDIS_URL")
# Time limits on Redis, in seconds: a Redis that stalls (a failover, a network that drops packets)
# must fail a command, not hang it. Opening a connection:
REDIS_CONNECT_TIMEOUT = env_int("REDIS_CONNECT_TIMEOUT", 5)
# ...and waiting for a command's answer, for the broker, the result backend and the beat. The
# workers' long wait for tasks (BRPOP) is not bounded by it: kombu sends it with its own timeout.
REDIS_SOCKET_TIMEOUT = env_int("REDIS_SOCKET_TIMEOUT", 10)
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = REDIS_URL or None
# Without Redis there is no worker to hand tasks to: run them in-process so the product still works.
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True  # a worker killed mid-build hands the task to another worker
# ...and so does a pool process killed under its worker (acks_late alone would ack it as failed).
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1  # builds are long; do not hoard them on one worker
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 30 * 60)
# Redis hands an unacknowledged task to another worker after this long: it must outlast the
# longest task, or a build still running would be started a second time.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", CELERY_TASK_TIME_LIMIT + 10 * 60),
    "socket_timeout": REDIS_SOCKET_TIMEOUT,
    "socket_connect_timeout": REDIS_CONNECT_TIMEOUT,
    "socket_keepalive": True,
}
CELERY_BROKER_CONNECTION_TIMEOUT = REDIS_CONNECT_TIMEOUT
CELERY_REDIS_SOCKET_TIMEOUT = REDIS_SOCKET_TIMEOUT  # the result backend
CELERY_REDIS_SOCKET_CONNECT_TIMEOUT = REDIS_CONNECT_TIMEOUT
CELERY_REDIS_SOCKET_KEEPALIVE = True
# Our Redis transport (rocketship.broker): a task handed back because its pool process was
# killed goes to the head of its queue, to be redone next, not behind the rest of the night.
CELERY_BROKER_TRANSPORT = "rocketship.broker:Transport" if REDIS_URL else None
# Tasks without a route (CELERY_TASK_ROUTES, below with the nightly settings) go to this queue.
CELERY_TASK_DEFAULT_QUEUE = env_str("CELERY_DEFAULT_QUEUE", "celery")
CELERY_RESULT_EXPIRES = 7 * 24 * 60 * 60
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = "UTC"
# One beat at a time: RedBeat keeps the schedule in Redis and holds a lock there while it runs;
# a second beat waits for the lock (the tasks are idempotent in case two ever fire). Ours takes
# a lost lock again (a Redis restarted without persistence) instead of exiting (rocketship.beat).
CELERY_BEAT_SCHEDULER = "rocketship.beat.LockKeepingRedBeatScheduler"
CELERY_REDBEAT_REDIS_URL = REDIS_URL
CELERY_REDBEAT_KEY_PREFIX = "rocketship:redbeat"
CELERY_REDBEAT_REDIS_OPTIONS = {
    "socket_timeout": REDIS_SOCKET_TIMEOUT,
    "socket_connect_timeout": REDIS_CONNECT_TIMEOUT,
}
CELERY_REDBEAT_LOCK_TIMEOUT = env_int("CELERY_REDBEAT_LOCK_TIMEOUT", 5 * 60)
# A waiting beat tries for the lock this often; the lock outlives a few of these.
CELERY_BEAT_MAX_LOOP_INTERVAL = env_int("CELERY_BEAT_MAX_LOOP_INTERVAL", 60)
CELERY_BEAT_SCHEDULE = {
    "clear-expired-sessions": {
        "task": "students.tasks.sessions_clear_expired",
        "schedule": 60 * 60 * 6,
    },
    # Each school's night starts at its own local NIGHTLY_LOCAL_TIME: the fan-out runs often and
    # starts the schools whose time has come (scheduling.services.nightly).
    "nightly-fan-out": {"task": "scheduling.tasks.nightly_fan_out", "schedule": 5 * 60},
    # Jobs lost with their worker (builds, nightly runs, imports) are run again or failed.
    "jobs-sweep": {"task": "students.tasks.jobs_sweep", "schedule": 5 * 60},
    # Families' daily digests, each at FAMILY_DIGEST_HOUR in its school's zone (families.notices).
    "family-notices-due": {"task": "families.tasks.notices_send_due", "schedule": 10 * 60},
    # Home-visit reminders, the day before, from HOME_VISIT_REMINDER_HOUR in each school's zone.
    "home-visit-reminders": {
        "task": "families.tasks.visit_reminders_send_due",
        "schedule": 15 * 60,
    },
}

# --- Background jobs (students.jobs) ------------------------------------------------------------
# A job queued or running longer than twice its task's hard time limit was lost with its worker:
# the sweeper queues it again, or fails it once it has been tried JOBS_MAX_ATTEMPTS times
# (nightly runs: NIGHTLY_STALE_SECONDS and NIGHTLY_MAX_ATTEMPTS). One running this long past its
# task's hard limit is shown "lost, running again" already: no live worker can still be at it.
JOBS_LOST_GRACE_SECONDS = env_int("JOBS_LOST_GRACE_SECONDS", 30)
JOBS_MAX_ATTEMPTS = env_int("JOBS_MAX_ATTEMPTS", 3)
# A reviewed roster dry run keeps its export (students' names) this long to be applied.
ROSTER_DRY_RUN_KEEP_HOURS = env_int("ROSTER_DRY_RUN_KEEP_HOURS", 7 * 24)
# Fault tests only: a claimed import waits for a marker file in this folder (students.jobs).
JOBS_TEST_GATE_DIR = env_str("JOBS_TEST_GATE_DIR")

# --- Families' messages about changes (families.notices) -------------------------------------
# The local hour (each school's zone) of the daily digest for guardians who chose one a day.
FAMILY_DIGEST_HOUR = env_int("FAMILY_DIGEST_HOUR", 17)
# The local hour from which educators get the email about tomorrow's home visits.
HOME_VISIT_REMINDER_HOUR = env_int("HOME_VISIT_REMINDER_HOUR", 15)

# --- The nightly rebuild (scheduling.services.nightly) --------------------------------------------
NIGHTLY_LOCAL_TIME = env_time("NIGHTLY_LOCAL_TIME", "02:00")  # in each school's own time zone
NIGHTLY_WINDOW_HOURS = env_int("NIGHTLY_WINDOW_HOURS", 4)  # a beat down at 02:00 catches up
NIGHTLY_HORIZON_DAYS = env_int("NIGHTLY_HORIZON_DAYS", 7)  # look past weekends and short breaks
# One limit for every school's night (the task's hard limit is sized on it); a leader's build
# and build_schedules use the school's own "Build time limit" setting (solve_seconds) instead.
NIGHTLY_SOLVE_SECONDS = env_int("NIGHTLY_SOLVE_SECONDS", 20)
NIGHTLY_SOLVE_WORKERS = env_int("NIGHTLY_SOLVE_WORKERS", 1)
# Every build's solver limit in CP-SAT deterministic units instead of seconds (then only a safety
# net), so its outcome does not depend on the machine's speed. Tests set it; production leaves it
# unset and runs on the configured seconds.
SOLVER_WORK_LIMIT = float(env_str("SOLVER_WORK_LIMIT")) if env_str("SOLVER_WORK_LIMIT") else None
# Stop optimising a school's day after this many seconds without a better one (0: never early).
NIGHTLY_SOLVE_PATIENCE = env_int("NIGHTLY_SOLVE_PATIENCE", 4)
# The rebuild task's hard time limit: the solver stops itself at NIGHTLY_SOLVE_SECONDS, so this
# only catches a hang, and it bounds how long a run whose worker died can look "running".
NIGHTLY_TIME_LIMIT = env_int("NIGHTLY_TIME_LIMIT", NIGHTLY_SOLVE_SECONDS * 3 + 5 * 60)
# The rebuilds have a queue of their own; the other tasks (fan-out, sweep, notifications: short,
# and not to wait behind a night of rebuilds) stay on CELERY_TASK_DEFAULT_QUEUE. A worker started
# with `-Q` this queue alone takes unacknowledged-message bookkeeping of its own in Redis and
# NIGHTLY_VISIBILITY_TIMEOUT (rocketship.broker): a rebuild whose whole worker died goes to
# another worker after that, not after the 40 minutes the other queues need.
NIGHTLY_QUEUE = env_str("NIGHTLY_QUEUE", "nightly")
CELERY_TASK_ROUTES = {"scheduling.tasks.nightly_rebuild": {"queue": NIGHTLY_QUEUE}}
# Must outlast NIGHTLY_TIME_LIMIT and the longest retry countdown (OUTAGE_RETRY_CAP_SECONDS: a
# worker holds a retry unacknowledged until its time comes), or a live rebuild is handed out twice.
NIGHTLY_VISIBILITY_TIMEOUT = env_int("NIGHTLY_VISIBILITY_TIMEOUT", NIGHTLY_TIME_LIMIT + 2 * 60)
# A run queued or running longer than this lost its task: the sweeper queues it again. About
# twice the hard limit: no live worker can still hold it, and a night loses minutes, not hours.
NIGHTLY_STALE_SECONDS = env_int("NIGHTLY_STALE_SECONDS", 2 * NIGHTLY_TIME_LIMIT)
NIGHTLY_MAX_ATTEMPTS = env_int("NIGHTLY_MAX_ATTEMPTS", 5)

# --- Outages (rocketship.outages) ---------------------------------------------------------------
# A task that cannot reach PostgreSQL or Redis is retried after a wait doubling from the floor to
# the cap (three quarters of it to all of it, at random, never under the floor), for at least the
# budget. The cap stays under the broker's visibility timeout (a worker refuses to start else).
OUTAGE_RETRY_FLOOR_SECONDS = env_int("OUTAGE_RETRY_FLOOR_SECONDS", 5)
OUTAGE_RETRY_CAP_SECONDS = env_int("OUTAGE_RETRY_CAP_SECONDS", 60)
OUTAGE_RETRY_BUDGET_SECONDS = env_int("OUTAGE_RETRY_BUDGET_SECONDS", 30 * 60)
# A worker whose task met an outage asks the database and Redis whether they answer (a new
# connection, within DATABASE_CONNECT_TIMEOUT and REDIS_CONNECT_TIMEOUT); without an answer it
# stops taking tasks and asks again this often, taking tasks again once answered.
OUTAGE_PROBE_SECONDS = env_int("OUTAGE_PROBE_SECONDS", 5)

# --- Cache ---------------------------------------------------------------------------------------
# Seconds a cache command (or opening its connection) may take before it is given up: the cache's
# commands answer in well under a millisecond, and a request goes on without the cache then.
CACHE_REDIS_SOCKET_TIMEOUT = env_int("CACHE_REDIS_SOCKET_TIMEOUT", 2)
# After a cache operation failed, this process skips the cache for this many seconds (no socket
# timeout to wait out per operation while Redis stalls), then tries it again (rocketship.cache).
CACHE_REST_SECONDS = env_int("CACHE_REST_SECONDS", 5)
# Shared by every gunicorn worker in production (API rate counters, cached published schedules);
# without Redis, each process keeps its own in memory, which is right for one machine.
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "rocketship.cache.ReusedClientRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "rocketship",
            # Given to redis-py's connection pool. The cache is best effort (rocketship.cache):
            # a request waits at most this long for it before going on without it.
            "OPTIONS": {
                "socket_timeout": CACHE_REDIS_SOCKET_TIMEOUT,
                "socket_connect_timeout": CACHE_REDIS_SOCKET_TIMEOUT,
            },
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "rocketship",
            "OPTIONS": {"MAX_ENTRIES": 10_000},
        }
    }

# --- Auth, sessions -------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
SESSION_COOKIE_AGE = 60 * 60 * 12  # one school day; staff log in each morning
# Database sessions that stay remembered when rotated (a password change), so deactivating a
# user ends every one of them (students.sessions).
SESSION_ENGINE = "students.sessions"

# --- Guessing: login lockouts, reset limits, the client's address (rocketship.login_guard) ------
# The client's address comes from X-Forwarded-For only behind a proxy named here (addresses or
# networks) or counted here; unset, it is REMOTE_ADDR and the header is ignored
# (rocketship.client_address). Every limit keyed by address uses it.
TRUSTED_PROXIES = env_list("TRUSTED_PROXIES", [])
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first: refuses a locked-out login before checking
    "django.contrib.auth.backends.ModelBackend",
]
# Failures per username, and per address (higher: a school's staff often share one address),
# counted over LOGIN_LOCKOUT_MINUTES; past either limit logging in is refused, even with the
# right password, until that long passes without a new failure.
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 10)
LOGIN_ADDRESS_FAILURE_LIMIT = env_int("LOGIN_ADDRESS_FAILURE_LIMIT", 50)
LOGIN_LOCKOUT_MINUTES = env_int("LOGIN_LOCKOUT_MINUTES", 15)
AXES_COOLOFF_TIME = timedelta(minutes=LOGIN_LOCKOUT_MINUTES)
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]  # either one locks
AXES_HANDLER = "rocketship.login_guard.LoginGuardHandler"
AXES_CLIENT_IP_CALLABLE = "rocketship.login_guard.axes_client_address"
AXES_LOCKOUT_CALLABLE = "rocketship.login_guard.lockout_response"
AXES_RESET_ON_SUCCESS = False  # else logging in to one's own account clears the address's count
AXES_SENSITIVE_PARAMETERS: list[str] = []  # log the username and address; passwords always masked
AXES_DISABLE_ACCESS_LOG = True  # successful logins are logged, not kept in a growing table
# Password-reset requests per address and per email address, in a window of this many minutes.
PASSWORD_RESET_LIMIT_PER_ADDRESS = env_int("PASSWORD_RESET_LIMIT_PER_ADDRESS", 10)
PASSWORD_RESET_LIMIT_PER_EMAIL = env_int("PASSWORD_RESET_LIMIT_PER_EMAIL", 3)
PASSWORD_RESET_WINDOW_MINUTES = env_int("PASSWORD_RESET_WINDOW_MINUTES", 60)

# --- Family accounts (families.invitations, families.signin) -----------------------------------
# An invitation (email, or a printed letter with a QR code and a one-time code) stays open this
# many days: a letter goes home in a backpack and may sit a week or two.
FAMILY_INVITATION_DAYS = env_int("FAMILY_INVITATION_DAYS", 30)
# Wrong one-time codes typed against one invitation before it is revoked (a new one is needed).
FAMILY_CODE_FAILURE_LIMIT = env_int("FAMILY_CODE_FAILURE_LIMIT", 5)
# One-time codes tried from one address in FAMILY_CODE_WINDOW_MINUTES: past it, 429. Codes are
# 8 of 31 characters (~40 bits), so this keeps guessing any open invitation hopeless.
FAMILY_CODE_LIMIT_PER_ADDRESS = env_int("FAMILY_CODE_LIMIT_PER_ADDRESS", 20)
FAMILY_CODE_WINDOW_MINUTES = env_int("FAMILY_CODE_WINDOW_MINUTES", 60)
# Emailed sign-in links: valid this long, and asked for at most this often per address/email.
FAMILY_SIGN_IN_LINK_MINUTES = env_int("FAMILY_SIGN_IN_LINK_MINUTES", 15)
FAMILY_SIGN_IN_LINKS_PER_ADDRESS = env_int("FAMILY_SIGN_IN_LINKS_PER_ADDRESS", 10)
FAMILY_SIGN_IN_LINKS_PER_EMAIL = env_int("FAMILY_SIGN_IN_LINKS_PER_EMAIL", 3)
# Guardians read on a phone: a family session lasts this many days (staff: SESSION_COOKIE_AGE).
FAMILY_SESSION_DAYS = env_int("FAMILY_SESSION_DAYS", 60)

# --- Content-Security-Policy (django-csp) -------------------------------------------------------
# Scripts only from our own files: no inline script or event handler, no eval, nothing from
# another site (htmx is django-htmx's copy, Swagger UI drf-spectacular-sidecar's). Styles allow
# inline: the day pictures place blocks with style="left: ..%", the error pages and Swagger UI
# carry a <style>, and htmx adds its indicator style. Images allow data: (Swagger UI's icons).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# --- HTTPS and cookies ----------------------------------------------------------------------------
# HTTPS=true is the production switch; each setting can still be overridden on its own.
HTTPS = env_bool("HTTPS", False)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", HTTPS)
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", HTTPS)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", HTTPS)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 60 * 60 * 24 * 365 if HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", HTTPS)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", HTTPS)
if env_bool("BEHIND_TLS_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# --- Internationalisation -------------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
# Stored times are UTC; each school's own zone is activated when its data is shown.
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
# One locale, US English: every date and time people read goes through the named formats of
# rocketship/formats/en/formats.py (12-hour clock, "Dec. 7, 2026"), never a hand-written format.
# Family pages in es/vi: rocketship/formats/{es,vi} add only the project's names; Django's own
# names keep Django's Spanish and Vietnamese values ("7 de diciembre de 2026").
FORMAT_MODULE_PATH = ["rocketship.formats"]
# Staff pages are US English; family pages speak each guardian's language (families.language).
LANGUAGES = [("en", "English"), ("es", "Español"), ("vi", "Tiếng Việt")]
LOCALE_PATHS = [BASE_DIR / "locale"]

# --- Static files ---------------------------------------------------------------------------------
STATIC_URL = "static/"
# Where collectstatic writes and WhiteNoise serves from. A directory of its own per run of
# bin/run under test: collectstatic rewrites files there that a running server scans.
STATIC_ROOT = Path(env_str("ROCKETSHIP_STATIC_ROOT") or BASE_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}


# --- REST API -------------------------------------------------------------------------------------
def _api_rate(name: str, default: str) -> str:
    """A rate like ``600/minute`` from the environment; a malformed one stops start-up."""
    rate = env_str(name, default)
    if not re.fullmatch(r"[0-9]+/[0-9]*[smhd][a-z]*", rate):
        raise ImproperlyConfigured(f"{name}={rate!r}: expected a rate like 600/minute")
    return rate


# Writes under /api/ with a larger body answer 413; a view may set its own ``max_body_bytes``.
API_MAX_BODY_BYTES = env_int("API_MAX_BODY_BYTES", 1024 * 1024)

# Uploads. A roster export (.zip) larger than ROSTER_IMPORT_MAX_BYTES is refused at the upload
# (413 for the API, a form error on the page); its CSV files are unpacked while counting the bytes
# that come out (students.oneroster.source.ExportLimits): at most ..._MEMBER_BYTES one file, ...
# _UNCOMPRESSED_BYTES all of them, ..._RATIO times a file's compressed size (above 4 MiB), and
# the zip may hold at most ..._MEMBERS entries. A 20-school export (12,000 students) is 3.7 MB of
# CSV. A progress CSV larger than PROGRESS_UPLOAD_MAX_BYTES answers 413 (a million rows: 40 MB).
ROSTER_IMPORT_MAX_BYTES = env_int("ROSTER_IMPORT_MAX_BYTES", 50 * 1024 * 1024)
ROSTER_IMPORT_MAX_UNCOMPRESSED_BYTES = env_int("ROSTER_IMPORT_MAX_UNCOMPRESSED_BYTES", 128 << 20)
ROSTER_IMPORT_MAX_MEMBER_BYTES = env_int("ROSTER_IMPORT_MAX_MEMBER_BYTES", 64 << 20)
ROSTER_IMPORT_MAX_RATIO = env_int("ROSTER_IMPORT_MAX_RATIO", 100)
ROSTER_IMPORT_MAX_MEMBERS = env_int("ROSTER_IMPORT_MAX_MEMBERS", 1000)
PROGRESS_UPLOAD_MAX_BYTES = env_int("PROGRESS_UPLOAD_MAX_BYTES", 200 * 1024 * 1024)
# Rendered published schedules each API process keeps in memory (a version never changes; an L
# school's day is about 60 KB). 0 keeps them only in the shared cache.
API_SCHEDULE_MEMORY_ENTRIES = env_int("API_SCHEDULE_MEMORY_ENTRIES", 128)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "students.api.auth.ClientTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # DRF's parsers, with JSON bounded in depth: a deeply nested body is a 400, not a 500.
    "DEFAULT_PARSER_CLASSES": [
        "rocketship.api_parsers.BoundedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_FILTER_BACKENDS": [
        "students.api.filters.SchoolScopeFilter",
        # django-filter's: ?school= / ?cohort= / ... match ids as given (another school's id
        # answers as one that does not exist), and any object choices are scoped to the caller.
        "students.api.filters.ScopedFilterBackend",
    ],
    "DEFAULT_PAGINATION_CLASS": "students.api.pagination.StrictPageNumberPagination",
    "PAGE_SIZE": 100,
    "DEFAULT_THROTTLE_CLASSES": ["students.api.throttling.PrincipalRateThrottle"],
    # Per client (all its tokens together), per signed-in user, per anonymous address. A
    # display board polls once a minute; a district sync pulls a school in a few hundred calls.
    "DEFAULT_THROTTLE_RATES": {
        "client": _api_rate("API_RATE_CLIENT", "1200/minute"),
        "user": _api_rate("API_RATE_USER", "600/minute"),
        "anon": _api_rate("API_RATE_ANON", "60/minute"),
    },
    "DEFAULT_SCHEMA_CLASS": "rocketship.api_schema.ProblemAutoSchema",
    "EXCEPTION_HANDLER": "rocketship.api_errors.problem_exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Rocketship API",
    "DESCRIPTION": "Published rotation schedules, rosters and Learning Lab progress.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # /api/docs/ serves Swagger UI from drf_spectacular_sidecar's static files: no CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Two models have a "state": keep each enum's name stable for generated clients.
    "ENUM_NAME_OVERRIDES": {
        "StateEnum": "scheduling.models.BuildState",
        "NightlyRunStateEnum": "scheduling.models.RunState",
        # Service kinds appear as a need's "kind", a lab segment's service "kind" and a lab
        # group's "service_kind": one enum, under the name service needs always had.
        "ServiceNeedKindEnum": "students.models.ServiceKind",
    },
}

# --- Logging --------------------------------------------------------------------------------------
# Log lines carry ids (user, school, student, request), never names: see students.audit.
LOG_LEVEL = env_str("LOG_LEVEL", "INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "request_id": {"()": "rocketship.middleware.RequestIdLogFilter"},
        # A calendar feed's ?token= or a reset link's token never reaches a log line.
        "redact_secrets": {"()": "rocketship.middleware.RedactSecretsLogFilter"},
    },
    "formatters": {
        "plain": {
            "format": "%(asctime)s %(levelname)s %(name)s [req=%(request_id)s] %(message)s",
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["request_id", "redact_secrets"],
        },
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # Request lines (runserver) and the paths of 4xx/5xx answers, redacted where logged.
        "django.server": {
            "handlers": ["console"],
            "level": "INFO",
            "propagate": False,
            "filters": ["redact_secrets"],
        },
        "django.request": {"filters": ["redact_secrets"]},
    },
}

# --- Email (password reset) -----------------------------------------------------------------------
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 587)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "rocketship@localhost")
# Where people reach the site, for links in messages sent without a request (nightly emails).
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
