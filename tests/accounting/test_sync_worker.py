"""Sync runs pushed by a real Celery worker process (real Redis broker, real PostgreSQL,
the Qoyod sandbox over HTTP), including a worker killed with SIGKILL in the middle of a run.

The worker runs against the test database, so these tests commit (transaction=True).
"""

import time

import pytest
import redis

from accounting.models import SyncRun, SyncRunStatus, Transaction, TransactionStatus
from accounting.services.runs import retry_failed, start_sync_run
from accounting.tasks import reap_stalled_sync_runs
from tests.accounting.test_sync import connected_org, entries_by_reference, verified, with_receipt

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def wait_for(condition, *, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.5)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def run_finished(run_id: int) -> bool:
    return SyncRun.objects.get(pk=run_id).status not in (
        SyncRunStatus.QUEUED,
        SyncRunStatus.RUNNING,
    )


def assert_exactly_one_entry_each(sandbox, transactions) -> None:
    entries = entries_by_reference(sandbox)
    assert sorted(entries) == sorted(t.reference for t in transactions)
    duplicates = {ref: len(found) for ref, found in entries.items() if len(found) != 1}
    assert duplicates == {}
    for txn in Transaction.objects.filter(pk__in=[t.pk for t in transactions]):
        assert txn.status == TransactionStatus.SYNCED
        assert txn.journal_entry_id == str(entries[txn.reference][0]["id"])


@pytest.fixture
def short_timeouts(settings, qoyod_sandbox):
    """Qoyod "hangs" 1.5 s on a timeout fault; we give up after 1 s (the worker gets it too)."""
    settings.QOYOD_TIMEOUT_SECONDS = 1
    qoyod_sandbox.configure(timeout_sleep_s=1.5, rate_limit_per_minute=0)  # no limit here


def test_worker_processes_push_hundreds_with_documents_through_faults_exactly_once(
    short_timeouts, worker, qoyod_sandbox
):
    org, marketing = connected_org(qoyod_sandbox)
    txns = [with_receipt(t) for t in verified(org, marketing, 200)]
    create = "journal_entries$"  # the create call, not the attachments
    qoyod_sandbox.inject(
        {"kind": "429", "path": create, "method": "POST", "count": 3},
        {"kind": "500", "path": create, "method": "POST", "count": 3},
        {"kind": "drop", "path": create, "method": "POST", "count": 3},
        {"kind": "500_after_commit", "path": create, "method": "POST", "count": 3},
        {"kind": "drop_after_commit", "path": create, "method": "POST", "count": 3},
        {"kind": "timeout_after_commit", "path": create, "method": "POST", "count": 3},
    )
    run = start_sync_run(organization=org, actor=None)  # commits: the worker gets the run
    wait_for(lambda: run_finished(run.pk), timeout=120, what="the run to finish")

    run.refresh_from_db()
    if run.status == SyncRunStatus.PARTIAL:
        # A transaction that met several faults in a row used up its bounded retries: it is
        # Failed with a reason a person can act on, and "Retry failed" pushes it again.
        failed = Transaction.objects.filter(organization=org, status=TransactionStatus.FAILED)
        assert failed.exists()
        assert all("Qoyod" in t.status_reason for t in failed)
        retry = retry_failed(organization=org, actor=None, run_id=run.pk)
        wait_for(lambda: run_finished(retry.pk), timeout=60, what="the retry run to finish")
        run = SyncRun.objects.get(pk=retry.pk)
    assert run.status == SyncRunStatus.SUCCEEDED, run.error
    assert_exactly_one_entry_each(qoyod_sandbox, txns)
    entries = entries_by_reference(qoyod_sandbox).values()
    assert all(len(found[0]["attachments"]) == 1 for found in entries)
    assert all(found[0]["total_debit"] == found[0]["total_credit"] for found in entries)
    # Every injected fault was met (none left), so each path really was exercised.
    assert qoyod_sandbox.configure()["faults"] == []


def test_a_worker_killed_mid_run_and_restarted_still_lands_each_entry_once(
    worker, qoyod_sandbox, settings
):
    # Slow Qoyod down so the kill lands in the middle of the run, with pushes in flight.
    qoyod_sandbox.configure(latency_ms=150)
    org, marketing = connected_org(qoyod_sandbox)
    txns = verified(org, marketing, 80)
    run = start_sync_run(organization=org, actor=None)

    def some_synced() -> bool:
        return (
            Transaction.objects.filter(organization=org, status=TransactionStatus.SYNCED).count()
            >= 10
        )

    wait_for(some_synced, timeout=60, what="the first entries")
    # The next push hangs after Qoyod stored its entry; the worker dies waiting for the answer.
    # (Killing "at some moment" could land between two turns, with nothing in flight.)
    qoyod_sandbox.inject(
        {"kind": "timeout_after_commit", "path": "journal_entries$", "method": "POST"}
    )
    wait_for(lambda: qoyod_sandbox.configure()["faults"] == [], timeout=30, what="a push to hang")
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
    qoyod_sandbox.configure(latency_ms=0)
    worker.start()
    reaped: list[int] = []

    def beat_until_finished() -> bool:
        reaped.extend(reap_stalled_sync_runs())
        return run_finished(run.pk)

    wait_for(beat_until_finished, timeout=90, what="the run to finish after the restart")
    assert run.pk in reaped

    run.refresh_from_db()
    assert run.status == SyncRunStatus.SUCCEEDED, run.error
    assert_exactly_one_entry_each(qoyod_sandbox, txns)


def test_batches_lost_with_a_redis_restart_are_dispatched_again(worker, qoyod_sandbox, settings):
    """Our Redis keeps nothing on disk: a restart loses every queued message. The run lives in
    PostgreSQL, so the reaper finds it silent and dispatches it again."""
    org, marketing = connected_org(qoyod_sandbox)
    txns = verified(org, marketing, 30)
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
    assert_exactly_one_entry_each(qoyod_sandbox, txns)
