"""Settings read from environment variables, with defaults that work on a developer machine.

Production must set SECRET_KEY, FIELD_ENCRYPTION_KEYS and DEBUG=false.
"""

import base64
import hashlib
from pathlib import Path

import environ
from celery.schedules import crontab

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env")  # optional; silently absent

DEBUG = env.bool("DEBUG", default=True)
SECRET_KEY = env.str("SECRET_KEY", default="dev-only-insecure-secret-key-change-me-in-production")
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
    "django_htmx",
    "sifi",
    "integrations",
    "accounting",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
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
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "/login/"
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
    }
}

# --- Secrets at rest -------------------------------------------------------------------------
# Comma-separated Fernet keys, newest first. Values are encrypted with the first key and
# decrypted with any of them, so a key can be rotated: prepend a new key, run
# `manage.py rotate_encryption_keys`, then drop the old one.
_dev_fernet_key = base64.urlsafe_b64encode(hashlib.sha256(SECRET_KEY.encode()).digest()).decode()
FIELD_ENCRYPTION_KEYS = env.list("FIELD_ENCRYPTION_KEYS", default=[_dev_fernet_key])

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
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "sifi.exceptions.api_exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "SiFi Accounting Sync API",
    "DESCRIPTION": "Connect Qoyod, verify SiFi transactions and sync them as draft journal "
    "entries.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
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
# (accounting/providers.py). Adding a provider is adding its package and one line here.
ACCOUNTING_PROVIDERS = {
    "qoyod": "integrations.providers.qoyod.provider.QoyodProvider",
}
# How the ledger finds an organization's connection (the integrations app owns them).
ACCOUNTING_CONNECTIONS = "integrations.connections.connection_for"
# Where people open the receipt links we put in journal entries.
PUBLIC_BASE_URL = env.str("PUBLIC_BASE_URL", default="http://127.0.0.1:8000")
# First wait of the sync engine's backoff between attempts at one transaction (doubles per
# attempt, capped at 10 s) after a retryable error (server error, timeout, rate limit).
SYNC_RETRY_BASE_SECONDS = env.float("SYNC_RETRY_BASE_SECONDS", default=0.5)

# --- Qoyod -----------------------------------------------------------------------------------
QOYOD_BASE_URL = env.str("QOYOD_BASE_URL", default="https://api.qoyod.com/2.0")
QOYOD_TIMEOUT_SECONDS = env.float("QOYOD_TIMEOUT_SECONDS", default=30.0)
QOYOD_RATE_LIMIT_PER_MINUTE = env.int("QOYOD_RATE_LIMIT_PER_MINUTE", default=300)
# First wait of the read-retry backoff (doubles per attempt, capped at 10 s).
QOYOD_RETRY_BASE_SECONDS = env.float("QOYOD_RETRY_BASE_SECONDS", default=0.5)
# A sync run whose workers have not reported for this long is dispatched again by the reaper.
SYNC_RUN_STALLED_AFTER_SECONDS = env.float("SYNC_RUN_STALLED_AFTER_SECONDS", default=120.0)

# --- Demo ------------------------------------------------------------------------------------
DEMO_PASSWORD = env.str("DEMO_PASSWORD", default="sifi-demo-2025")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"httpx": {"level": "WARNING"}, "httpcore": {"level": "WARNING"}},
}

if not DEBUG:
    SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=True)
    CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=True)
