"""Sync runs: verified transactions become exactly one draft journal entry each in Qoyod.

Exactly once, however often a step is retried or a worker dies:
- a run *takes* transactions atomically (`FOR UPDATE SKIP LOCKED`, status → syncing): a
  second click or a second user gets only what nobody has taken;
- one worker at a time pushes a transaction: a session-level PostgreSQL advisory lock, held
  for the whole push and released by PostgreSQL itself if the worker dies;
- "about to create" (`push_started_at`) is committed before the create call; a push that
  finds it set looks the entry up by our reference in Qoyod first and adopts it if found;
- the Qoyod entry id is stored as soon as Qoyod answers; documents follow, each recorded
  once attached. A transaction is synced only when its entry and all its documents are there.
"""

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core import signing
from django.db import connection, transaction
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounting.models import (
    Direction,
    Document,
    SyncRun,
    SyncRunItem,
    SyncRunItemOutcome,
    SyncRunStatus,
    Transaction,
    TransactionStatus,
)
from integrations.models import ConnectionStatus, Integration, Provider
from integrations.qoyod import (
    QoyodAttachmentsUnsupported,
    QoyodAuthError,
    QoyodClient,
    QoyodError,
    QoyodRateLimited,
    QoyodUnavailable,
    QoyodValidationError,
)
from integrations.qoyod.schemas import JournalEntryDraft, JournalEntryLine
from sifi.exceptions import Conflict
from sifi.models import Organization
from sifi.services import record_audit

logger = logging.getLogger(__name__)

BATCH_SIZE = 25
MAX_ATTEMPTS = 3  # per transaction and run, for retryable errors (5xx, timeouts, drops)
RECEIPT_LINK_MAX_AGE = timedelta(days=90)
_ADVISORY_NAMESPACE = 7_001  # first key of our advisory locks: "journal entry push"


class RunStopped(Exception):
    """Qoyod refused the key: the run stops and its remaining transactions stay verified."""


# --- starting a run ----------------------------------------------------------------------------


def _connected_integration(organization: Organization) -> Integration:
    integration = Integration.objects.filter(
        organization=organization, provider=Provider.QOYOD
    ).first()
    if integration is None or not integration.api_key:
        raise Conflict(_("Connect Qoyod in Settings → Integrations first."), code="not_connected")
    if integration.status == ConnectionStatus.NEEDS_ATTENTION:
        raise Conflict(
            _("The Qoyod connection needs attention: %(reason)s")
            % {"reason": integration.attention_reason},
            code="needs_attention",
        )
    if integration.source_account_id is None:
        raise Conflict(
            _("Set the Source Account in Settings → Integrations → Qoyod first."),
            code="source_account_missing",
        )
    return integration


@transaction.atomic
def start_sync_run(
    *,
    organization: Organization,
    actor: Any,
    ids: list[int] | None = None,
    retry_of: SyncRun | None = None,
) -> SyncRun:
    """Take the verified transactions (all, or the given ids) into a new run and queue it.

    Rows another run is taking at this instant are skipped, never waited for nor taken twice.
    """
    _connected_integration(organization)
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
    from accounting.tasks import dispatch_sync_run

    transaction.on_commit(lambda: dispatch_sync_run.delay(run.pk))
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


def pending_batches(run: SyncRun) -> list[list[int]]:
    pending = list(
        SyncRunItem.objects.filter(run=run, outcome=SyncRunItemOutcome.PENDING)
        .order_by("pk")
        .values_list("transaction_id", flat=True)
    )
    return [pending[i : i + BATCH_SIZE] for i in range(0, len(pending), BATCH_SIZE)]


def mark_running(run_id: int) -> SyncRun:
    SyncRun.objects.filter(pk=run_id, status=SyncRunStatus.QUEUED).update(
        status=SyncRunStatus.RUNNING, started_at=timezone.now(), heartbeat_at=timezone.now()
    )
    return SyncRun.objects.get(pk=run_id)


# --- pushing -----------------------------------------------------------------------------------


