"""Celery tasks of the integrations app: take ids, call a service, nothing else."""

from celery import shared_task
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from integrations.config_sync import run_config_sync, waits_for_pushes
from integrations.services import queue_nightly_auto_syncs, start_nightly_reconciliations


@shared_task(acks_late=True)
def sync_configuration(job_id: int) -> str:
    """Run a configuration sync job, after the organization's pending pushes (it comes back
    later while there are some). Safe to deliver twice: a claimed job is not run again."""
    if waits_for_pushes(job_id=job_id):
        sync_configuration.apply_async((job_id,), countdown=settings.SYNC_READS_DEFER_SECONDS)
        return "waiting-for-pushes"
    job = run_config_sync(job_id=job_id)
    return job.status if job else "already-taken"


@shared_task
def run_nightly_auto_sync() -> list[int]:
    """Beat, nightly (Asia/Riyadh): per organization with Auto Sync on, one configuration sync
    (its own job and task) and one reconciliation of the last 35 days."""
    queued = queue_nightly_auto_syncs()
    for job, created in queued:
        if created:
            transaction.on_commit(lambda pk=job.pk: sync_configuration.delay(pk))  # type: ignore[misc]
    start_nightly_reconciliations(today=timezone.localdate())
    return [job.pk for job, _created in queued]
