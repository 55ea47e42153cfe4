"""Celery tasks of the ledger: take ids, call a service, nothing else."""

from celery import group, shared_task
from django.utils import timezone

from accounting.models import SyncRun
from accounting.services import sync
from integrations.models import Integration, Provider
from integrations.services import open_qoyod_client


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
    """Push one batch to Qoyod within the tenant's shared rate limit."""
    run = SyncRun.objects.get(pk=run_id)
    integration = Integration.objects.get(
        organization_id=run.organization_id, provider=Provider.QOYOD
    )
    with open_qoyod_client(api_key=integration.api_key) as client:
        sync.push_batch(run_id=run_id, transaction_ids=transaction_ids, client=client)


@shared_task
def reap_stalled_sync_runs() -> list[int]:
    """Beat, every minute: runs whose workers died are dispatched again, so none stays stuck."""
    runs = sync.stalled_runs()
    for run_id in runs:
        dispatch_sync_run.delay(run_id)
    return runs