def describe(txn: Transaction) -> str:
    """What a bookkeeper reads in Qoyod; our reference first, in brackets, for the lookup."""
    parts = [
        f"[{txn.reference}] {txn.get_type_display()}",
        txn.merchant,
        txn.employee.name if txn.employee else "",
        txn.budget.name if txn.budget else "",
        txn.description,
    ]
    return " · ".join(str(part) for part in parts if part)[:500]


def receipt_link(document: Document) -> str:
    token = signing.TimestampSigner(salt="receipt").sign(str(document.pk))
    path = reverse("receipt-link", kwargs={"token": token})
    return settings.PUBLIC_BASE_URL.rstrip("/") + path


def journal_entry_for(txn: Transaction, source_account_qoyod_id: int) -> JournalEntryDraft:
    """Balanced lines: assigned account vs Source Account, sides by direction (SPEC §4)."""
    assert txn.account is not None
    links = " ".join(receipt_link(doc) for doc in txn.documents.all())
    comment = f"Receipts: {links}"[:250] if links else ""
    assigned = JournalEntryLine(txn.account.qoyod_id, txn.amount, comment)
    source = JournalEntryLine(source_account_qoyod_id, txn.amount)
    debit, credit = (assigned, source) if txn.direction == Direction.DEBIT else (source, assigned)
    return JournalEntryDraft(
        description=describe(txn),
        date=txn.transaction_date,
        debit_lines=(debit,),
        credit_lines=(credit,),
    )


@contextmanager
def push_lock(transaction_id: int) -> Iterator[bool]:
    """Whether this worker may push the transaction now; released when done or if it dies."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [_ADVISORY_NAMESPACE, transaction_id])
        (acquired,) = cursor.fetchone()
    try:
        yield bool(acquired)
    finally:
        if acquired:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT pg_advisory_unlock(%s, %s)", [_ADVISORY_NAMESPACE, transaction_id]
                )


@dataclass
class PushOutcome:
    succeeded: bool
    error: str = ""
    error_code: str = ""


def push_batch(*, run_id: int, transaction_ids: list[int], client: QoyodClient) -> None:
    """Push a batch of the run's transactions, one after the other (idempotent)."""
    run = SyncRun.objects.select_related("organization").get(pk=run_id)
    integration = Integration.objects.select_related("source_account").get(
        organization=run.organization, provider=Provider.QOYOD
    )
    for transaction_id in transaction_ids:
        if SyncRun.objects.filter(pk=run_id, status=SyncRunStatus.STOPPED).exists():
            return
        with push_lock(transaction_id) as mine:
            if not mine:
                continue  # another worker is pushing it right now
            try:
                push_transaction(
                    run=run, integration=integration, transaction_id=transaction_id, client=client
                )
            except RunStopped as stop:
                stop_run(run_id=run_id, reason=str(stop))
                return
        SyncRun.objects.filter(pk=run_id).update(heartbeat_at=timezone.now())
    finish_run_if_done(run_id=run_id)


def push_transaction(
    *, run: SyncRun, integration: Integration, transaction_id: int, client: QoyodClient
) -> None:
    txn = (
        Transaction.objects.select_related("account", "employee", "budget")
        .filter(pk=transaction_id, sync_run=run, status=TransactionStatus.SYNCING)
        .first()
    )
    if txn is None:
        return  # finished by an earlier delivery of this batch
    item = SyncRunItem.objects.get(run=run, transaction_id=transaction_id)
    assert integration.source_account is not None
    last_error: QoyodError | None = None
    for attempt in range(1, MAX_ATTEMPTS + 1):
        SyncRunItem.objects.filter(pk=item.pk).update(attempts=attempt)
        try:
            if txn.journal_entry_id is None:
                _create_entry_once(txn, integration.source_account.qoyod_id, client)
            _attach_documents(txn, integration, client)
        except QoyodAuthError as exc:
            from integrations.services import mark_needs_attention

            mark_needs_attention(integration_id=integration.pk, reason=exc.message)
            raise RunStopped(exc.message) from None
        except QoyodValidationError as exc:
            _fail(txn, item, message=exc.message, code="qoyod_validation")
            return
        except (QoyodUnavailable, QoyodRateLimited) as exc:
            last_error = exc
            time.sleep(min(10.0, settings.QOYOD_RETRY_BASE_SECONDS * 2**attempt))
            continue
        except QoyodError as exc:
            _fail(txn, item, message=exc.message, code="qoyod_error")
            return
        _succeed(txn, item)
        return
    message = last_error.message if last_error else "unknown error"
    _fail(
        txn,
        item,
        message=f"Qoyod could not be reached after {MAX_ATTEMPTS} attempts ({message}). "
        "Retry the failed transactions later.",
        code="qoyod_unavailable",
    )


