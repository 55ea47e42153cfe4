"""Starting background runs of the ledger: sync runs (take verified transactions and hand
them to the workers) and reconciliations.

Separate from the engine (`push`, `turns`, `run_lifecycle`) because it queues work: this
module imports the tasks, the tasks import the engine, and nothing imports back.
"""

import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from accounting import tasks
from accounting.models import (
    Document,
    Reconciliation,
    ReconciliationStatus,
    Rule,
    SyncRun,
    SyncRunItem,
    SyncRunItemOutcome,
    Transaction,
    TransactionStatus,
)
from accounting.services.closed_periods import closed_failures, closed_until_of, first_open_day
from accounting.services.rules import delete_rule, save_rule
from accounting.services.run_lifecycle import books_ready_to_sync
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
    """A new run for the transactions that failed in `run_id`: those still failed (verified
    again, their account kept) and those a person has reassigned since (verified)."""
    run = SyncRun.objects.get(organization=organization, pk=run_id)
    failed_ids = list(
        SyncRunItem.objects.filter(run=run, outcome=SyncRunItemOutcome.FAILED).values_list(
            "transaction_id", flat=True
        )
    )
    with transaction.atomic():
        # Failed transactions are verified again (their account is kept) and taken anew.
        Transaction.objects.filter(
            organization=organization, pk__in=failed_ids, status=TransactionStatus.FAILED
        ).update(status=TransactionStatus.VERIFIED, updated_at=timezone.now())
        retryable = Transaction.objects.filter(
            organization=organization, pk__in=failed_ids, status=TransactionStatus.VERIFIED
        )
        if not retryable.exists():
            raise Conflict(
                _("This run has no failed transactions left to retry."), code="nothing_to_retry"
            )
        return start_sync_run(organization=organization, actor=actor, ids=failed_ids, retry_of=run)


def retry_failed_transactions(
    *, organization: Organization, actor: Any, ids: list[int] | None = None
) -> SyncRun:
    """A new run for failed transactions (all of the organization's, or the given ids among
    them), their accounts kept: the Failed tab's "Retry"."""
    with transaction.atomic():
        failed = Transaction.objects.filter(
            organization=organization, status=TransactionStatus.FAILED
        )
        if ids is not None:
            failed = failed.filter(pk__in=ids)
        taken = list(
            failed.select_for_update(skip_locked=True).order_by("pk").values_list("pk", flat=True)
        )
        if not taken:
            raise Conflict(_("No failed transactions to retry."), code="nothing_to_retry")
        Transaction.objects.filter(pk__in=taken).update(
            status=TransactionStatus.VERIFIED, updated_at=timezone.now()
        )
        return start_sync_run(organization=organization, actor=actor, ids=taken)


def book_on_open_day(*, organization: Organization, actor: Any, run_id: int) -> SyncRun:
    """The run page's one click: its closed-period failures are dated on the first open day
    after the books' lock date and queued in a new run (a retry of this one), audited."""
    run = SyncRun.objects.get(organization=organization, pk=run_id)
    closed_until = closed_until_of(organization)
    if closed_until is None:
        raise Conflict(
            _("The books' lock date is not known: retry the failed transactions instead."),
            code="lock_date_unknown",
        )
    day = first_open_day(closed_until)
    with transaction.atomic():
        ids = list(
            Transaction.objects.filter(
                organization=organization,
                status=TransactionStatus.FAILED,
                pk__in=closed_failures(run).values("transaction_id"),
            )
            .select_for_update(skip_locked=True)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        if not ids:
            raise Conflict(
                _("This run has no transactions that failed on closed books left."),
                code="nothing_to_book",
            )
        Transaction.objects.filter(pk__in=ids).update(
            status=TransactionStatus.VERIFIED, booked_on=day, updated_at=timezone.now()
        )
        record_audit(
            organization=organization,
            actor=actor,
            action="sync_run.booked_on_open_day",
            target_type="sync_run",
            target_id=run.pk,
            after={"booked_on": day.isoformat(), "transactions": ids},
        )
        return start_sync_run(organization=organization, actor=actor, ids=ids, retry_of=run)


MAX_RECONCILIATION_DAYS = 366


@transaction.atomic
def start_reconciliation(
    *,
    organization: Organization,
    actor: Any,
    date_from: datetime.date,
    date_to: datetime.date,
    trigger: str = "manual",
) -> Reconciliation:
    """Queue a reconciliation of the synced transactions dated in the range (a year at most).

    While one of the organization runs, asking again gives that one: two never run at once.
    """
    if date_from > date_to:
        raise ValidationError({"date_to": [_("The end date is before the start date.")]})
    if (date_to - date_from).days >= MAX_RECONCILIATION_DAYS:
        raise ValidationError({"date_to": [_("Reconcile at most a year at a time (366 days).")]})
    books_ready_to_sync(organization)
    Organization.objects.select_for_update().get(pk=organization.pk)  # one start at a time
    active = Reconciliation.objects.filter(
        organization=organization,
        status__in=[ReconciliationStatus.QUEUED, ReconciliationStatus.RUNNING],
    ).first()
    if active is not None:
        return active
    reconciliation = Reconciliation.objects.create(
        organization=organization,
        date_from=date_from,
        date_to=date_to,
        trigger=trigger,
        started_by=actor if getattr(actor, "pk", None) else None,
    )
    record_audit(
        organization=organization,
        actor=actor,
        action="reconciliation.started",
        target_type="reconciliation",
        target_id=reconciliation.pk,
        after={"date_from": date_from.isoformat(), "date_to": date_to.isoformat()},
    )
    transaction.on_commit(lambda: tasks.reconcile.delay(reconciliation.pk))
    return reconciliation


# --- rules: changed now, re-applied in the background ------------------------------------------


def change_rule(
    *, organization: Organization, actor: Any, rule_id: int | None = None, **fields: Any
) -> Rule:
    """Create or change a rule (rules.save_rule), then re-propose accounts for every
    unverified transaction of the organization in the background, once this commits."""
    with transaction.atomic():
        rule = save_rule(organization=organization, actor=actor, rule_id=rule_id, **fields)
        transaction.on_commit(lambda: tasks.reapply_rules.delay(organization.pk))
    return rule


def remove_rule(*, organization: Organization, actor: Any, rule_id: int) -> None:
    """Delete a rule, then re-propose accounts in the background (another rule, or the
    history, may now apply to what it matched)."""
    with transaction.atomic():
        delete_rule(organization=organization, actor=actor, rule_id=rule_id)
        transaction.on_commit(lambda: tasks.reapply_rules.delay(organization.pk))


@transaction.atomic
def retry_late_receipt(*, organization: Organization, actor: Any, document_id: int) -> None:
    """A person asks to attach a failed late receipt again (after checking the entry in the
    books): it waits for the company's next turn, started when this commits. 404 if it is not
    one of the organization's failed late receipts."""
    retried = Document.objects.filter(
        organization=organization,
        pk=document_id,
        late_since__isnull=False,
        attached_at__isnull=True,
    ).exclude(attach_error="")
    document = retried.first()
    if document is None:
        raise Http404(_("No failed late receipt to retry."))
    retried.update(attach_error="", attach_attempts=0, attach_started_at=None)
    record_audit(
        organization=organization,
        actor=actor,
        action="transaction.late_receipt_retried",
        target_type="transaction",
        target_id=document.transaction_id,
        after={"document": document.pk, "filename": document.filename},
    )
    transaction.on_commit(lambda: tasks.attach_late_receipts.delay(organization.pk))
