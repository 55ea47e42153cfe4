"""Starting sync runs: take verified transactions into a run and hand it to the workers.

Separate from the engine (`sync`) because it queues work: this module imports the tasks, the
tasks import the engine, and nothing imports back.
"""

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounting import tasks
from accounting.models import (
    SyncRun,
    SyncRunItem,
    SyncRunItemOutcome,
    Transaction,
    TransactionStatus,
)
from accounting.services.sync import books_ready_to_sync
from sifi.exceptions import Conflict
from sifi.models import Organization
from sifi.services import record_audit


@transaction.atomic
def start_sync_run(
    *,
    organization: Organization,
    actor: Any,
    ids: list[int] | None = None,
    retry_of: SyncRun | None = None,
) -> SyncRun:
    """Take the verified transactions (all, or the given ids) into a new run and queue it
    once the transaction commits.

    Rows another run is taking at this instant are skipped, never waited for nor taken twice.
    """
    books_ready_to_sync(organization)
    candidates = Transaction.objects.filter(
        organization=organization, status=TransactionStatus.VERIFIED
    )
    if ids is not None:
        candidates = candidates.filter(pk__in=ids)
    taken = list(
        candidates.select_for_update(skip_locked=True).order_by("pk").values_list("pk", flat=True)
    )
    if not taken:
        raise Conflict(
            _("Nothing to sync: no verified transactions (or another run already took them)."),
            code="nothing_to_sync",
        )
    run = SyncRun.objects.create(
        organization=organization,
        total=len(taken),
        retry_of=retry_of,
        started_by=actor if getattr(actor, "pk", None) else None,
    )
    Transaction.objects.filter(pk__in=taken).update(
        status=TransactionStatus.SYNCING, sync_run=run, updated_at=timezone.now()
    )
    SyncRunItem.objects.bulk_create(
        [SyncRunItem(run=run, transaction_id=pk) for pk in taken], batch_size=2000
    )
    record_audit(
        organization=organization,
        actor=actor,
        action="sync_run.started",
        target_type="sync_run",
        target_id=run.pk,
        after={"total": len(taken), "retry_of": retry_of.pk if retry_of else None},
    )
    transaction.on_commit(lambda: tasks.dispatch_sync_run.delay(run.pk))
    return run


def retry_failed(*, organization: Organization, actor: Any, run_id: int) -> SyncRun:
    """A new run for the failed transactions of `run_id` (those still failed)."""
    run = SyncRun.objects.get(organization=organization, pk=run_id)
    failed_ids = list(
        SyncRunItem.objects.filter(run=run, outcome=SyncRunItemOutcome.FAILED).values_list(
            "transaction_id", flat=True
        )
    )
    with transaction.atomic():
        # Failed transactions are verified again (their account is kept) and taken anew.
        refreshed = Transaction.objects.filter(
            organization=organization, pk__in=failed_ids, status=TransactionStatus.FAILED
        ).update(status=TransactionStatus.VERIFIED, updated_at=timezone.now())
        if not refreshed:
            raise Conflict(
                _("This run has no failed transactions left to retry."), code="nothing_to_retry"
            )
        return start_sync_run(organization=organization, actor=actor, ids=failed_ids, retry_of=run)
