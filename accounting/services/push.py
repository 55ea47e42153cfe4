"""One transaction's push: it becomes exactly one draft journal entry in the organization's
books, whichever accounting system keeps them.

Exactly once, however often a step is retried or a worker dies:
- a run *takes* transactions atomically (`FOR UPDATE SKIP LOCKED`, status → syncing): a
  second click or a second user gets only what nobody has taken (`runs.start_sync_run`);
- one worker at a time pushes a transaction: a session-level PostgreSQL advisory lock, held
  for the whole push and released by PostgreSQL itself if the worker dies;
- "about to create" (`push_started_at`) is committed before the create call; a push that
  finds it set looks the entry up by our reference in the books first and adopts it if found;
- the entry id is stored as soon as the provider answers; documents follow, each recorded
  once attached. A transaction is synced only when its entry and all its documents are there.

What differs between accounting systems is asked of the provider's declared capabilities,
never assumed (`accounting.services.capabilities`: files uploaded before the create and
carried by it, an idempotency key, a second call that makes a posted answer a draft).

It speaks to the books only through `accounting.providers` (a session and the neutral errors).
Which transactions are pushed when, through which session, is the turns' business (`turns`);
a run's start and end are `runs` and `run_lifecycle`.
"""

from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounting.journal import (
    JournalEntryDraft,
    ReverseChargeUnconfigured,
    ReverseChargeUnsupported,
    journal_entry_for,
    lines_snapshot,
)
from accounting.models import (
    Account,
    Document,
    SyncRun,
    SyncRunItem,
    SyncRunItemOutcome,
    Transaction,
    TransactionStatus,
)
from accounting.providers import (
    AttachmentFlow,
    AttachmentRef,
    AttachmentsUnsupported,
    AuthRefused,
    BooksConnection,
    EntryRef,
    PeriodClosed,
    ProviderError,
    ProviderSession,
    RateLimited,
    Rejected,
    Unavailable,
)
from accounting.services import closed_periods
from accounting.services.accounting_settings import vat_reclaim_of
from accounting.services.capabilities import (
    idempotency_key_for,
    make_draft_once,
    redrafting,
    upload_documents,
    uploading,
)
from accounting.services.receipts import link_for
from accounting.services.reverse_charge import is_reverse_charged
from accounting.services.run_lifecycle import stop_active_runs
from sifi.services import record_audit

MAX_ATTEMPTS = 3  # per transaction and run, for retryable errors (5xx, timeouts, drops)
_ADVISORY_NAMESPACE = 7_001  # first key of our advisory locks: "journal entry push"


class RunStopped(Exception):
    """The provider refused our credentials: the run stops, the rest stay verified."""


class Deferred(Exception):
    """The company's request budget is spent for `seconds`: the turn comes back then.
    `window` names the budget's window that is spent ("day": a daily quota), when known."""

    def __init__(self, seconds: float, *, window: str = "") -> None:
        super().__init__(f"deferred {seconds:.2f} s")
        self.seconds = seconds
        self.window = window


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


