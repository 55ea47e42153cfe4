"""A session with one company's books, and what crosses it: the chart's accounts, journals,
entries as we create them and as the books hold them, attachments. Every provider id is a
string, whatever the provider's wire type."""

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from types import TracebackType
from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    from accounting.journal import JournalEntryDraft


@dataclass(frozen=True)
class ChartAccount:
    """One account of the provider's chart, in the ledger's words. Ids are the provider's own,
    as strings whatever the provider's wire type ("1038", "acc_9f2", "460000000038029")."""

    external_id: str
    code: str
    name_en: str
    name_ar: str
    type: str
    group_type: str
    active: bool
    receive_payments: bool
    parent_external_id: str | None = None


@dataclass(frozen=True)
class BooksJournal:
    """A journal of books that keep entries in journals: the organization chooses the one our
    entries go to (providers without journals have none)."""

    external_id: str
    code: str
    name: str

    def __str__(self) -> str:
        return f"{self.code} · {self.name}" if self.code else self.name


@dataclass(frozen=True)
class EntryRef:
    """A journal entry in the provider's books: its id and the status the provider reports.

    `needs_draft_step`: the books hold it in a state the provider moves back to a draft with a
    second call (`RedraftingSession.mark_as_draft`); only providers that declare
    `Provider.draft_may_need_second_call` ever say so."""

    id: str
    status: str
    needs_draft_step: bool = False


@dataclass(frozen=True)
class HeldLine:
    """One line of an entry as the books hold it."""

    account: str  # the provider's id of the account
    side: str  # "debit" / "credit"
    amount: Decimal


@dataclass(frozen=True)
class HeldEntry:
    """A journal entry as the books hold it now: what reconciliation compares."""

    id: str
    reference: str  # ours, where the provider keeps it ("" if the entry is not ours)
    date: datetime.date | None
    status: str
    lines: tuple[HeldLine, ...]

    @property
    def total_debit(self) -> Decimal:
        return sum((line.amount for line in self.lines if line.side == "debit"), Decimal("0"))


@dataclass(frozen=True)
class AttachmentRef:
    """A document attached to an entry, or uploaded to be given to one (`upload_document`);
    `id` is None where the provider returns none."""

    id: str | None


class ProviderSession(Protocol):
    """An open connection to one company's books. Use it as a context manager."""

    def read_chart(self) -> list[ChartAccount]:
        """The whole chart of accounts."""
        ...

    def create_draft_entry(
        self,
        draft: "JournalEntryDraft",
        *,
        attachments: Sequence[AttachmentRef] = (),
        idempotency_key: str | None = None,
    ) -> EntryRef:
        """Create the entry as a draft. Never re-sent after an unknown outcome: `Unavailable`
        means "maybe created", and the caller looks it up before trying again.

        The engine passes `attachments` (files uploaded first) only to a provider whose
        `attachment_flow` is UPLOAD_BEFORE_CREATE, and `idempotency_key` only to one that
        `takes_idempotency_key`; the others receive the defaults. The answer's status may
        need a second call (`EntryRef.needs_draft_step`)."""
        ...

    def find_entry(self, *, reference: str, date: datetime.date) -> EntryRef | None:
        """The entry that carries our `reference` on that date (the oldest if several: the
        provider knows how its ids order, the ledger compares them only for equality)."""
        ...

    def attach_document(
        self, entry_id: str, *, filename: str, content: bytes, content_type: str
    ) -> AttachmentRef:
        """Attach one file to an entry; `AttachmentsUnsupported` if the books take none."""
        ...

    def list_entries(self, *, date_from: datetime.date, date_to: datetime.date) -> list[HeldEntry]:
        """Every entry dated in the range, as the books hold it now (all pages), oldest first."""
        ...

    def get_entries(self, entry_ids: list[str]) -> dict[str, HeldEntry | None]:
        """Entries by the provider's ids; None for one the books do not have (deleted, or an
        id that is not one of theirs)."""
        ...

    def __enter__(self) -> "ProviderSession": ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None: ...


@runtime_checkable
class UploadingSession(ProviderSession, Protocol):
    """The session of a provider whose files travel with the create
    (`AttachmentFlow.UPLOAD_BEFORE_CREATE`)."""

    def upload_document(self, *, filename: str, content: bytes, content_type: str) -> AttachmentRef:
        """Upload one file on its own, for a create to carry; `AttachmentsUnsupported` if the
        books take none. Not idempotent: an upload repeated leaves an orphan file (harmless);
        the engine keeps the id so a retried create carries the same files."""
        ...


@runtime_checkable
class RedraftingSession(ProviderSession, Protocol):
    """The session of a provider whose create may answer an entry that is not a draft yet
    (`Provider.draft_may_need_second_call`)."""

    def mark_as_draft(self, entry_id: str) -> EntryRef:
        """Move the entry back to a draft; the answer no longer `needs_draft_step`."""
        ...


@runtime_checkable
class EditingSession(ProviderSession, Protocol):
    """The session of a provider whose API updates an entry in place while the books hold it
    as a draft (`Provider.can_update_drafts`)."""

    def update_draft_entry(self, entry_id: str, draft: "JournalEntryDraft") -> EntryRef:
        """Make the entry's lines (accounts, sides, amounts, labels) the draft's, in one call,
        keeping the entry (its id, number, reference, date, attachments). `NotADraft` when the
        books hold it posted (nothing changed); `Unavailable` means "maybe updated": the caller
        reads the entry and compares its lines before sending it again."""
        ...


@runtime_checkable
class AttachmentListingSession(ProviderSession, Protocol):
    """The session of books that say which files an entry holds: after an attachment's unknown
    outcome (a late receipt), the engine asks before sending the file again."""

    def list_attachments(self, entry_id: str) -> list[str]:
        """The names of the files attached to the entry (one per file, repeats included)."""
        ...


@runtime_checkable
class LockReadingSession(ProviderSession, Protocol):
    """The session of books that say their lock date when asked (`Provider.reads_lock_date`):
    the engine reads it once per run, and the configuration sync with the chart."""

    def read_lock_date(self) -> datetime.date | None:
        """The last day of the closed period that applies to our entries (None: none)."""
        ...


@runtime_checkable
class AttachingUploadsSession(UploadingSession, Protocol):
    """The session of a provider whose files are uploaded first, that can add uploaded files
    to an entry that exists already (a late receipt)."""

    def attach_uploaded(self, entry_id: str, attachment_ids: Sequence[str]) -> None:
        """Add files uploaded by `upload_document` to the entry. Idempotent: a file the entry
        holds already is not added twice, so a call after an unknown outcome is safe."""
        ...
