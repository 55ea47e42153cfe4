"""The sync engine: verified transactions become exactly one draft journal entry each in the
organization's books, whichever accounting system keeps them.

Exactly once, however often a step is retried or a worker dies:
- a run *takes* transactions atomically (`FOR UPDATE SKIP LOCKED`, status → syncing): a
  second click or a second user gets only what nobody has taken (`runs.start_sync_run`);
- one worker at a time pushes a transaction: a session-level PostgreSQL advisory lock, held
  for the whole push and released by PostgreSQL itself if the worker dies;
- "about to create" (`push_started_at`) is committed before the create call; a push that
  finds it set looks the entry up by our reference in the books first and adopts it if found;
- the entry id is stored as soon as the provider answers; documents follow, each recorded
  once attached. A transaction is synced only when its entry and all its documents are there.

It speaks to the books only through `accounting.providers` (a session and the neutral errors).
"""

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounting.journal import JournalEntryDraft, journal_entry_for, lines_snapshot
from accounting.models import (
    Account,
    Document,
    SyncRun,
    SyncRunItem,
    SyncRunItemOutcome,
    SyncRunStatus,
    Transaction,
    TransactionStatus,
)
from accounting.providers import (
    AttachmentsUnsupported,
    AuthRefused,
    BooksConnection,
    ProviderError,
    ProviderSession,
    RateLimited,
    Rejected,
    Unavailable,
    connection_for,
    provider_names,
)
from accounting.services.receipts import link_for
from sifi.exceptions import Conflict
from sifi.models import Organization
from sifi.services import record_audit

logger = logging.getLogger(__name__)

BATCH_SIZE = 25
MAX_ATTEMPTS = 3  # per transaction and run, for retryable errors (5xx, timeouts, drops)
_ADVISORY_NAMESPACE = 7_001  # first key of our advisory locks: "journal entry push"


class RunStopped(Exception):
    """The provider refused our credentials: the run stops, the rest stay verified."""


# --- what a run needs ----------------------------------------------------------------------------


def books_ready_to_sync(organization: Organization) -> BooksConnection:
    """The organization's connection, if entries can be pushed now; a 409 saying what a person
    must do otherwise."""
    books = connection_for(organization)
    if books is None or not books.is_connected:
        name = books.provider.name if books else provider_names()
        raise Conflict(
            _("Connect %(provider)s in Settings → Integrations first.") % {"provider": name},
            code="not_connected",
        )
    if books.attention_reason:
        raise Conflict(
            _("The %(provider)s connection needs attention: %(reason)s")
            % {"provider": books.provider.name, "reason": books.attention_reason},
            code="needs_attention",
        )
    if books.source_account is None:
        raise Conflict(
            _("Set the Source Account in Settings → Integrations → %(provider)s first.")
            % {"provider": books.provider.name},
            code="source_account_missing",
        )
    return books


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


def push_batch(*, run_id: int, transaction_ids: list[int]) -> None:
    """Push a batch of the run's transactions, one after the other, through one session with
    the organization's books (idempotent: a pushed transaction is skipped)."""
    run = SyncRun.objects.select_related("organization").get(pk=run_id)
    books = connection_for(run.organization)
    if books is None:
        stop_run(run_id=run_id, reason="No accounting system is connected.")
        return
    if not books.is_connected:
        name = books.provider.name
        stop_run(run_id=run_id, reason=f"{name} was disconnected.", provider_name=name)
        return
    with books.open_session() as session:
        for transaction_id in transaction_ids:
            if SyncRun.objects.filter(pk=run_id, status=SyncRunStatus.STOPPED).exists():
                return
            with push_lock(transaction_id) as mine:
                if not mine:
                    continue  # another worker is pushing it right now
                try:
                    push_transaction(
                        run=run, books=books, transaction_id=transaction_id, session=session
                    )
                except RunStopped as stop:
                    stop_run(run_id=run_id, reason=str(stop), provider_name=books.provider.name)
                    return
            SyncRun.objects.filter(pk=run_id).update(heartbeat_at=timezone.now())
    finish_run_if_done(run_id=run_id)


