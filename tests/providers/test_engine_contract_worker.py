"""The sync engine's promises under real workers, for every registered provider: runs pushed
by a real Celery worker process (real Redis broker, real PostgreSQL, the provider's sandbox
over HTTP) through every fault its sandbox answers, with the worker killed by SIGKILL in the
middle of a run, and with the broker's messages lost. Exactly one entry per transaction
either way.

The worker runs against the test database, so these tests commit (transaction=True).
"""

import time

import pytest
import redis

from accounting.models import SyncRun, SyncRunStatus, Transaction, TransactionStatus
from accounting.services.runs import retry_failed, start_sync_run
from accounting.tasks import reap_stalled_sync_runs
from tests.accounting.sync_runs import run_finished, verified, wait_for, with_receipt

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def assert_exactly_one_entry_each(harness, transactions) -> None:
    held = harness.held_by_reference()
    assert sorted(held) == sorted(t.reference for t in transactions)
    assert {ref: len(found) for ref, found in held.items() if len(found) != 1} == {}
    for txn in Transaction.objects.filter(pk__in=[t.pk for t in transactions]):
        assert txn.status == TransactionStatus.SYNCED
        assert txn.journal_entry_id == held[txn.reference][0].id


@pytest.fixture
def short_timeouts(harness, settings):
    """Before the worker starts, so that it gets them in its environment."""
    harness.short_timeouts(settings)


def test_workers_push_hundreds_with_receipts_through_every_fault_exactly_once(
    harness, short_timeouts, worker
):
    harness.without_rate_limit()
    org, expense = harness.connect()
    txns = [with_receipt(t) for t in verified(org, expense, 200)]
    for kind in harness.fault_kinds:  # on the create call, not the attachments
        harness.inject(kind, on="create", count=3)
    for kind in ("500", "502"):  # and the books' server failing an attachment
        if kind in harness.fault_kinds:
            harness.inject(kind, on="attach", count=2)
    run = start_sync_run(organization=org, actor=None)  # commits: the worker gets the run
    wait_for(lambda: run_finished(run.pk), timeout=120, what="the run to finish")

    run.refresh_from_db()
    if run.status == SyncRunStatus.PARTIAL:
        # A transaction that met several faults in a row used up its bounded retries: it is
        # Failed with a reason a person can act on, and "Retry failed" pushes it again.
        failed = Transaction.objects.filter(organization=org, status=TransactionStatus.FAILED)
        assert failed.exists()
        assert all(harness.name in t.status_reason for t in failed)
        retry = retry_failed(organization=org, actor=None, run_id=run.pk)
        wait_for(lambda: run_finished(retry.pk), timeout=60, what="the retry run to finish")
        run = SyncRun.objects.get(pk=retry.pk)
    assert run.status == SyncRunStatus.SUCCEEDED, run.error
    assert_exactly_one_entry_each(harness, txns)
    held = harness.held_entries()
    assert all(entry.attachments == 1 for entry in held)
    assert all(entry.totals()[0] == entry.totals()[1] for entry in held)
    # Every injected fault was met (none left), so each path really was exercised.
    assert harness.faults_left() == []


def test_a_worker_killed_mid_run_and_restarted_still_lands_each_entry_once(
    harness, worker, settings
):
    # Slow the books down so the kill lands in the middle of the run, with pushes in flight.
    harness.slow_down(150)
    org, expense = harness.connect()
    txns = verified(org, expense, 80)
    run = start_sync_run(organization=org, actor=None)

    def some_synced() -> bool:
        return (
            Transaction.objects.filter(organization=org, status=TransactionStatus.SYNCED).count()
            >= 10
        )

    wait_for(some_synced, timeout=60, what="the first entries")
    # The next create hangs after the books stored its entry; the worker dies waiting for the
    # answer. (Killing "at some moment" could land between two turns, with nothing in flight.)
    harness.inject("timeout_after_commit", on="create")
    wait_for(lambda: harness.faults_left() == [], timeout=30, what="a create to hang")
    worker.kill()
    synced_at_kill = Transaction.objects.filter(
        organization=org, status=TransactionStatus.SYNCED
    ).count()
    assert 10 <= synced_at_kill < len(txns), "the kill must land mid-run"
    in_flight = Transaction.objects.filter(
        organization=org, push_started_at__isnull=False, journal_entry_id__isnull=True
    ).count()
    # Pushes were in flight: "about to create" saved, outcome unknown. These are what the
    # restart must reconcile (look up by reference) rather than post again.
    assert in_flight >= 1
    assert not run_finished(run.pk)

    # A new worker starts; the reaper (beat, every minute in production; every half second
    # here) notices when the run stops reporting and dispatches what is left. The batches the
    # dead worker had taken stay unacknowledged in Redis until the visibility timeout.
    settings.SYNC_RUN_STALLED_AFTER_SECONDS = 1
    harness.slow_down(0)
    worker.start()
    reaped: list[int] = []

    def beat_until_finished() -> bool:
        reaped.extend(reap_stalled_sync_runs())
        return run_finished(run.pk)

    wait_for(beat_until_finished, timeout=90, what="the run to finish after the restart")
    assert run.pk in reaped

    run.refresh_from_db()
    assert run.status == SyncRunStatus.SUCCEEDED, run.error
    assert_exactly_one_entry_each(harness, txns)


def test_batches_lost_with_a_redis_restart_are_dispatched_again(harness, worker, settings):
    """Our Redis keeps nothing on disk: a restart loses every queued message. The run lives in
    PostgreSQL, so the reaper finds it silent and dispatches it again."""
    org, expense = harness.connect()
    txns = verified(org, expense, 30)
    worker.stop()  # nobody consumes: the run's message waits in Redis ...
    run = start_sync_run(organization=org, actor=None)
    redis.Redis.from_url(settings.CELERY_BROKER_URL).flushdb()  # ... and Redis "restarts"
    worker.start()
    time.sleep(2)
    assert SyncRun.objects.get(pk=run.pk).status == SyncRunStatus.QUEUED  # nothing arrived

    settings.SYNC_RUN_STALLED_AFTER_SECONDS = 1
    reaped: list[int] = []

    def beat_until_finished() -> bool:
        reaped.extend(reap_stalled_sync_runs())
        return run_finished(run.pk)

    wait_for(beat_until_finished, timeout=60, what="the run to finish after the restart")
    assert set(reaped) == {run.pk}
    run.refresh_from_db()
    assert run.status == SyncRunStatus.SUCCEEDED, run.error
    assert_exactly_one_entry_each(harness, txns)
