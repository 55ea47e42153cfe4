"""Settings read from environment variables, with defaults that work on a developer machine.

With DEBUG off (production, and every process `bin/start` runs) the settings refuse to load
without a real SECRET_KEY and FIELD_ENCRYPTION_KEYS: the dev-only defaults below are public
(they are in this file), and with them anyone could sign receipt links or decrypt the stored
provider keys. `bin/secrets` generates both.
"""

import base64
import datetime
import hashlib
from pathlib import Path

import environ
from celery.schedules import crontab
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env")  # optional; silently absent

DEBUG = env.bool("DEBUG", default=True)
_DEV_SECRET_KEY = "dev-only-insecure-secret-key-change-me-in-production"
SECRET_KEY = env.str("SECRET_KEY", default="" if not DEBUG else _DEV_SECRET_KEY)
if not DEBUG and (len(SECRET_KEY) < 50 or SECRET_KEY == _DEV_SECRET_KEY):
    raise ImproperlyConfigured(
        "DEBUG is off, so SECRET_KEY must be set to a secret of at least 50 characters "
        "(not the development default). Generate one with `bin/secrets` (it writes "
        "var/secrets.env) and pass it in the environment."
    )
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "csp",
    "axes",
    "sifi",
    "integrations",
    "accounting",
]  # + one app per accounting system, from ACCOUNTING_PROVIDERS below

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, as django-axes asks: turns a locked-out login into its 429 answer.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "sifi.urls"
WSGI_APPLICATION = "sifi.wsgi.application"
ASGI_APPLICATION = "sifi.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "sifi.context_processors.navigation",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default="postgres://postgres@127.0.0.1:5432/sifi"),
}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "sifi.User"
# django-axes first: it refuses a locked-out username from that address before the password
# is even checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "/login/"
CSRF_FAILURE_VIEW = "sifi.views.csrf_failure"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/login/"

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("ar", "العربية")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Riyadh"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Ingestion batches carry base64 receipts (up to 10 MB each).
DATA_UPLOAD_MAX_MEMORY_SIZE = 50 * 1024 * 1024
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(BASE_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

REDIS_URL = env.str("REDIS_URL", default="redis://127.0.0.1:6379/0")

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
    },
    # API throttle counters (sifi/throttling.py), shared by every web process.
    "throttles": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "throttle",
    },
}

# --- Secrets at rest -------------------------------------------------------------------------
# Comma-separated Fernet keys, newest first. Values are encrypted with the first key and
# decrypted with any of them, so a key can be rotated: prepend a new key, run
# `manage.py rotate_encryption_keys`, then drop the old one.
# Development only: derived from the (public) dev secret key. With DEBUG off they must be set.
_dev_fernet_key = base64.urlsafe_b64encode(hashlib.sha256(SECRET_KEY.encode()).digest()).decode()
FIELD_ENCRYPTION_KEYS = env.list(
    "FIELD_ENCRYPTION_KEYS", default=[_dev_fernet_key] if DEBUG else []
)
if not DEBUG and not FIELD_ENCRYPTION_KEYS:
    raise ImproperlyConfigured(
        "DEBUG is off, so FIELD_ENCRYPTION_KEYS must be set (comma-separated Fernet keys, newest "
        "first). Generate one with `bin/secrets` (it writes var/secrets.env)."
    )

# --- API -------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "sifi.authentication.ServiceTokenAuthentication",
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "sifi.pagination.StandardPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "sifi.schema.AutoSchema",
    "EXCEPTION_HANDLER": "sifi.exceptions.api_exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    # Per person (user token or session), per service token, per address when anonymous.
    "DEFAULT_THROTTLE_CLASSES": [
        "sifi.throttling.UserThrottle",
        "sifi.throttling.ServiceTokenThrottle",
        "sifi.throttling.AnonymousThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "user": env.str("API_RATE_USER", default="600/minute"),
        "service": env.str("API_RATE_SERVICE", default="120/minute"),
        "anonymous": env.str("API_RATE_ANONYMOUS", default="60/minute"),
    },
}
SPECTACULAR_SETTINGS = {
    "TITLE": "SiFi Accounting Sync API",
    "DESCRIPTION": "Connect Qoyod, verify SiFi transactions and sync them as draft journal "
    "entries.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI from our own static files (no CDN): the docs page works offline and under
    # the same Content-Security-Policy as every other page.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SWAGGER_UI_SETTINGS": {"validatorUrl": None},
    # Nullable fields are marked `nullable`, not as a separate enum of `null`.
    "ENUM_ADD_EXPLICIT_BLANK_NULL_CHOICE": False,
    # One name per set of choices (several models have a `status`).
    "ENUM_NAME_OVERRIDES": {
        "TransactionStatusEnum": "accounting.models.TransactionStatus",
        "SyncRunStatusEnum": "accounting.models.SyncRunStatus",
        "SyncRunItemOutcomeEnum": "accounting.models.SyncRunItemOutcome",
        "DirectionEnum": "accounting.models.Direction",
        "JobStatusEnum": "integrations.models.JobStatus",
    },
}

