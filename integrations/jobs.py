"""Starting background jobs of the integrations app: queue the job, then hand it to a worker
once the database transaction commits.

Separate from the services because it queues work: this module imports the tasks, the tasks
import the services, and nothing imports back.
"""

from collections.abc import Iterable
from typing import Any

from django.db import transaction

from integrations import tasks
from integrations.models import Job
from integrations.services import queue_config_sync
from sifi.models import Organization


def start_config_sync(
    *,
    actor: Any,
    organization: Organization,
    provider: str | None = None,
    attributes: Iterable[str] | None = None,
    trigger: str = "manual",
) -> Job:
    """Queue a configuration sync of `provider`'s connection (None: the system the
    organization keeps its books in now) and return its job (the one already running, if
    any)."""
    job, created = queue_config_sync(
        actor=actor,
        organization=organization,
        attributes=attributes,
        trigger=trigger,
        provider=provider,
    )
    if created:
        transaction.on_commit(lambda: tasks.sync_configuration.delay(job.pk))
    return job
