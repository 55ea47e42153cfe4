"""Wafeq under real workers: expenses with receipts, answers lost after Wafeq stored them (the
idempotency key makes Wafeq replay the original) and a worker killed by SIGKILL while a create
hangs (the restarted run finds the expense by external_id). Both paths are seen to be taken,
and Wafeq holds exactly one expense per transaction, each a draft."""

import pytest

from accounting.models import SyncRunStatus, Transaction, TransactionStatus
from accounting.services.runs import start_sync_run
from accounting.tasks import reap_stalled_sync_runs
from sifi.models import AuditEvent
from tests.accounting.sync_runs import run_finished, verified, wait_for, with_receipt
from tests.providers.harnesses import WafeqHarness

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def wafeq(wafeq_sandbox, settings):
    harness = WafeqHarness(wafeq_sandbox)
    harness.short_timeouts(settings)  # before the worker starts: it reads them at start
    return harness


def test_replayed_keys_and_a_lookup_after_sigkill_leave_one_draft_expense_each(
    wafeq, worker, settings
):
    wafeq.sandbox.configure(posted_every=3, latency_ms=150)
    org, expense = wafeq.connect()
    txns = [with_receipt(t) for t in verified(org, expense, 60)]
    wafeq.inject("502_after_commit", on="create", count=3)  # stored, answer lost: replayed
    run = start_sync_run(organization=org, actor=None)

    def some_synced() -> bool:
        synced = Transaction.objects.filter(organization=org, status=TransactionStatus.SYNCED)
        return synced.count() >= 10

    wait_for(some_synced, timeout=60, what="the first expenses")
    wafeq.inject("timeout_after_commit", on="create")  # stored, then the worker dies waiting
    wait_for(lambda: wafeq.faults_left() == [], timeout=30, what="a create to hang")
    worker.kill()
    settings.SYNC_RUN_STALLED_AFTER_SECONDS = 1
    wafeq.slow_down(0)
    worker.start()

    def beat_until_finished() -> bool:
        reap_stalled_sync_runs()
        return run_finished(run.pk)

    wait_for(beat_until_finished, timeout=90, what="the run to finish after the restart")
    run.refresh_from_db()
    assert run.status == SyncRunStatus.SUCCEEDED, run.error

    held = wafeq.held_by_reference()
    assert sorted(held) == sorted(t.reference for t in txns)
    assert {ref: len(found) for ref, found in held.items() if len(found) != 1} == {}
    assert all(found[0].status == "DRAFT" and found[0].attachments == 1 for found in held.values())
    stats = wafeq.sandbox.stats()
    assert stats["replayed"] >= 3  # the key: Wafeq answered the lost creates again
    adopted = [
        event
        for event in AuditEvent.objects.filter(
            organization=org, action="transaction.journal_entry_created"
        )
        if event.after["adopted"]
    ]
    assert adopted  # the lookup by external_id: the killed worker's expense was found
    assert stats["marked_as_draft"] == 60 // 3
