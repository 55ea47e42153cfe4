"""Celery tasks of the ledger: take ids, call the engine, nothing else."""

from celery import group, shared_task
from django.utils import timezone

from accounting.models import SyncRun
from accounting.services import reconciliation, rules, sync
from sifi.models import Organization


@shared_task(acks_late=True)
def dispatch_sync_run(run_id: int) -> int:
    """Fan a run's pending transactions out to the workers, in batches. Safe to repeat:
    pushes are idempotent and one worker at a time holds each transaction."""
    run = sync.mark_running(run_id)
    batches = sync.pending_batches(run)
    if not batches:
        sync.finish_run_if_done(run_id=run_id)
        return 0
    SyncRun.objects.filter(pk=run_id).update(heartbeat_at=timezone.now())
    group(push_sync_batch.s(run_id, batch) for batch in batches).apply_async()
    return len(batches)


@shared_task(acks_late=True)
def push_sync_batch(run_id: int, transaction_ids: list[int]) -> None:
    """Push one batch to the organization's books, within its provider's shared rate limit."""
    sync.push_batch(run_id=run_id, transaction_ids=transaction_ids)


@shared_task
def reap_stalled_sync_runs() -> list[int]:
    """Beat, every minute: runs whose workers died are dispatched again, so none stays stuck."""
    runs = sync.stalled_runs()
    for run_id in runs:
        dispatch_sync_run.delay(run_id)
    return runs


@shared_task(acks_late=True)
def reconcile(reconciliation_id: int) -> str:
    """Compare a range's synced transactions with the books. Safe to deliver twice."""
    done = reconciliation.run_reconciliation(reconciliation_id=reconciliation_id)
    return done.status if done else "already-taken"


@shared_task(acks_late=True)
def reapply_rules(organization_id: int) -> dict[str, int]:
    """The organization's rules changed: propose accounts for its unverified transactions
    again (set-based; safe to repeat)."""
    organization = Organization.objects.get(pk=organization_id)
    applied = rules.apply_rules(organization=organization)
    return {"suggested": applied.suggested, "verified": applied.verified}
