"""Odoo sync runs pushed by a real Celery worker process (real Redis broker, real PostgreSQL,
the Odoo sandbox over HTTP): under injected faults, and with the worker killed by SIGKILL in
the middle of a run. Exactly one `account.move` per transaction either way.

The worker runs against the test database, so these tests commit (transaction=True).
"""

import pytest

from accounting.models import SyncRun, SyncRunStatus, Transaction, TransactionStatus
from accounting.services.runs import retry_failed, start_sync_run
from accounting.tasks import reap_stalled_sync_runs
from tests.accounting.test_odoo_sync import moves_by_ref, odoo_org, verified, with_receipt
from tests.accounting.test_sync_worker import run_finished, wait_for

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def assert_exactly_one_move_each(sandbox, transactions) -> None:
    moves = moves_by_ref(sandbox)
    assert sorted(moves) == sorted(t.reference for t in transactions)
    assert {ref: len(found) for ref, found in moves.items() if len(found) != 1} == {}
    for txn in Transaction.objects.filter(pk__in=[t.pk for t in transactions]):
        assert txn.status == TransactionStatus.SYNCED
        assert txn.journal_entry_id == str(moves[txn.reference][0]["id"])


@pytest.fixture
def short_odoo_timeouts(settings, odoo_sandbox):
    """Odoo "hangs" 1.5 s on a timeout fault; we give up after 1 s (the worker, started after
    this fixture, gets it in its environment)."""
    settings.ODOO_TIMEOUT_SECONDS = 1
    odoo_sandbox.configure(timeout_sleep_s=1.5)


def test_a_worker_pushes_to_odoo_through_faults_exactly_once_with_receipts(
    short_odoo_timeouts, worker, odoo_sandbox
):
    org, marketing = odoo_org(odoo_sandbox)
    txns = [with_receipt(t) for t in verified(org, marketing, 60)]
    create = {"model": "account.move", "method": "create", "count": 2}
    odoo_sandbox.inject(
        *(
            {"kind": kind, **create}
            for kind in (
                "429",
                "500",
                "502",
                "drop",
                "500_after_commit",
                "502_after_commit",
                "drop_after_commit",
                "timeout_after_commit",
            )
        ),
        {"kind": "502", "model": "ir.attachment", "method": "create", "count": 2},
    )
    run = start_sync_run(organization=org, actor=None)
    wait_for(lambda: run_finished(run.pk), timeout=120, what="the run to finish")
    run.refresh_from_db()
    if run.status == SyncRunStatus.PARTIAL:
        # A transaction that met several faults in a row used its bounded retries: Failed with
        # a reason, and "Retry failed" pushes it again.
        failed = Transaction.objects.filter(organization=org, status=TransactionStatus.FAILED)
        assert all("Odoo" in t.status_reason for t in failed)
        retry = retry_failed(organization=org, actor=None, run_id=run.pk)
        wait_for(lambda: run_finished(retry.pk), timeout=60, what="the retry run to finish")
        run = SyncRun.objects.get(pk=retry.pk)
    assert run.status == SyncRunStatus.SUCCEEDED, run.error
    assert_exactly_one_move_each(odoo_sandbox, txns)
    assert all(len(found[0]["attachments"]) == 1 for found in moves_by_ref(odoo_sandbox).values())
    assert odoo_sandbox.configure()["faults"] == []  # every injected fault was met


def test_an_odoo_push_killed_mid_run_and_restarted_lands_each_move_once(
    worker, odoo_sandbox, settings
):
    odoo_sandbox.configure(latency_ms=150)  # so the kill lands with pushes in flight
    org, marketing = odoo_org(odoo_sandbox)
    txns = verified(org, marketing, 50)
    run = start_sync_run(organization=org, actor=None)

    def some_synced() -> bool:
        return Transaction.objects.filter(organization=org, status="synced").count() >= 8

    wait_for(some_synced, timeout=60, what="the first moves")
    # The next create hangs after Odoo stored the move; the worker dies waiting for the answer.
    # (Killing "at some moment" could land between two turns, with nothing in flight.)
    odoo_sandbox.inject(
        {"kind": "timeout_after_commit", "model": "account.move", "method": "create"}
    )
    wait_for(lambda: odoo_sandbox.configure()["faults"] == [], timeout=30, what="a create to hang")
    worker.kill()
    synced_at_kill = Transaction.objects.filter(organization=org, status="synced").count()
    assert 8 <= synced_at_kill < len(txns), "the kill must land mid-run"
    in_flight = Transaction.objects.filter(
        organization=org, push_started_at__isnull=False, journal_entry_id__isnull=True
    ).count()
    assert in_flight >= 1  # "about to create" saved, outcome unknown: to look up, not repost
    assert not run_finished(run.pk)

    settings.SYNC_RUN_STALLED_AFTER_SECONDS = 1
    odoo_sandbox.configure(latency_ms=0)
    worker.start()
    reaped: list[int] = []

    def beat_until_finished() -> bool:
        reaped.extend(reap_stalled_sync_runs())
        return run_finished(run.pk)

    wait_for(beat_until_finished, timeout=90, what="the run to finish after the restart")
    assert run.pk in reaped
    run.refresh_from_db()
    assert run.status == SyncRunStatus.SUCCEEDED, run.error
    assert_exactly_one_move_each(odoo_sandbox, txns)