def push_locked(
    run: SyncRun, books: BooksConnection, transaction_id: int, session: ProviderSession
) -> bool:
    """Push one transaction under its advisory lock; False if another worker holds it. Raises
    RunStopped (after stopping the company's runs) when the books refuse our credentials."""
    with push_lock(transaction_id) as mine:
        if not mine:
            return False  # another worker is pushing it right now
        try:
            push_transaction(run=run, books=books, transaction_id=transaction_id, session=session)
        except RunStopped as stop:
            stop_active_runs(run.organization_id, str(stop), books.provider.name)
            raise
    SyncRun.objects.filter(pk=run.pk).update(heartbeat_at=timezone.now())
    return True


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
    # Attempts count across turns: a failed one defers the company's turn (backoff), so a
    # worker never waits out one company's outage while other companies' work waits.
    attempt = item.attempts + 1
    SyncRunItem.objects.filter(pk=item.pk).update(attempts=attempt)
    try:
        entry = None  # what the books said of the entry during this attempt, if anything
        if txn.journal_entry_id is None:
            entry = _create_entry_once(txn, source, session, books.input_vat, books=books)
        if provider.draft_may_need_second_call:
            make_draft_once(txn, redrafting(session), entry)
        _attach_documents(txn, books, session)
    except ReverseChargeUnconfigured:
        # "…_validation": something is to fix before a retry (presenters.failure_in_words).
        _fail(
            txn,
            item,
            message=_(
                "This transaction is a foreign service to reverse-charge, and no Output VAT "
                "account is chosen: pick one in the integration's configuration, then retry."
            ),
            code="reverse_charge_validation",
        )
        return
    except ReverseChargeUnsupported:
        _fail(
            txn,
            item,
            message=_(
                "This transaction is a foreign service to reverse-charge, and %(provider)s "
                "cannot take reverse-charge VAT lines through its API: book it there by hand, "
                "or stop reverse-charging its merchant and retry."
            )
            % {"provider": provider.name},
            code="reverse_charge_validation",
        )
        return
    except AuthRefused as exc:
        books.needs_attention(exc.message)
        raise RunStopped(exc.message) from None
    except PeriodClosed as exc:
        closed_until = exc.closed_until
        if closed_until is None and closed_periods.is_closed(
            txn.booked_on or txn.transaction_date, books.closed_until
        ):
            closed_until = books.closed_until  # the books named no day; the one we know
        message = closed_periods.closed_message(closed_until, exc.message)
        _fail(txn, item, message=message, code=closed_periods.closed_code(books))
        return
    except Rejected as exc:
        _fail(txn, item, message=exc.message, code=f"{provider.key}_validation")
        return
    except RateLimited as exc:
        # Nothing was sent, or the books refused to process it: not an attempt. The turn
        # comes back when the company's window opens; the worker serves another company.
        SyncRunItem.objects.filter(pk=item.pk).update(attempts=attempt - 1)
        raise Deferred(max(exc.retry_after, 0.05), window=exc.window or "") from None
    except Unavailable as exc:
        if attempt < MAX_ATTEMPTS:
            raise Deferred(min(10.0, settings.SYNC_RETRY_BASE_SECONDS * 2**attempt)) from None
        _fail(
            txn,
            item,
            message=_(
                "%(provider)s could not be reached after %(attempts)s attempts: %(reason)s "
                "Retry the failed transactions later."
            )
            % {
                "provider": provider.name,
                "attempts": MAX_ATTEMPTS,
                "reason": _sentence(exc.message),
            },
            code=f"{provider.key}_unavailable",
        )
        return
    except ProviderError as exc:
        _fail(txn, item, message=exc.message, code=f"{provider.key}_error")
        return
    _succeed(txn, item, _receipts_sent(txn, books))


def _sentence(text: str) -> str:
    """A provider's message as a sentence of ours: ends with a full stop, never two."""
    text = text.strip()
    return text if text.endswith((".", "!", "?")) else f"{text}."


def entry_draft(
    txn: Transaction,
    *,
    source: Account,
    input_vat: str | None,
    books: BooksConnection | None,
    receipt_links: list[str],
) -> JournalEntryDraft:
    """The entry a transaction books, on its own date (the posting-date policy moves it
    after): the organization's VAT reclaim choice, reverse charge with the connection's
    Output VAT account and the provider's tax codes. A push and a correction build it alike.
    `ReverseChargeUnsupported` when the books cannot take the reverse charge."""
    # Reverse charge needs an input VAT line: an organization not registered for VAT books
    # foreign services gross, in any books.
    reverse_charge = bool(input_vat) and is_reverse_charged(txn)
    if reverse_charge and books is not None and not books.provider.books_reverse_charge:
        raise ReverseChargeUnsupported(txn.reference)
    return journal_entry_for(
        txn,
        source_account=source,
        input_vat=input_vat,
        receipt_links=receipt_links,
        vat_reclaim=vat_reclaim_of(txn.organization_id),
        reverse_charge=reverse_charge,
        output_vat=getattr(books, "output_vat", None),
        input_vat_tax=getattr(books, "input_vat_tax", None),
        output_vat_tax=getattr(books, "output_vat_tax", None),
    )


