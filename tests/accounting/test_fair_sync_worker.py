"""Two companies, real Celery worker processes, the Qoyod sandbox with a tenant (and a
rate limit) per company: a small run started behind a big one is not kept waiting by it.

Before the fair scheduler, B's batches queued behind all of A's, and workers slept on A's
limit while holding them: B finished when A did.
"""

import time

import pytest
from django.utils import timezone

from accounting.models import SyncRun, SyncRunStatus, Transaction, TransactionStatus
from accounting.services.runs import start_sync_run
from integrations.providers.qoyod.ratelimit import limiter_for_api_key
from tests.accounting.sync_runs import run_finished, verified, wait_for
from tests.factories import make_org
from tests.fakes.sandbox import connected_org, entries_by_reference
from tests.fakes.worker import Worker, _forget_broker_messages, worker_env

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

LIMIT = 60  # requests a minute per company, in the sandbox and in our limiter
PERIOD = 60.5  # our limiter's window: Qoyod's minute and its safety margin


def floor_seconds(requests: int) -> float:
    """The least time `requests` can take inside the limit: every full window but the last
    must pass (a sliding window lets each window's requests go at once)."""
    return ((requests - 1) // LIMIT) * PERIOD


@pytest.fixture
def limited_workers(qoyod_sandbox, settings):
    qoyod_sandbox.configure(rate_limit_per_minute=LIMIT, latency_ms=20)
    for key in (qoyod_sandbox.demo_key, qoyod_sandbox.second_key):
        limiter_for_api_key(key).reset()
    _forget_broker_messages()
    env = worker_env(qoyod_sandbox, settings, QOYOD_RATE_LIMIT_PER_MINUTE=str(LIMIT))
    process = Worker(env, concurrency=2)
    process.start()
    yield process
    process.stop()
    _forget_broker_messages()


def test_a_small_company_is_not_kept_waiting_by_a_big_ones_run(limited_workers, qoyod_sandbox):
    big, big_account = connected_org(qoyod_sandbox, make_org("Big Co"))
    small, small_account = connected_org(
        qoyod_sandbox, make_org("Small Co"), api_key=qoyod_sandbox.second_key
    )
    big_txns = verified(big, big_account, 90)  # over a window: rate-bound
    small_txns = verified(small, small_account, 10)

    big_run = start_sync_run(organization=big, actor=None)
    time.sleep(2)
    small_run = start_sync_run(organization=small, actor=None)

    wait_for(lambda: run_finished(small_run.pk), timeout=30, what="the small company's run")
    small_run.refresh_from_db()
    assert small_run.finished_at is not None
    small_took = (small_run.finished_at - small_run.created_at).total_seconds()
    assert small_run.status == SyncRunStatus.SUCCEEDED, small_run.error
    # Its own floor (10 requests fit one window: 0 s) plus a few seconds, while the big
    # company is still being pushed (it has a minute of Qoyod's limit left to wait out).
    assert small_took <= floor_seconds(10) + 5
    assert SyncRun.objects.get(pk=big_run.pk).status == SyncRunStatus.RUNNING

    wait_for(lambda: run_finished(big_run.pk), timeout=120, what="the big company's run")
    big_run.refresh_from_db()
    assert big_run.status == SyncRunStatus.SUCCEEDED, big_run.error
    assert big_run.finished_at is not None
    big_took = (big_run.finished_at - big_run.created_at).total_seconds()
    # It used its whole allowance: within 1.15x of the floor its limit sets.
    assert floor_seconds(90) <= big_took <= 1.15 * floor_seconds(90)
    assert big_run.waiting_until is None or big_run.waiting_until <= timezone.now()

    for key, txns in ((qoyod_sandbox.demo_key, big_txns), (qoyod_sandbox.second_key, small_txns)):
        entries = entries_by_reference(qoyod_sandbox, key)
        assert sorted(entries) == sorted(t.reference for t in txns)
        assert {len(found) for found in entries.values()} == {1}  # zero duplicates
        assert qoyod_sandbox.stats(key).get("rate_limited", 0) == 0  # never over the limit
    assert Transaction.objects.exclude(status=TransactionStatus.SYNCED).count() == 0
