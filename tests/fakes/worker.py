"""A real Celery worker process for tests, pointed at the test database and the sandbox.

Use the `worker` fixture in tests marked `django_db(transaction=True)` (the worker reads what
the test committed). It shares the test's Redis (bin/test gives tests their own database).
"""

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from django.conf import settings
from django.db import connection

from accounting.services import scheduler
from sifi.celery import app as celery_app

ROOT = Path(__file__).resolve().parents[2]


class Worker:
    """`celery -A sifi worker` in its own process group, pointed at the test database."""

    def __init__(self, env: dict[str, str], *, concurrency: int = 3) -> None:
        self.env = env
        self.concurrency = concurrency
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "sifi",
                "worker",
                f"--concurrency={self.concurrency}",
                "--pool=prefork",
                "--loglevel=WARNING",
                "--without-gossip",
                "--without-mingle",
                f"--hostname=test-{os.getpid()}-{time.monotonic_ns()}@%h",
            ],
            cwd=ROOT,
            env=self.env,
            start_new_session=True,  # its own process group: SIGKILL reaches the children
        )

    def kill(self) -> None:
        """SIGKILL the worker and its pool processes: no cleanup, no acks, no goodbyes."""
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)
        self.process = None

    def stop(self) -> None:
        if self.process is not None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
            self.process = None


def _forget_broker_messages() -> None:
    """No message of an earlier test (or of a killed worker) reaches this test's worker."""
    celery_app.control.purge()
    broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    broker.delete("unacked", "unacked_index", "unacked_mutex")
    scheduler.forget_all()  # and no turn of an earlier test holds a company's stripe


def worker_env(qoyod_sandbox: Any, settings: Any, **overrides: str) -> dict[str, str]:
    """What a test worker process runs with (the test's database, Redis and sandbox)."""
    db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": (
            f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
        ),
        "REDIS_URL": settings.REDIS_URL,
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "CELERY_RESULT_BACKEND": settings.CELERY_RESULT_BACKEND,
        "QOYOD_BASE_URL": qoyod_sandbox.base_url,
        "QOYOD_RETRY_BASE_SECONDS": "0.05",
        "SYNC_RETRY_BASE_SECONDS": "0.05",
        # A killed worker's turns are taken over after 10 s (a minute in production).
        "SYNC_TURN_LEASE_SECONDS": "10",
        "QOYOD_TIMEOUT_SECONDS": str(settings.QOYOD_TIMEOUT_SECONDS),
        "QOYOD_RATE_LIMIT_PER_MINUTE": "100000",
        # The Odoo sandbox listens on 127.0.0.1 over plain HTTP, as in development.
        "ALLOW_PRIVATE_PROVIDER_URLS": "true",
        "ODOO_RETRY_BASE_SECONDS": "0.05",
        "ODOO_TIMEOUT_SECONDS": str(settings.ODOO_TIMEOUT_SECONDS),
        "ODOO_RATE_LIMIT_PER_SECOND": "100000",
        # The Zoho Books sandbox's OAuth client and accounts server (its fixture's settings).
        "ZOHO_CLIENT_ID": settings.ZOHO_CLIENT_ID,
        "ZOHO_CLIENT_SECRET": settings.ZOHO_CLIENT_SECRET,
        "ZOHO_ACCOUNTS_SERVERS": ",".join(settings.ZOHO_ACCOUNTS_SERVERS),
        "ZOHO_RETRY_BASE_SECONDS": "0.05",
        "ZOHO_TIMEOUT_SECONDS": str(settings.ZOHO_TIMEOUT_SECONDS),
        "ZOHO_RATE_LIMIT_PER_MINUTE": str(settings.ZOHO_RATE_LIMIT_PER_MINUTE),
        "WAFEQ_BASE_URL": settings.WAFEQ_BASE_URL,  # the Wafeq sandbox, when a test has one
        "WAFEQ_RETRY_BASE_SECONDS": "0.05",
        "WAFEQ_TIMEOUT_SECONDS": str(settings.WAFEQ_TIMEOUT_SECONDS),
        "WAFEQ_RATE_LIMIT_PER_MINUTE": str(settings.WAFEQ_RATE_LIMIT_PER_MINUTE),
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "DEBUG": "false",
        # DEBUG off needs real keys; the test process's, so both read the same ciphertexts.
        "SECRET_KEY": "test-only-" + "k" * 50,
        "FIELD_ENCRYPTION_KEYS": ",".join(settings.FIELD_ENCRYPTION_KEYS),
        "PYTHONUNBUFFERED": "1",
        **overrides,
    }
    return env


@pytest.fixture
def worker(qoyod_sandbox: Any, settings: Any) -> Iterator[Worker]:
    env = worker_env(qoyod_sandbox, settings)
    _forget_broker_messages()
    process = Worker(env)
    process.start()
    yield process
    process.stop()
    _forget_broker_messages()