# --- Celery ----------------------------------------------------------------------------------
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL)
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default=REDIS_URL)
CELERY_TIMEZONE = "Asia/Riyadh"
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", 3600)}
CELERY_RESULT_EXPIRES = 24 * 3600

# Nightly configuration refresh for organizations with Auto Sync on (Asia/Riyadh).
AUTO_SYNC_HOUR = env.int("AUTO_SYNC_HOUR", default=2)
AUTO_SYNC_MINUTE = env.int("AUTO_SYNC_MINUTE", default=0)
CELERY_BEAT_SCHEDULE: dict[str, dict] = {
    "reap-stalled-sync-runs": {
        "task": "accounting.tasks.reap_stalled_sync_runs",
        "schedule": 60.0,
    },
    "nightly-auto-sync": {
        "task": "integrations.tasks.run_nightly_auto_sync",
        "schedule": crontab(hour=AUTO_SYNC_HOUR, minute=AUTO_SYNC_MINUTE),
    },
}

# --- Accounting systems ----------------------------------------------------------------------
# The providers the ledger can push to: key → provider class, by dotted path, loaded lazily
# (accounting/providers/). Adding a provider is adding its package and one line here.
ACCOUNTING_PROVIDERS = {
    "qoyod": "integrations.providers.qoyod.provider.QoyodProvider",
    "odoo": "integrations.providers.odoo.provider.OdooProvider",
    "zoho_books": "integrations.providers.zoho_books.provider.ZohoBooksProvider",
    "wafeq": "integrations.providers.wafeq.provider.WafeqProvider",
}
# Each provider's package (the one holding its Provider class) is an app of its own: it carries
# its sandbox command, and may carry templates and messages. No models, so no migrations.
INSTALLED_APPS += [dotted_path.rsplit(".", 2)[0] for dotted_path in ACCOUNTING_PROVIDERS.values()]
# --- Zoho Books (SPEC §3a) ---------------------------------------------------------------------
# SiFi's app in Zoho's API console (one client for every data centre it enabled).
ZOHO_CLIENT_ID = env.str("ZOHO_CLIENT_ID", default="")
ZOHO_CLIENT_SECRET = env.str("ZOHO_CLIENT_SECRET", default="")
# Where authorization starts; Zoho sends the person on to their data centre's server.
ZOHO_ACCOUNTS_URL = env.str("ZOHO_ACCOUNTS_URL", default="https://accounts.zoho.com")
# The only accounts servers a code is exchanged at or a refresh token is sent to (plain HTTP
# entries count only for a loopback or private address with ALLOW_PRIVATE_PROVIDER_URLS).
ZOHO_ACCOUNTS_SERVERS = env.list(
    "ZOHO_ACCOUNTS_SERVERS",
    default=[
        "https://accounts.zoho.com",
        "https://accounts.zoho.eu",
        "https://accounts.zoho.in",
        "https://accounts.zoho.com.au",
        "https://accounts.zoho.jp",
        "https://accounts.zoho.sa",
        "https://accounts.zoho.uk",
        "https://accounts.zohocloud.ca",
        "https://accounts.zoho.com.cn",
    ],
)
# A daily quota spent (code 45): the organization's pushes wait, one probe this often.
ZOHO_QUOTA_PROBE_SECONDS = env.float("ZOHO_QUOTA_PROBE_SECONDS", default=900.0)
# The daily quota of a connection whose `daily_quota` option is not set (Zoho's Free plan).
ZOHO_DAILY_QUOTA = env.int("ZOHO_DAILY_QUOTA", default=1000)
# Zoho's documented 100 requests a minute per organization (other values: benchmarks, tests).
ZOHO_RATE_LIMIT_PER_MINUTE = env.int("ZOHO_RATE_LIMIT_PER_MINUTE", default=100)
ZOHO_TIMEOUT_SECONDS = env.float("ZOHO_TIMEOUT_SECONDS", default=30.0)
# First wait of the read-retry backoff (doubles per attempt, capped at 10 s).
ZOHO_RETRY_BASE_SECONDS = env.float("ZOHO_RETRY_BASE_SECONDS", default=0.5)
# Where the demo finds the Zoho Books sandbox (`manage.py zoho_books_sandbox`).
ZOHO_SANDBOX_URL = env.str("ZOHO_SANDBOX_URL", default="http://127.0.0.1:8771")
# How the ledger finds an organization's connection (the integrations app owns them).
ACCOUNTING_CONNECTIONS = "integrations.connections.connection_for"
# How long a person has to come back from an OAuth provider's consent page (SPEC §3a: 10 min).
OAUTH_STATE_TTL_SECONDS = env.int("OAUTH_STATE_TTL_SECONDS", default=600)
# Where people open the receipt links we put in journal entries.
PUBLIC_BASE_URL = env.str("PUBLIC_BASE_URL", default="http://127.0.0.1:8000")
# First wait of the sync engine's backoff between attempts at one transaction (doubles per
# attempt, capped at 10 s) after a retryable error (server error, timeout, rate limit).
SYNC_RETRY_BASE_SECONDS = env.float("SYNC_RETRY_BASE_SECONDS", default=0.5)
# The fair scheduler (accounting/services/scheduler.py, docs/ARCHITECTURE.md): a company's
# pushes go in turns of at most this many transactions or seconds, then to the back of the
# queue behind the other companies' turns.
SYNC_TURN_TRANSACTIONS = env.int("SYNC_TURN_TRANSACTIONS", default=10)
SYNC_TURN_SECONDS = env.float("SYNC_TURN_SECONDS", default=2.0)
# Transactions of one turn pushed at once (threads of the worker: their requests overlap the
# provider's latency; each still takes its slot of the company's limit).
SYNC_TURN_CONCURRENCY = env.int("SYNC_TURN_CONCURRENCY", default=4)
# Turns of one company in flight: its requests per second x this (a request's time), 1 to max.
SYNC_SECONDS_PER_REQUEST = env.float("SYNC_SECONDS_PER_REQUEST", default=0.2)
SYNC_MAX_TURNS_PER_COMPANY = env.int("SYNC_MAX_TURNS_PER_COMPANY", default=4)
# A request waits for its company's next slot only if it opens within this; a longer wait
# defers the turn (a countdown) and frees the worker for another company.
SYNC_LIMIT_PACE_SECONDS = env.float("SYNC_LIMIT_PACE_SECONDS", default=0.25)
# A turn's lease outlives its last sign of life by this much: then the reaper starts another.
SYNC_TURN_LEASE_SECONDS = env.float("SYNC_TURN_LEASE_SECONDS", default=60.0)
# Reconciliations and chart syncs wait this long, again and again, while the company's pushes
# are pending: the same request budget goes to pushes first.
SYNC_READS_DEFER_SECONDS = env.float("SYNC_READS_DEFER_SECONDS", default=5.0)
# Once started, they wait for the company's request budget at most this long per request (a
# minute window's wait); a longer one — a daily quota spent — ends them with that reason
# rather than holding a worker for hours.
SYNC_READS_MAX_WAIT_SECONDS = env.float("SYNC_READS_MAX_WAIT_SECONDS", default=120.0)
# A turn deferred for longer (a provider's daily quota spent) comes back after this long to
# ask the budget again (Redis only, no request to the books): a countdown stays well inside
# the broker's visibility timeout, and people still see the whole wait.
SYNC_LONGEST_COUNTDOWN_SECONDS = env.float("SYNC_LONGEST_COUNTDOWN_SECONDS", default=900.0)
# The sync button asks for confirmation, with the estimate, before a run the organization's
# request limit makes at least this long (a daily quota: days).
SYNC_CONFIRM_ABOVE_SECONDS = env.float("SYNC_CONFIRM_ABOVE_SECONDS", default=3600.0)