def _create_entry_once(txn: Transaction, source_qoyod_id: int, client: QoyodClient) -> None:
    if txn.push_started_at is not None:
        # An earlier attempt may have reached Qoyod: look before creating.
        found = client.find_journal_entry(reference=txn.reference, date=txn.transaction_date)
        if found is not None:
            _record_entry(txn, entry_id=found.id, status=found.status, adopted=True)
            return
    draft = journal_entry_for(txn, source_qoyod_id)
    Transaction.objects.filter(pk=txn.pk).update(push_started_at=timezone.now())
    txn.push_started_at = timezone.now()
    try:
        created = client.create_journal_entry(draft)
    except (QoyodAuthError, QoyodValidationError, QoyodRateLimited):
        # Qoyod answered and refused: nothing was created, no lookup needed next time.
        Transaction.objects.filter(pk=txn.pk).update(push_started_at=None)
        txn.push_started_at = None
        raise
    _record_entry(txn, entry_id=created.id, status=created.status, adopted=False)


def _record_entry(txn: Transaction, *, entry_id: int, status: str, adopted: bool) -> None:
    # "" means Qoyod reported no status: the bare API posts entries as approved.
    reported = status or "Approved (no draft support)"
    Transaction.objects.filter(pk=txn.pk).update(
        journal_entry_id=entry_id, journal_entry_status=reported
    )
    txn.journal_entry_id = entry_id
    txn.journal_entry_status = reported
    record_audit(
        organization=txn.organization,
        actor=None,
        action="transaction.journal_entry_created",
        target_type="transaction",
        target_id=txn.pk,
        after={"journal_entry_id": entry_id, "status": reported, "adopted": adopted},
    )


def _attach_documents(txn: Transaction, integration: Integration, client: QoyodClient) -> None:
    """Upload each receipt not yet attached; a tenant without the endpoint keeps the links
    that every entry carries in its line comment."""
    assert txn.journal_entry_id is not None
    for document in Document.objects.filter(transaction=txn, attached_at__isnull=True):
        if integration.attachments_supported is False:
            Document.objects.filter(pk=document.pk).update(attached_at=timezone.now())
            continue
        try:
            with document.file.open("rb") as handle:
                content = handle.read()
            result = client.attach_document(
                txn.journal_entry_id,
                filename=document.filename,
                content=content,
                content_type=document.content_type,
            )
        except QoyodAttachmentsUnsupported:
            Integration.objects.filter(pk=integration.pk).update(attachments_supported=False)
            integration.attachments_supported = False
            Document.objects.filter(pk=document.pk).update(attached_at=timezone.now())
            continue
        Document.objects.filter(pk=document.pk).update(
            qoyod_attachment_id=result.id, attached_at=timezone.now()
        )
        if integration.attachments_supported is None:
            Integration.objects.filter(pk=integration.pk).update(attachments_supported=True)
            integration.attachments_supported = True


@transaction.atomic
def _succeed(txn: Transaction, item: SyncRunItem) -> None:
    now = timezone.now()
    Transaction.objects.filter(pk=txn.pk).update(
        status=TransactionStatus.SYNCED,
        synced_at=now,
        status_reason="",
        error_code="",
        updated_at=now,
    )
    SyncRunItem.objects.filter(pk=item.pk).update(
        outcome=SyncRunItemOutcome.SUCCEEDED, journal_entry_id=txn.journal_entry_id, finished_at=now
    )
    record_audit(
        organization=txn.organization,
        actor=None,
        action="transaction.synced",
        target_type="transaction",
        target_id=txn.pk,
        before={"status": TransactionStatus.SYNCING},
        after={"status": TransactionStatus.SYNCED, "journal_entry_id": txn.journal_entry_id},
    )


