"""The steps of a push that depend on what the provider declared (`Provider` capabilities),
each as exactly-once as the create itself (`accounting.services.push` calls them):

- files uploaded before the create (`AttachmentFlow.UPLOAD_BEFORE_CREATE`): each receipt once,
  its id kept on the document before "about to create", so a retried create carries the same
  files;
- an idempotency key (`takes_idempotency_key`): the same for every retry of the same entry;
- a second call that makes a posted answer a draft (`draft_may_need_second_call`): made once
  the entry id is stored; a push that finds the id stored by an earlier attempt asks the
  books first, as that attempt may have died just before or just after the call.
"""

import hashlib
import json
import uuid

from accounting.journal import JournalEntryDraft
from accounting.models import Document, Transaction
from accounting.providers import (
    AttachmentRef,
    AttachmentsUnsupported,
    BooksConnection,
    EntryRef,
    ProviderError,
    ProviderSession,
    RedraftingSession,
    UploadingSession,
)
from sifi.services import record_audit

# Idempotency keys are UUIDs in this namespace (never change it: a retry after a deploy must
# send the key the first attempt sent).
_IDEMPOTENCY_NAMESPACE = uuid.UUID("5f0c7d1e-3b7a-5c55-9f43-2f6a1d0e8b21")


def idempotency_key_for(
    txn: Transaction, draft: JournalEntryDraft, files: list[AttachmentRef]
) -> str:
    """The key a provider that takes one gets with the create: the same for every retry of
    the same entry (organization, our reference, what is sent), whatever worker sends it."""
    sent = {
        "date": draft.date.isoformat(),
        "description": draft.description,
        "currency": draft.currency,
        "lines": [[line.account, line.side, str(line.amount), line.memo] for line in draft.lines],
        "files": [file.id for file in files],
    }
    digest = hashlib.sha256(json.dumps(sent, sort_keys=True).encode()).hexdigest()
    name = f"{txn.organization_id}:{txn.reference}:{digest}"
    return str(uuid.uuid5(_IDEMPOTENCY_NAMESPACE, name))


def uploading(session: ProviderSession) -> UploadingSession:
    """The session as one that uploads files (its provider declared it does)."""
    if not isinstance(session, UploadingSession):
        raise TypeError(
            f"{type(session).__name__} has no upload_document, yet its provider uploads files "
            "before the create"
        )
    return session


def redrafting(session: ProviderSession) -> RedraftingSession:
    """The session as one that makes drafts by a second call (its provider declared it)."""
    if not isinstance(session, RedraftingSession):
        raise TypeError(
            f"{type(session).__name__} has no mark_as_draft, yet its provider's drafts may "
            "need a second call"
        )
    return session


def upload_documents(
    txn: Transaction, books: BooksConnection, session: UploadingSession
) -> list[AttachmentRef]:
    """The files the create carries: each receipt uploaded once, its id kept on the document
    (a retried create carries the same files, and sends the same idempotency key). None for
    books that take no files: the entry carries the receipt links."""
    if books.attachments_supported is False:
        return []
    files = []
    for document in Document.objects.filter(transaction=txn).order_by("pk"):
        uploading_now = document.external_attachment_id is None
        try:
            attachment_id = upload_once(document, books, session)
        except AttachmentsUnsupported:
            books.remember_attachments_supported(False)
            return []
        if uploading_now and books.attachments_supported is None:
            books.remember_attachments_supported(True)
        files.append(AttachmentRef(id=attachment_id))
    return files


def upload_once(document: Document, books: BooksConnection, session: UploadingSession) -> str:
    """The receipt's upload id: uploaded now unless an earlier attempt kept one. The id is
    stored on the document before anything carries it, so a retry carries this very file,
    never a second copy."""
    if document.external_attachment_id is not None:
        return document.external_attachment_id
    with document.file.open("rb") as handle:
        content = handle.read()
    uploaded = session.upload_document(
        filename=document.filename, content=content, content_type=document.content_type
    )
    if uploaded.id is None:
        raise ProviderError(
            f"{books.provider.name} gave no id for the uploaded {document.filename}."
        )
    Document.objects.filter(pk=document.pk).update(external_attachment_id=uploaded.id)
    document.external_attachment_id = uploaded.id
    return uploaded.id


def make_draft_once(txn: Transaction, session: RedraftingSession, entry: EntryRef | None) -> None:
    """Make the second call a draft needs, once. `entry` is what the books answered during
    this attempt; without it (the id was stored by an earlier attempt, which may have died
    just before or just after the call) the books are asked where the entry stands."""
    assert txn.journal_entry_id is not None
    if entry is None or entry.id != txn.journal_entry_id:
        found = session.find_entry(reference=txn.reference, date=txn.transaction_date)
        if found is None or found.id != txn.journal_entry_id:
            # Not found as ours: the call itself says what the books make of the entry.
            found = EntryRef(id=txn.journal_entry_id, status="", needs_draft_step=True)
        elif found.status != txn.journal_entry_status:
            record_status(txn, found.status)  # the earlier attempt's call did reach the books
        entry = found
    if not entry.needs_draft_step:
        return
    drafted = session.mark_as_draft(entry.id)
    record_status(txn, drafted.status)
    record_audit(
        organization=txn.organization,
        actor=None,
        action="transaction.journal_entry_drafted",
        target_type="transaction",
        target_id=txn.pk,
        before={"status": entry.status},
        after={"journal_entry_id": entry.id, "status": drafted.status},
    )


def record_status(txn: Transaction, status: str) -> None:
    Transaction.objects.filter(pk=txn.pk).update(journal_entry_status=status)
    txn.journal_entry_status = status