# --- Qoyod -----------------------------------------------------------------------------------
QOYOD_BASE_URL = env.str("QOYOD_BASE_URL", default="https://api.qoyod.com/2.0")
# Where a person opens a journal entry in Qoyod's web app, "{id}" standing for its id; empty:
# entries are shown by number only.
QOYOD_ENTRY_URL = env.str("QOYOD_ENTRY_URL", default="")
QOYOD_TIMEOUT_SECONDS = env.float("QOYOD_TIMEOUT_SECONDS", default=30.0)
QOYOD_RATE_LIMIT_PER_MINUTE = env.int("QOYOD_RATE_LIMIT_PER_MINUTE", default=300)
# First wait of the read-retry backoff (doubles per attempt, capped at 10 s).
QOYOD_RETRY_BASE_SECONDS = env.float("QOYOD_RETRY_BASE_SECONDS", default=0.5)
# A sync run whose workers have not reported for this long is dispatched again by the reaper.
SYNC_RUN_STALLED_AFTER_SECONDS = env.float("SYNC_RUN_STALLED_AFTER_SECONDS", default=120.0)

# --- Odoo ------------------------------------------------------------------------------------
# Each organization names its own Odoo instance (URL, database, login, API key). Odoo documents
# no request limit: ours is per instance, shared by every worker process.
ODOO_RATE_LIMIT_PER_SECOND = env.int("ODOO_RATE_LIMIT_PER_SECOND", default=10)
ODOO_TIMEOUT_SECONDS = env.float("ODOO_TIMEOUT_SECONDS", default=30.0)
# First wait of the read-retry backoff (doubles per attempt, capped at 10 s).
ODOO_RETRY_BASE_SECONDS = env.float("ODOO_RETRY_BASE_SECONDS", default=0.5)
# Where `seed_demo --connect-odoo` finds the Odoo sandbox (`manage.py odoo_sandbox`).
ODOO_SANDBOX_URL = env.str("ODOO_SANDBOX_URL", default="http://127.0.0.1:8769")

