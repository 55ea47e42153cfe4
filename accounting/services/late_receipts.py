"""Late receipts: a receipt that arrives once its transaction was taken by a sync run is
attached to the transaction's entry in the books, exactly once, in the company's turn.

Ingestion stores such a receipt with `late_since` (`ingestion`); the company's turns take the
late receipts of synced transactions after its pending pushes, inside the same request budget
(`turns.take_turn`), so a company's receipts never jump the queue of other companies.

Exactly once, however often a step is retried or a worker dies:
- one worker at a time per transaction: the push's advisory lock (`push.push_lock`), so a
  late receipt is never attached while the transaction's own push runs, nor twice at once;
- books that take files after the create: "about to attach" (`attach_started_at`) is
  committed before the call; an attempt that finds it set asks the books which files the
  entry holds (`AttachmentListingSession.list_attachments`) and counts the receipt attached
  if the entry holds one more file of its name than we recorded. Books that cannot say are
  not sent the file again: the receipt fails with a reason a person can act on (check the
  entry, attach it by hand if missing), never a second copy;
- books whose files are uploaded first (`UploadingSession`): the upload's id is kept on the
  document before the file is added to the entry (`AttachingUploadsSession.attach_uploaded`,
  idempotent: the books merge the ids), so a retry adds the same file, never another;
- books that take no files: the entry cannot take the link any more through the interface
  (the create carried the links of the receipts it knew): the receipt is marked "link only"
  and its page shows the link, to be added to the entry by hand.
"""

from concurrent.futures import ThreadPoolExecutor

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from accounting.models import Document, Transaction, TransactionStatus
from accounting.providers import (
    AttachingUploadsSession,
    AttachmentFlow,
    AttachmentListingSession,
    AttachmentsUnsupported,
    AuthRefused,
    BooksConnection,
    ProviderError,
    ProviderSession,
    RateLimited,
    Rejected,
    Unavailable,
    connection_for,
)
from accounting.services.capabilities import upload_once
from accounting.services.push import MAX_ATTEMPTS, Deferred, RunStopped, push_lock
from accounting.services.receipts import link_for
from accounting.services.run_lifecycle import stop_active_runs
from sifi.models import Organization
from sifi.services import record_audit

Outcome = bool | Deferred | RunStopped


def waiting(organization_id: int) -> QuerySet[Document]:
    """The organization's late receipts waiting to be attached (failed and link-only ones do
    not wait: a person acts on them)."""
    return Document.objects.filter(
        organization_id=organization_id,
        late_since__isnull=False,
        attached_at__isnull=True,
        link_only=False,
        attach_error="",
    )


def ready(organization_id: int, *, stripe: int | None = None, turns: int = 1) -> QuerySet[Document]:
    """Those whose transaction is synced (one still in a run gets them from its own push, or
    waits for it): the stripe's share, when asked."""
    found = waiting(organization_id).filter(transaction__status=TransactionStatus.SYNCED)
    if stripe is not None:
        found = found.alias(stripe=F("transaction_id") % turns).filter(stripe=stripe)
    return found


