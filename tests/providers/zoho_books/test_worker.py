"""Zoho's daily quota under a real Celery worker (real Redis broker, real PostgreSQL, the
sandbox over HTTP): spent in the middle of a run, the organization's turn is deferred and
probes Zoho once every ZOHO_QUOTA_PROBE_SECONDS (4 s here) while another organization's run
is pushed to the end; the quota back, the run finishes. Every entry once, nothing failed."""

import time
from collections.abc import Iterator
from typing import Any

import pytest

from accounting.models import SyncRun, SyncRunStatus, Transaction, TransactionStatus
from accounting.services.runs import start_sync_run
from integrations.models import Integration
from tests.accounting.sync_runs import run_finished, verified, wait_for, with_receipt
from tests.factories import make_org
from tests.fakes.worker import Worker, _forget_broker_messages, worker_env
from tests.providers.harnesses import ZohoBooksHarness

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

PROBE_SECONDS = 4  # a wait of 2 s or more is one a run shows
OTHER_ORGANIZATION = "20000001"


@pytest.fixture
def zoho(zoho_books_sandbox, settings) -> ZohoBooksHarness:
    harness = ZohoBooksHarness(zoho_books_sandbox)
    for name, value in harness.product_settings().items():
        setattr(settings, name, value)
    return harness


@pytest.fixture
def worker(zoho, qoyod_sandbox: Any, settings: Any) -> Iterator[Worker]:
    env = worker_env(qoyod_sandbox, settings, ZOHO_QUOTA_PROBE_SECONDS=str(PROBE_SECONDS))
    _forget_broker_messages()
    process = Worker(env)
    process.start()
    yield process
    process.stop()
    _forget_broker_messages()


def synced(org) -> int:
    return Transaction.objects.filter(organization=org, status=TransactionStatus.SYNCED).count()


def test_a_quota_spent_mid_run_defers_that_organization_probing_and_the_run_resumes(zoho, worker):
    org, expense = zoho.connect()
    txns = [with_receipt(t) for t in verified(org, expense, 40)]
    zoho.sandbox.add_organization(OTHER_ORGANIZATION, name="Other Zoho Co.")
    other, other_expense = zoho.connect(make_org("Other Org"))
    Integration.objects.filter(organization=other).update(
        location={**zoho.connection_fields()["location"], "organization_id": OTHER_ORGANIZATION}
    )
    others = verified(other, other_expense, 20)

    zoho.sandbox.configure(daily_quota=30)  # the demo organization's plan runs out mid-run
    run = start_sync_run(organization=org, actor=None)
    wait_for(
        lambda: zoho.sandbox.stats().get("quota_refused", 0) >= 1,
        timeout=60,
        what="Zoho to say the quota is spent",
    )
    time.sleep(0.5)  # the requests in flight when the quota ran out come back refused too
    spent_at = time.monotonic()
    refused_then = zoho.sandbox.stats()["quota_refused"]
    stuck = synced(org)
    assert 0 < stuck < len(txns)

    # Another organization (another Zoho organization, its own quota) is pushed meanwhile.
    other_run = start_sync_run(organization=other, actor=None)
    wait_for(lambda: run_finished(other_run.pk), timeout=60, what="the other run to finish")
    assert SyncRun.objects.get(pk=other_run.pk).status == SyncRunStatus.SUCCEEDED
    assert synced(other) == len(others)

    time.sleep(PROBE_SECONDS * 2)
    waited = time.monotonic() - spent_at
    # Still spent: nothing more pushed, the run waits (not failed), and Zoho heard about one
    # probe per period, not a request per transaction.
    assert synced(org) == stuck
    assert not Transaction.objects.filter(organization=org, status="failed").exists()
    waiting = SyncRun.objects.get(pk=run.pk)
    assert waiting.status in (SyncRunStatus.QUEUED, SyncRunStatus.RUNNING)
    assert waiting.waiting_until is not None
    probes = zoho.sandbox.stats()["quota_refused"] - refused_then
    assert 1 <= probes <= waited / PROBE_SECONDS + 1

    zoho.sandbox.configure(daily_quota=1000)  # Zoho's new day
    wait_for(lambda: run_finished(run.pk), timeout=90, what="the run to resume and finish")
    run.refresh_from_db()
    assert run.status == SyncRunStatus.SUCCEEDED, run.error
    held = zoho.held_by_reference()
    assert all(len(held[t.reference]) == 1 for t in txns)
    assert all(len(held[t.reference][0].files) == 1 for t in txns)
    assert synced(org) == len(txns)