@transaction.atomic
def _fail(txn: Transaction, item: SyncRunItem, *, message: str, code: str) -> None:
    now = timezone.now()
    Transaction.objects.filter(pk=txn.pk).update(
        status=TransactionStatus.FAILED, status_reason=message, error_code=code, updated_at=now
    )
    SyncRunItem.objects.filter(pk=item.pk).update(
        outcome=SyncRunItemOutcome.FAILED, error=message, error_code=code, finished_at=now
    )
    record_audit(
        organization=txn.organization,
        actor=None,
        action="transaction.sync_failed",
        target_type="transaction",
        target_id=txn.pk,
        before={"status": TransactionStatus.SYNCING},
        after={"status": TransactionStatus.FAILED, "error": message, "code": code},
    )


@transaction.atomic
def stop_run(*, run_id: int, reason: str) -> None:
    """The key was refused: what is not pushed yet goes back to Verified, untouched."""
    run = SyncRun.objects.select_for_update().get(pk=run_id)
    if run.status in (SyncRunStatus.STOPPED,):
        return
    pending = SyncRunItem.objects.filter(run=run, outcome=SyncRunItemOutcome.PENDING)
    released = list(pending.values_list("transaction_id", flat=True))
    # Only those with no entry in Qoyod: one whose entry exists stays in the run's hands.
    Transaction.objects.filter(
        pk__in=released, sync_run=run, journal_entry_id__isnull=True, push_started_at__isnull=True
    ).update(status=TransactionStatus.VERIFIED, sync_run=None, updated_at=timezone.now())
    still_held = set(
        Transaction.objects.filter(pk__in=released, sync_run=run).values_list("pk", flat=True)
    )
    pending.exclude(transaction_id__in=still_held).update(
        outcome=SyncRunItemOutcome.RELEASED, finished_at=timezone.now()
    )
    run.status = SyncRunStatus.STOPPED
    run.error = f"Stopped: {reason} Reconnect Qoyod, then sync again."
    run.finished_at = timezone.now()
    run.save(update_fields=["status", "error", "finished_at"])
    record_audit(
        organization=run.organization,
        actor=None,
        action="sync_run.stopped",
        target_type="sync_run",
        target_id=run.pk,
        after={"reason": reason, "released": len(released) - len(still_held)},
    )


def finish_run_if_done(*, run_id: int) -> None:
    with transaction.atomic():
        run = SyncRun.objects.select_for_update().get(pk=run_id)
        if run.status not in (SyncRunStatus.QUEUED, SyncRunStatus.RUNNING):
            return
        counts = run_counts(run)
        if counts["pending"]:
            return
        if counts["failed"] == 0:
            run.status = SyncRunStatus.SUCCEEDED
        elif counts["succeeded"] == 0:
            run.status = SyncRunStatus.FAILED
        else:
            run.status = SyncRunStatus.PARTIAL
        run.finished_at = timezone.now()
        run.save(update_fields=["status", "finished_at"])
        record_audit(
            organization=run.organization,
            actor=None,
            action="sync_run.finished",
            target_type="sync_run",
            target_id=run.pk,
            after={"status": run.status, **counts},
        )


def run_counts(run: SyncRun) -> dict[str, int]:
    totals = SyncRunItem.objects.filter(run=run).aggregate(
        succeeded=Count("pk", filter=Q(outcome=SyncRunItemOutcome.SUCCEEDED)),
        failed=Count("pk", filter=Q(outcome=SyncRunItemOutcome.FAILED)),
        pending=Count("pk", filter=Q(outcome=SyncRunItemOutcome.PENDING)),
        released=Count("pk", filter=Q(outcome=SyncRunItemOutcome.RELEASED)),
    )
    return {name: int(value or 0) for name, value in totals.items()}


def stalled_runs() -> list[int]:
    """Runs whose workers stopped reporting (killed, lost message): to be dispatched again."""
    cutoff = timezone.now() - timedelta(seconds=settings.SYNC_RUN_STALLED_AFTER_SECONDS)
    return list(
        SyncRun.objects.filter(status__in=[SyncRunStatus.QUEUED, SyncRunStatus.RUNNING])
        .filter(Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at__isnull=True, created_at__lt=cutoff))
        .values_list("pk", flat=True)
    )