def next_ready(
    organization_id: int, *, stripe: int, turns: int, exclude: set[int], limit: int
) -> list[int]:
    """The stripe's next late receipts to attach (document ids), oldest first."""
    rows = (
        ready(organization_id, stripe=stripe, turns=turns)
        .exclude(pk__in=exclude)
        .order_by("late_since", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    return list(rows)


def has_ready(organization_id: int, *, stripe: int | None = None, turns: int = 1) -> bool:
    return ready(organization_id, stripe=stripe, turns=turns).exists()


def organizations_waiting(*, only: int | None = None) -> list[int]:
    """Connected organizations with late receipts ready to attach (the reaper starts their
    turns; one whose books are disconnected keeps its receipts waiting, and reconciliation
    reports them)."""
    documents = (
        Document.objects.all() if only is None else Document.objects.filter(organization_id=only)
    )
    waiting_ids = (
        documents.filter(
            late_since__isnull=False,
            attached_at__isnull=True,
            link_only=False,
            attach_error="",
            transaction__status=TransactionStatus.SYNCED,
        )
        .values_list("organization_id", flat=True)
        .distinct()
    )
    connected = []
    for organization in Organization.objects.filter(pk__in=waiting_ids):
        books = connection_for(organization)
        if books is not None and books.is_connected:
            connected.append(organization.pk)
    return connected


def attach_all(
    document_ids: list[int],
    books: BooksConnection,
    session: ProviderSession,
    *,
    organization_id: int,
) -> list[Outcome]:
    """Attach a turn's late receipts, SYNC_TURN_CONCURRENCY at a time (as a turn's pushes):
    per receipt, done (True), held by another worker (False), or why the turn must stop."""

    def lane(items: list[int]) -> list[Outcome]:
        outcomes: list[Outcome] = []
        for document_id in items:
            try:
                outcomes.append(
                    attach_locked(books, document_id, session, organization_id=organization_id)
                )
            except (Deferred, RunStopped) as stop:
                outcomes.append(stop)
                break
        return outcomes

    width = min(max(1, settings.SYNC_TURN_CONCURRENCY), len(document_ids))
    if width == 1:
        return lane(document_ids)

    def lane_in_thread(items: list[int]) -> list[Outcome]:
        try:
            return lane(items)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=width) as pool:
        lanes = pool.map(lane_in_thread, [document_ids[i::width] for i in range(width)])
        return [outcome for outcomes in lanes for outcome in outcomes]


def attach_locked(
    books: BooksConnection, document_id: int, session: ProviderSession, *, organization_id: int
) -> bool:
    """Attach one late receipt under its transaction's push lock; False if another worker
    holds the transaction. Raises Deferred (the budget is spent, or the books are down) and
    RunStopped (the books refused our credentials: the company's runs stop)."""
    transaction_id = (
        Document.objects.filter(pk=document_id).values_list("transaction_id", flat=True).first()
    )
    if transaction_id is None:
        return True
    with push_lock(transaction_id) as mine:
        if not mine:
            return False
        try:
            attach_late_receipt(books=books, document_id=document_id, session=session)
        except RunStopped as stop:
            stop_active_runs(organization_id, str(stop), books.provider.name)
            raise
    return True


def attach_late_receipt(
    *, books: BooksConnection, document_id: int, session: ProviderSession
) -> None:
    """Attach one late receipt to its synced transaction's entry, exactly once (the module
    docstring says how); the caller holds the transaction's push lock. A receipt already
    attached, failed or link-only is left alone."""
    document = (
        Document.objects.select_related("transaction")
        .filter(
            pk=document_id,
            late_since__isnull=False,
            attached_at__isnull=True,
            link_only=False,
            attach_error="",
            transaction__status=TransactionStatus.SYNCED,
        )
        .first()
    )
    if document is None:
        return
    txn = document.transaction
    entry_id = txn.journal_entry_id
    assert entry_id is not None
    provider = books.provider
    attempt = document.attach_attempts + 1
    Document.objects.filter(pk=document.pk).update(attach_attempts=attempt)
    try:
        if books.attachments_supported is False:
            _link_only(document, txn)
        elif provider.attachment_flow == AttachmentFlow.UPLOAD_BEFORE_CREATE:
            _upload_then_attach(document, txn, books, session, entry_id)
        else:
            _attach_once(document, txn, books, session, entry_id)
    except AttachmentsUnsupported:
        books.remember_attachments_supported(False)
        _not_started(document)
        _link_only(document, txn)
    except AuthRefused as exc:
        books.needs_attention(exc.message)
        raise RunStopped(exc.message) from None
    except Rejected as exc:
        _not_started(document)
        _failed(document, txn, exc.message)
    except RateLimited as exc:
        # Nothing was sent, or the books refused to process it: not an attempt.
        _not_started(document)
        Document.objects.filter(pk=document.pk).update(attach_attempts=attempt - 1)
        raise Deferred(max(exc.retry_after, 0.05), window=exc.window or "") from None
    except Unavailable as exc:
        # Maybe attached: "about to attach" stays, the next attempt asks the books first.
        if attempt < MAX_ATTEMPTS:
            raise Deferred(min(10.0, settings.SYNC_RETRY_BASE_SECONDS * 2**attempt)) from None
        _failed(
            document,
            txn,
            _(
                "%(provider)s could not be reached after %(attempts)s attempts (%(reason)s): "
                "open the entry in %(provider)s, attach the receipt by hand if it is not "
                "there, or retry it later."
            )
            % {
                "provider": provider.name,
                "attempts": MAX_ATTEMPTS,
                "reason": exc.message.strip().rstrip("."),
            },
        )
    except ProviderError as exc:
        _not_started(document)
        _failed(document, txn, exc.message)


def _attach_once(
    document: Document,
    txn: Transaction,
    books: BooksConnection,
    session: ProviderSession,
    entry_id: str,
) -> None:
    if document.attach_started_at is not None:
        # An earlier attempt may have reached the books: ask which files the entry holds.
        if not isinstance(session, AttachmentListingSession):
            _failed(
                document,
                txn,
                _(
                    "We may have attached this receipt already, and %(provider)s cannot say "
                    "which files an entry holds: open the entry in %(provider)s and attach it "
                    "by hand if it is not there."
                )
                % {"provider": books.provider.name},
            )
            return
        held = session.list_attachments(entry_id).count(document.filename)
        recorded = Document.objects.filter(
            transaction=txn, filename=document.filename, attached_at__isnull=False
        ).count()
        if held > recorded:
            _attached(document, txn, attachment_id=None, adopted=True)
            return
    Document.objects.filter(pk=document.pk).update(attach_started_at=timezone.now())
    with document.file.open("rb") as handle:
        content = handle.read()
    attached = session.attach_document(
        entry_id,
        filename=document.filename,
        content=content,
        content_type=document.content_type,
    )
    if books.attachments_supported is None:
        books.remember_attachments_supported(True)
    _attached(document, txn, attachment_id=attached.id, adopted=False)


def _upload_then_attach(
    document: Document,
    txn: Transaction,
    books: BooksConnection,
    session: ProviderSession,
    entry_id: str,
) -> None:
    if not isinstance(session, AttachingUploadsSession):
        _link_only(document, txn)
        return
    # The upload's id is kept before the entry is touched: a retry adds this very file.
    attachment_id = upload_once(document, books, session)
    Document.objects.filter(pk=document.pk).update(attach_started_at=timezone.now())
    session.attach_uploaded(entry_id, [attachment_id])
    _attached(document, txn, attachment_id=attachment_id, adopted=False)


@transaction.atomic
def _attached(
    document: Document, txn: Transaction, *, attachment_id: str | None, adopted: bool
) -> None:
    now = timezone.now()
    Document.objects.filter(pk=document.pk).update(
        attached_at=now,
        attach_started_at=None,
        external_attachment_id=attachment_id or document.external_attachment_id,
    )
    record_audit(
        organization=txn.organization,
        actor=None,
        action="transaction.late_receipt_attached",
        target_type="transaction",
        target_id=txn.pk,
        after={
            "document": document.pk,
            "filename": document.filename,
            "journal_entry_id": txn.journal_entry_id,
            "found_in_the_books": adopted,
        },
    )


def _not_started(document: Document) -> None:
    """The books answered and refused: nothing was attached, no lookup needed next time."""
    Document.objects.filter(pk=document.pk).update(attach_started_at=None)


@transaction.atomic
def _failed(document: Document, txn: Transaction, reason: str) -> None:
    Document.objects.filter(pk=document.pk).update(attach_error=reason)
    record_audit(
        organization=txn.organization,
        actor=None,
        action="transaction.late_receipt_failed",
        target_type="transaction",
        target_id=txn.pk,
        after={"document": document.pk, "filename": document.filename, "error": reason},
    )


@transaction.atomic
def _link_only(document: Document, txn: Transaction) -> None:
    """Books that take no files: the entry's links were written at its create, and the ledger
    has no way to write into an entry afterwards, so the link is offered to be added by hand."""
    link = link_for(document)
    Document.objects.filter(pk=document.pk).update(link_only=True, attach_started_at=None)
    record_audit(
        organization=txn.organization,
        actor=None,
        action="transaction.late_receipt_link_only",
        target_type="transaction",
        target_id=txn.pk,
        after={"document": document.pk, "filename": document.filename, "link": link},
    )
