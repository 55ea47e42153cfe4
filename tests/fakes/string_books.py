"""Books whose ids are strings that are no numbers, as the next providers' are (Wafeq's
"acc_9f2", "exp_1", "att_1"): a provider held in memory, behind the same registry and
interface as Qoyod and Odoo, for the tests that show such ids go through the ledger (chart
mirroring, pushes, adoption after an unknown outcome, attachments, reconciliation).

A test registers it (`settings.ACCOUNTING_PROVIDERS["string_books"] = PROVIDER_PATH`, then
the routes again, as `tests/integrations/test_connect_flows.py` does) and opens the company's
books by its API key (`StringBooks.for_key`); people connect with that key."""

import datetime
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from types import TracebackType
from typing import Any, ClassVar

from django.core.exceptions import ValidationError

from accounting import journal
from accounting.providers import (
    AttachmentRef,
    ChartAccount,
    EntryRef,
    HeldEntry,
    HeldLine,
    Provider,
    Rejected,
    Unavailable,
)
from integrations.connect.base import ApiKeyFlow, Connected

PROVIDER_PATH = "tests.fakes.string_books.StringBooksProvider"
DRAFT = "DRAFT"


@dataclass
class StringBooks:
    """One company's books: its chart, its entries in the order they were created (the ids
    say nothing of it: "exp_10" is younger than "exp_9"), their attachments."""

    chart: list[ChartAccount] = field(default_factory=list)
    entries: dict[str, HeldEntry] = field(default_factory=dict)
    attachments: dict[str, list[str]] = field(default_factory=dict)
    # Store the next created entry, then lose the answer (the outcome is unknown to us).
    lose_next_answer: bool = False
    lose_next_attach_answer: bool = False  # the file is stored, the answer lost
    created: int = 0

    companies: ClassVar[dict[str, "StringBooks"]] = {}

    @classmethod
    def for_key(cls, api_key: str) -> "StringBooks":
        return cls.companies.setdefault(api_key, cls())

    def add_entry(self, draft: journal.JournalEntryDraft) -> HeldEntry:
        self.created += 1
        entry = HeldEntry(
            id=f"exp_{self.created}",
            reference=draft.reference,
            date=draft.date,
            status=DRAFT,
            lines=tuple(HeldLine(line.account, line.side, line.amount) for line in draft.lines),
        )
        self.entries[entry.id] = entry
        return entry

    def change_entry(self, entry_id: str, **changes: object) -> None:
        self.entries[entry_id] = replace(self.entries[entry_id], **changes)  # type: ignore[arg-type]


class StringBooksSession:
    def __init__(self, books: StringBooks) -> None:
        self.books = books

    def __enter__(self) -> "StringBooksSession":
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        return None

    def read_chart(self) -> list[ChartAccount]:
        return list(self.books.chart)

    def create_draft_entry(
        self,
        draft: journal.JournalEntryDraft,
        *,
        attachments: Sequence[AttachmentRef] = (),
        idempotency_key: str | None = None,
    ) -> EntryRef:
        known = {account.external_id for account in self.books.chart if account.active}
        unknown = sorted({line.account for line in draft.lines} - known)
        if unknown:
            raise Rejected(f"Unknown account {', '.join(unknown)}.", status_code=400)
        entry = self.books.add_entry(draft)
        if self.books.lose_next_answer:
            self.books.lose_next_answer = False
            raise Unavailable("The connection dropped after the books stored the entry.")
        return EntryRef(id=entry.id, status=entry.status)

    def find_entry(self, *, reference: str, date: datetime.date) -> EntryRef | None:
        for entry in self.books.entries.values():  # oldest first: the order of creation
            if (entry.reference, entry.date) == (reference, date):
                return EntryRef(id=entry.id, status=entry.status)
        return None

    def attach_document(
        self, entry_id: str, *, filename: str, content: bytes, content_type: str
    ) -> AttachmentRef:
        if entry_id not in self.books.entries:
            raise Rejected(f"No expense {entry_id}.", status_code=404)
        attached = self.books.attachments.setdefault(entry_id, [])
        attached.append(filename)
        if self.books.lose_next_attach_answer:
            self.books.lose_next_attach_answer = False
            raise Unavailable("The connection dropped after the books stored the file.")
        return AttachmentRef(id=f"att_{len(attached)}_{entry_id}")

    def list_entries(self, *, date_from: datetime.date, date_to: datetime.date) -> list[HeldEntry]:
        return [
            entry
            for entry in self.books.entries.values()
            if entry.date is not None and date_from <= entry.date <= date_to
        ]

    def get_entries(self, entry_ids: list[str]) -> dict[str, HeldEntry | None]:
        return {entry_id: self.books.entries.get(entry_id) for entry_id in entry_ids}


class StringBooksProvider(Provider):
    key = "string_books"
    name = "String Books"
    connect_flow = "tests.fakes.string_books.StringBooksConnect"

    def open_session(
        self,
        credentials: dict[str, str],
        *,
        journal: str | None = None,
        max_wait: float | None = None,
        options: Mapping[str, Any] | None = None,
    ) -> StringBooksSession:
        return StringBooksSession(StringBooks.for_key(credentials["api_key"]))

    def entry_url(self, entry_id: str | None, *, credentials: dict[str, str] | None = None) -> str:
        return f"https://books.example/expenses/{entry_id}" if entry_id else ""


class StringBooksConnect(ApiKeyFlow):
    key = "string_books"
    scopes = {
        "accounts:read": "Read the chart of accounts",
        "expenses:write": "Create draft expenses and attach files",
    }

    def check_key(self, *, organization: Any, api_key: str) -> Connected:
        books = StringBooks.companies.get(api_key)
        if books is None:
            raise ValidationError({"api_key": ["String Books does not know this key."]})
        return Connected(secrets={"api_key": api_key}, location={}, accounts_found=len(books.chart))
