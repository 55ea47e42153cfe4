"""Celery tasks of the ledger: take ids, call the engine, nothing else."""

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from accounting.models import SyncRun
from accounting.services import (
    late_receipts,
    reconciliation,
    run_lifecycle,
    suggestions,
    turns,
    vat_evidence,
)
from sifi.models import Organization


@shared_task(acks_late=True)
def dispatch_sync_run(run_id: int) -> int:
    """Hand a run to the fair scheduler: start its company's turns that are not running (the
    company's earlier runs go first). Safe to repeat: turns are leased, pushes idempotent."""
    run = run_lifecycle.mark_running(run_id)
    if not turns.has_pending(run.organization_id):
        run_lifecycle.finish_run_if_done(run_id=run_id)
        return 0
    SyncRun.objects.filter(pk=run_id).update(heartbeat_at=timezone.now())
    return start_turns(run.organization_id)


def start_turns(organization_id: int) -> int:
    claimed = turns.claim_turns(organization_id)
    for stripe, lease in claimed:
        push_turn.delay(organization_id, stripe, lease)
    return len(claimed)


@shared_task(acks_late=True)
def push_turn(organization_id: int, stripe: int, lease: str) -> None:
    """One turn of a company's pushes (a few transactions within its rate limit); its next
    turn goes to the back of the queue, or waits for the company's window to open."""
    end = turns.take_turn(organization_id=organization_id, stripe=stripe, lease=lease)
    if end.lease is not None:
        push_turn.apply_async((organization_id, stripe, end.lease), countdown=end.countdown)


@shared_task(acks_late=True)
def push_sync_batch(run_id: int, transaction_ids: list[int]) -> None:
    """A batch queued before the scheduler took turns (an upgrade with messages in flight):
    its run is handed to the scheduler, which pushes the batch with the rest."""
    dispatch_sync_run(run_id)


@shared_task
def reap_stalled_sync_runs() -> list[int]:
    """Beat, every minute: runs whose workers died are dispatched again, so none stays stuck;
    so are the turns of companies with late receipts waiting (a turn that died with them)."""
    runs = run_lifecycle.stalled_runs()
    for run_id in runs:
        dispatch_sync_run.delay(run_id)
    for organization_id in late_receipts.organizations_waiting():
        start_turns(organization_id)  # a turn alive keeps its lease: none is started twice
    return runs


@shared_task(acks_late=True)
def attach_late_receipts(organization_id: int) -> int:
    """Late receipts arrived for synced transactions (queued by ingestion on commit): start
    the company's turns, which attach them after its pending pushes. Safe to repeat."""
    if not late_receipts.organizations_waiting(only=organization_id):
        return 0
    return start_turns(organization_id)


@shared_task(acks_late=True)
def reconcile(reconciliation_id: int) -> str:
    """Compare a range's synced transactions with the books, after the organization's
    pending pushes (it comes back later while there are some). Safe to deliver twice."""
    if reconciliation.waits_for_pushes(reconciliation_id):
        reconcile.apply_async((reconciliation_id,), countdown=settings.SYNC_READS_DEFER_SECONDS)
        return "waiting-for-pushes"
    done = reconciliation.run_reconciliation(reconciliation_id=reconciliation_id)
    return done.status if done else "already-taken"


@shared_task(acks_late=True)
def reapply_rules(organization_id: int) -> dict[str, int]:
    """The organization's rules changed: propose accounts for its unverified transactions
    again (set-based; safe to repeat)."""
    organization = Organization.objects.get(pk=organization_id)
    applied = suggestions.apply_rules(organization=organization)
    return {"suggested": applied.suggested, "verified": applied.verified}


@shared_task(acks_late=True)
def read_vat_evidence(transaction_ids: list[int]) -> dict[str, int]:
    """Read these transactions' receipts for their ZATCA QR code (queued by ingestion once
    its rows are committed). Safe to repeat."""
    return vat_evidence.read_vat_evidence(transaction_ids=transaction_ids)
