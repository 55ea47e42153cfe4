import uuid

import pytest

from sifi.models import Role
from tests.factories import api_client_for, make_org, make_user

pytest_plugins = [
    "tests.fakes.sandbox",
    "tests.fakes.odoo_sandbox",
    "tests.fakes.zoho_books_sandbox",
    "tests.fakes.wafeq_sandbox",
    "tests.fakes.worker",
    "tests.fakes.staged_books",
]


@pytest.fixture
def org_a(db):
    return make_org("Organization A")


@pytest.fixture
def org_b(db):
    return make_org("Organization B")


@pytest.fixture
def users_a(org_a):
    """One user of each role in Organization A, keyed by role."""
    return {role: make_user(org_a, role) for role in Role.values}


@pytest.fixture
def admin_a(users_a):
    return users_a[Role.ADMIN]


@pytest.fixture
def admin_b(org_b):
    return make_user(org_b, Role.ADMIN)


@pytest.fixture
def client_for():
    return api_client_for


@pytest.fixture(autouse=True)
def generous_qoyod_rate_limit(settings):
    """Unit tests mock Qoyod; the shared limiter must not slow them down. Limiter tests set
    their own limits explicitly."""
    settings.QOYOD_RATE_LIMIT_PER_MINUTE = 1_000_000
    settings.ODOO_RATE_LIMIT_PER_SECOND = 100_000


@pytest.fixture(autouse=True)
def fast_tests(settings, tmp_path):
    """Cheap password hashing and short retry backoff: behaviour is the same, only faster."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.QOYOD_RETRY_BASE_SECONDS = 0.01
    settings.ODOO_RETRY_BASE_SECONDS = 0.01
    settings.SYNC_RETRY_BASE_SECONDS = 0.01
    # In-process pushes stay on the test's connection: its uncommitted rows are invisible to
    # other threads' connections. Real workers (tests/fakes/worker.py) push concurrently.
    settings.SYNC_TURN_CONCURRENCY = 1
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def fresh_api_throttles(settings):
    """Every test starts with empty API throttle counters (login failures already live in the
    test's own database): one test's requests never count against another's."""
    settings.CACHES = {
        **settings.CACHES,
        "throttles": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": f"throttles-{uuid.uuid4()}",
        },
    }