def _create_entry_once(
    txn: Transaction,
    source: Account,
    session: ProviderSession,
    input_vat: str | None = None,
    *,
    books: BooksConnection | None = None,
) -> EntryRef:
    """Create the transaction's entry, or adopt the one an earlier attempt left in the books;
    its id is stored before this returns. `books` brings its provider's capabilities (None:
    the plain path: no files before the create, no key)."""
    links = [link_for(document) for document in txn.documents.all()]
    draft = entry_draft(txn, source=source, input_vat=input_vat, books=books, receipt_links=links)
    sent = closed_periods.dated(draft, txn)
    if txn.push_started_at is not None:
        # An earlier attempt may have reached the books: look before creating (on the day it
        # was sent on: `booked_on` is stored before "about to create").
        found = session.find_entry(reference=txn.reference, date=sent.date)
        if found is not None:
            _record_entry(txn, sent, entry_id=found.id, status=found.status, adopted=True)
            return found
    if books is not None:  # books that told us their lock date: refuse or move it first
        closed_periods.check_before_create(txn, books)
        sent = closed_periods.dated(draft, txn)
    files: list[AttachmentRef] = []
    upload_first = keyed = False
    if books is not None:
        upload_first = books.provider.attachment_flow == AttachmentFlow.UPLOAD_BEFORE_CREATE
        keyed = books.provider.takes_idempotency_key
        if upload_first:
            files = upload_documents(txn, books, uploading(session))
    moved = False
    while True:
        key = idempotency_key_for(txn, sent, files) if keyed else None
        Transaction.objects.filter(pk=txn.pk).update(push_started_at=timezone.now())
        txn.push_started_at = timezone.now()
        try:
            if upload_first or keyed:
                created = session.create_draft_entry(sent, attachments=files, idempotency_key=key)
            else:  # the plain path, as it always was
                created = session.create_draft_entry(sent)
            break
        except (AuthRefused, Rejected, RateLimited) as refused:
            # The provider answered and refused: nothing was created, no lookup needed next
            # time.
            Transaction.objects.filter(pk=txn.pk).update(push_started_at=None)
            txn.push_started_at = None
            # Closed books: under the "first open day" policy, sent once more on that day.
            if (
                isinstance(refused, PeriodClosed)
                and books is not None
                and not moved
                and closed_periods.move_after_refusal(txn, sent, books, refused)
            ):
                moved = True
                sent = closed_periods.dated(draft, txn)
                continue
            raise
    if books is not None:
        closed_periods.after_create(books, sent)
    _record_entry(txn, sent, entry_id=created.id, status=created.status, adopted=False)
    return created


def _record_entry(
    txn: Transaction, draft: JournalEntryDraft, *, entry_id: str, status: str, adopted: bool
) -> None:
    Transaction.objects.filter(pk=txn.pk).update(
        journal_entry_id=entry_id,
        journal_entry_status=status,
        journal_entry_lines=lines_snapshot(draft),
        vat_reclaimed=draft.vat_reclaimed,
        reverse_charge_vat=draft.reverse_charge_vat,
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
    if books.provider.attachment_flow == AttachmentFlow.UPLOAD_BEFORE_CREATE:
        # The files travelled with the create (uploaded first, before "about to create", so
        # an adopted entry has them too), or the books take none and the entry has the links.
        # A receipt that arrived after the upload is not in the entry: a late receipt.
        travelled = (
            _in_the_entrys_links(txn)
            if books.attachments_supported is False
            else Q(external_attachment_id__isnull=False)
        )
        Document.objects.filter(travelled, transaction=txn, attached_at__isnull=True).update(
            attached_at=timezone.now()
        )
        return
    for document in Document.objects.filter(transaction=txn, attached_at__isnull=True):
        if books.attachments_supported is False:
            Document.objects.filter(_in_the_entrys_links(txn), pk=document.pk).update(
                attached_at=timezone.now()
            )
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
            Document.objects.filter(_in_the_entrys_links(txn), pk=document.pk).update(
                attached_at=timezone.now()
            )
            continue
        Document.objects.filter(pk=document.pk).update(
            external_attachment_id=attached.id, attached_at=timezone.now()
        )
        if books.attachments_supported is None:
            books.remember_attachments_supported(True)


def _in_the_entrys_links(txn: Transaction) -> Q:
    """The receipts whose links the entry carries: all but those that arrived late, after
    the create was sent (they are attached, or linked, as late receipts)."""
    if txn.push_started_at is None:
        return Q(late_since__isnull=True)
    return Q(late_since__isnull=True) | Q(created_at__lte=txn.push_started_at)


@transaction.atomic
def _succeed(txn: Transaction, item: SyncRunItem, receipts: dict[str, int]) -> None:
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
        after={
            "status": TransactionStatus.SYNCED,
            "journal_entry_id": txn.journal_entry_id,
            **receipts,
        },
    )


def _receipts_sent(txn: Transaction, books: BooksConnection) -> dict[str, int]:
    """What the entry got of the transaction's receipts, for its audit line: how many there
    are and how many went as files. Books that take files got each one (some answer no id
    for it); books that take none have the links every entry carries, and only a document
    uploaded before that was known (with the books' id) went as a file."""
    counts = Document.objects.filter(transaction=txn).aggregate(
        receipts=Count("pk"),
        with_id=Count("pk", filter=Q(external_attachment_id__isnull=False)),
    )
    receipts = int(counts["receipts"])
    attached = int(counts["with_id"]) if books.attachments_supported is False else receipts
    return {"receipts": receipts, "receipts_attached": attached}


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