# --- Wafeq -----------------------------------------------------------------------------------
# Wafeq's REST API (SPEC §3b); with ALLOW_PRIVATE_PROVIDER_URLS, plain HTTP on 127.0.0.1 (the
# sandbox, `manage.py wafeq_sandbox`).
WAFEQ_BASE_URL = env.str("WAFEQ_BASE_URL", default="https://api.wafeq.com/v1")
# Where a person opens an expense or a manual journal in Wafeq's web app: "{kind}" is
# "expenses" or "manual-journals", "{id}" the id; empty: entries are shown by id only.
WAFEQ_ENTRY_URL = env.str("WAFEQ_ENTRY_URL", default="https://app.wafeq.com/c/{kind}/{id}")
# Wafeq publishes no limit: ours is per API key (one organization), shared by every worker.
WAFEQ_RATE_LIMIT_PER_MINUTE = env.int("WAFEQ_RATE_LIMIT_PER_MINUTE", default=60)
WAFEQ_TIMEOUT_SECONDS = env.float("WAFEQ_TIMEOUT_SECONDS", default=30.0)
# First wait of the retry backoff (doubles per attempt, capped at 10 s).
WAFEQ_RETRY_BASE_SECONDS = env.float("WAFEQ_RETRY_BASE_SECONDS", default=0.5)

# A URL a person types (Odoo's instance URL) is called only over HTTPS and never at a private,
# loopback or link-local address, unless this is on; it also allows plain HTTP to such addresses
# (the sandboxes, tests). On by default only while DEBUG is.
ALLOW_PRIVATE_PROVIDER_URLS = env.bool("ALLOW_PRIVATE_PROVIDER_URLS", default=DEBUG)

# --- Demo ------------------------------------------------------------------------------------
DEMO_PASSWORD = env.str("DEMO_PASSWORD", default="sifi-demo-2025")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "httpx": {"level": "WARNING"},
        "httpcore": {"level": "WARNING"},
        "axes": {"level": "WARNING"},  # lockouts are warnings; every failed login is not
    },
}

# --- Login throttling (django-axes) ----------------------------------------------------------
# After 5 wrong passwords for one username from one address (login page, admin and the API's
# token endpoint alike), that pair is refused for 15 minutes, the right password included;
# a successful login resets the count. Per pair, not per username: a stranger cannot lock a
# colleague out from elsewhere. `manage.py axes_reset_username <name>` lifts a lockout early.
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = datetime.timedelta(minutes=env.int("LOGIN_LOCKOUT_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "sifi.views.login_locked_out"
AXES_HTTP_RESPONSE_CODE = 429
# The client's address: REMOTE_ADDR, unless TRUSTED_PROXY_COUNT proxies (docker-compose: 1)
# stand in front and append to X-Forwarded-For; never a header a client could forge alone.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
if TRUSTED_PROXY_COUNT:
    AXES_IPWARE_PROXY_COUNT = TRUSTED_PROXY_COUNT
    AXES_IPWARE_META_PRECEDENCE_ORDER = ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"]
else:
    AXES_IPWARE_META_PRECEDENCE_ORDER = ["REMOTE_ADDR"]
REST_FRAMEWORK["NUM_PROXIES"] = TRUSTED_PROXY_COUNT

# --- HTTPS and headers -----------------------------------------------------------------------
# HTTPS=true (the default when DEBUG is off) means the site is served over TLS, possibly by a
# proxy that sets X-Forwarded-Proto: secure cookies, redirect to HTTPS, HSTS. `bin/start`
# serves http://127.0.0.1 and turns it off.
HTTPS = env.bool("HTTPS", default=not DEBUG)
if HTTPS:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=365 * 24 * 3600)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# Every page: scripts, styles, images and fonts only from our own origin; no inline script
# or style (what a stored XSS would need), no plugins, no framing, forms post only to us.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}