def push_transaction(
    *, run: SyncRun, books: BooksConnection, transaction_id: int, session: ProviderSession
) -> None:
    txn = (
        Transaction.objects.select_related("account", "employee", "budget")
        .filter(pk=transaction_id, sync_run=run, status=TransactionStatus.SYNCING)
        .first()
    )
    if txn is None:
        return  # finished by an earlier delivery of this batch
    item = SyncRunItem.objects.get(run=run, transaction_id=transaction_id)
    source = books.source_account
    assert source is not None
    provider = books.provider
    last_error: ProviderError | None = None
    for attempt in range(1, MAX_ATTEMPTS + 1):
        SyncRunItem.objects.filter(pk=item.pk).update(attempts=attempt)
        try:
            if txn.journal_entry_id is None:
                _create_entry_once(txn, source, session, books.input_vat_account)
            _attach_documents(txn, books, session)
        except AuthRefused as exc:
            books.needs_attention(exc.message)
            raise RunStopped(exc.message) from None
        except Rejected as exc:
            _fail(txn, item, message=exc.message, code=f"{provider.key}_validation")
            return
        except (Unavailable, RateLimited) as exc:
            last_error = exc
            time.sleep(min(10.0, settings.SYNC_RETRY_BASE_SECONDS * 2**attempt))
            continue
        except ProviderError as exc:
            _fail(txn, item, message=exc.message, code=f"{provider.key}_error")
            return
        _succeed(txn, item)
        return
    message = last_error.message if last_error else "unknown error"
    _fail(
        txn,
        item,
        message=f"{provider.name} could not be reached after {MAX_ATTEMPTS} attempts "
        f"({message}). Retry the failed transactions later.",
        code=f"{provider.key}_unavailable",
    )


def _create_entry_once(
    txn: Transaction,
    source: Account,
    session: ProviderSession,
    input_vat: Account | None = None,
) -> None:
    links = [link_for(document) for document in txn.documents.all()]
    draft = journal_entry_for(
        txn, source_account=source, input_vat_account=input_vat, receipt_links=links
    )
    if txn.push_started_at is not None:
        # An earlier attempt may have reached the books: look before creating.
        found = session.find_entry(reference=txn.reference, date=txn.transaction_date)
        if found is not None:
            _record_entry(txn, draft, entry_id=found.id, status=found.status, adopted=True)
            return
    Transaction.objects.filter(pk=txn.pk).update(push_started_at=timezone.now())
    txn.push_started_at = timezone.now()
    try:
        created = session.create_draft_entry(draft)
    except (AuthRefused, Rejected, RateLimited):
        # The provider answered and refused: nothing was created, no lookup needed next time.
        Transaction.objects.filter(pk=txn.pk).update(push_started_at=None)
        txn.push_started_at = None
        raise
    _record_entry(txn, draft, entry_id=created.id, status=created.status, adopted=False)


def _record_entry(
    txn: Transaction, draft: JournalEntryDraft, *, entry_id: int, status: str, adopted: bool
) -> None:
    Transaction.objects.filter(pk=txn.pk).update(
        journal_entry_id=entry_id,
        journal_entry_status=status,
        journal_entry_lines=lines_snapshot(draft),
    )
    txn.journal_entry_id = entry_id
    txn.journal_entry_status = status
    record_audit(
        organization=txn.organization,
        actor=None,
        action="transaction.journal_entry_created",
        target_type="transaction",
        target_id=txn.pk,
        after={"journal_entry_id": entry_id, "status": status, "adopted": adopted},
    )


def _attach_documents(txn: Transaction, books: BooksConnection, session: ProviderSession) -> None:
    """Upload each receipt not yet attached; books that take no files keep the links every
    entry carries on its assigned account's line."""
    assert txn.journal_entry_id is not None
    for document in Document.objects.filter(transaction=txn, attached_at__isnull=True):
        if books.attachments_supported is False:
            Document.objects.filter(pk=document.pk).update(attached_at=timezone.now())
            continue
        try:
            with document.file.open("rb") as handle:
                content = handle.read()
            attached = session.attach_document(
                txn.journal_entry_id,
                filename=document.filename,
                content=content,
                content_type=document.content_type,
            )
        except AttachmentsUnsupported:
            books.remember_attachments_supported(False)
            Document.objects.filter(pk=document.pk).update(attached_at=timezone.now())
            continue
        Document.objects.filter(pk=document.pk).update(
            external_attachment_id=attached.id, attached_at=timezone.now()
        )
        if books.attachments_supported is None:
            books.remember_attachments_supported(True)


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
def stop_run(*, run_id: int, reason: str, provider_name: object = "") -> None:
    """The provider refused our credentials: what is not pushed yet goes back to Verified."""
    run = SyncRun.objects.select_for_update().get(pk=run_id)
    if run.status in (SyncRunStatus.STOPPED,):
        return
    pending = SyncRunItem.objects.filter(run=run, outcome=SyncRunItemOutcome.PENDING)
    released = list(pending.values_list("transaction_id", flat=True))
    # Only those with no entry in the books: one whose entry exists stays in the run's hands.
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
    reconnect = f"Reconnect {provider_name}, then sync again." if provider_name else ""
    run.error = f"Stopped: {reason} {reconnect}".strip()
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
        if not run.is_active:
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
