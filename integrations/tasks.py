"""Celery tasks of the integrations app: take ids, call a service, nothing else."""

from celery import shared_task
from django.db import transaction

from integrations.config_sync import run_config_sync
from integrations.services import queue_nightly_auto_syncs


@shared_task(acks_late=True)
def sync_configuration(job_id: int) -> str:
    """Run a configuration sync job. Safe to deliver twice: a claimed job is not run again."""
    job = run_config_sync(job_id=job_id)
    return job.status if job else "already-taken"


@shared_task
def run_nightly_auto_sync() -> list[int]:
    """Beat, nightly (Asia/Riyadh): one configuration sync per organization with Auto Sync on,
    each its own job and task."""
    queued = queue_nightly_auto_syncs()
    for job, created in queued:
        if created:
            transaction.on_commit(lambda pk=job.pk: sync_configuration.delay(pk))  # type: ignore[misc]
    return [job.pk for job, _created in queued]
