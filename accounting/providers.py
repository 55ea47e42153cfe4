"""The ledger's side of an accounting system: what it asks of one, and how it finds one.

The ledger names no accounting system. It speaks to an organization's books through:
- `BooksConnection`: the organization's connection (state, Source Account, whether the
  provider takes attachments), which opens a `ProviderSession`;
- `ProviderSession`: read the chart, create a draft entry, find an entry by our reference,
  attach a document; every failure is one of the neutral errors below, the only ones the
  sync engine branches on. What differs between accounting systems is declared on the
  `Provider` as capabilities (how files travel, an idempotency key, a draft that needs a
  second call); the engine asks them instead of assuming, and a session offers the methods
  its provider declares (`UploadingSession`, `RedraftingSession`);
- a registry of dotted paths (`settings.ACCOUNTING_PROVIDERS`: key → class, loaded lazily, as
  healthchecks loads its transports) and `settings.ACCOUNTING_CONNECTIONS`, the dotted path of
  the function that finds an organization's connection. Both point into the integrations
  app, which imports this module, never the reverse.
"""

import datetime
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from functools import cache
from types import TracebackType
from typing import TYPE_CHECKING, ClassVar, Protocol, runtime_checkable

from django.conf import settings
from django.utils.module_loading import import_string

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

    from accounting.journal import JournalEntryDraft
    from accounting.models import Account
    from sifi.models import Organization


# --- the neutral errors -------------------------------------------------------------------------


class ProviderError(Exception):
    """Base of every error a provider raises to the ledger. `message` is safe to show a person
    (never a key); `raw_body` keeps what the provider answered, for support."""

    retryable = False

    def __init__(self, message: str, *, status_code: int | None = None, raw_body: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.status_code = status_code
        self.raw_body = raw_body[:2000]


class AuthRefused(ProviderError):
    """The provider refused our credentials: the connection needs a person, pushes stop."""


class Rejected(ProviderError):
    """The provider refused the content, with its own message. Sending it again cannot help."""


class Unavailable(ProviderError):
    """Server error, timeout, dropped connection, unreadable answer. Retryable; for a write
    the outcome is unknown (look the entry up before sending it again)."""

    retryable = True


class RateLimited(ProviderError):
    """The provider asked us to wait `retry_after` seconds; the request was not processed.

    `window` names the window of the company's request budget the provider said is spent
    ("day": a daily quota used up); None: the first (shortest) one, as for a plain 429."""

    retryable = True

    def __init__(
        self, message: str, *, retry_after: float, raw_body: str = "", window: str | None = None
    ) -> None:
        super().__init__(message, status_code=429, raw_body=raw_body)
        self.retry_after = retry_after
        self.window = window


class AttachmentsUnsupported(ProviderError):
    """This company's books take no files through the API: receipts travel as links."""


# --- what crosses the interface -----------------------------------------------------------------


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


# --- request budgets ----------------------------------------------------------------------------


@dataclass(frozen=True)
class BudgetWindow:
    """One window of a request budget as it stands now: at most `limit` requests in any
    `period_seconds`; `used` in the current window; `wait_seconds` until it lets one more
    go (a window the provider told us is spent — a penalty — waits too). `name` says which
    ("minute", "day"; "" for a budget of one window)."""

    limit: int
    period_seconds: float
    used: int
    wait_seconds: float
    name: str = ""


def binding_window(windows: Sequence[BudgetWindow]) -> BudgetWindow:
    """The window that holds a budget back: the one that waits longest, else the fullest."""
    return max(windows, key=lambda window: (window.wait_seconds, window.used / window.limit))


class RequestBudget(Protocol):
    """A provider company's request limit, shared by every worker process: one window or
    several at once (100 a minute *and* 1,000 a day), every request taking a slot in each.
    The sync engine schedules around it (defers a company's work until its windows open)
    instead of sleeping on it.

    `limit` per `period_seconds` is the first (shortest) window, the one that paces requests
    (how many turns keep a company busy); longer windows only defer."""

    key: str  # one per provider company (never a secret)
    limit: int

    @property
    def period_seconds(self) -> float: ...

    def wait_seconds(self) -> float:
        """Seconds until the next request may go (0.0: now): the longest wait among the
        windows; takes nothing."""
        ...

    def used(self) -> int:
        """Requests sent in the binding window: the one that waits longest, else the fullest."""
        ...

    def windows(self) -> list[BudgetWindow]:
        """Every window as it stands now, shortest first (one read for all)."""
        ...


class AttachmentFlow(StrEnum):
    """How a receipt reaches the entry in the books."""

    # The entry is created, then each file is attached to it (`attach_document(entry_id)`).
    ATTACH_AFTER_CREATE = "attach_after_create"
    # Each file is uploaded on its own first (`UploadingSession.upload_document`) and the
    # create carries their ids (`create_draft_entry(draft, attachments=...)`).
    UPLOAD_BEFORE_CREATE = "upload_before_create"


class Credentials(dict[str, str]):
    """What a provider needs to open a session, by name: where the books are (an address, a
    database, a login, the provider's company) and the secrets (an API key, OAuth tokens).

    A session that refreshes its secrets (OAuth's rotating tokens) stores them with
    `write_back`, a compare-and-set: the change is written only if the stored secrets are still
    the `previous` ones this session read; otherwise another worker refreshed first and its
    secrets win. Either way the answer is the secrets stored now, and this mapping holds them.
    """

    def __init__(
        self,
        values: Mapping[str, str] | None = None,
        *,
        write_back: "SecretsWriter | None" = None,
    ) -> None:
        super().__init__(values or {})
        self._write_back = write_back

    def write_back(
        self, *, previous: Mapping[str, str], changes: Mapping[str, str]
    ) -> dict[str, str]:
        if self._write_back is None:
            raise RuntimeError(
                "These credentials cannot be written back (not a stored connection)."
            )
        stored = self._write_back(previous=previous, changes=changes)
        self.update(stored)
        return stored


class SecretsWriter(Protocol):
    def __call__(
        self, *, previous: Mapping[str, str], changes: Mapping[str, str]
    ) -> dict[str, str]: ...


class Provider:
    """Base of every accounting system (like healthchecks' `Transport`): one subclass per
    provider package, registered in `settings.ACCOUNTING_PROVIDERS` under its `key`.

    Capabilities (class attributes) tell the sync engine what these books do; the defaults
    are the plain path (create the draft, then attach each file; no key; a draft at once)."""

    key: ClassVar[str]
    name: ClassVar["StrOrPromise"]  # shown to people, in their language
    description: ClassVar["StrOrPromise"] = ""
    # Books that file entries in journals: the organization picks the journal ours go to.
    keeps_journals: ClassVar[bool] = False
    # How an organization connects these books: the dotted path of the integrations app's
    # connect flow (`integrations.connect`); the ledger itself never loads it.
    connect_flow: ClassVar[str] = ""
    # How files travel: attached after the create, or uploaded first and carried by it (the
    # session is then an `UploadingSession`).
    attachment_flow: ClassVar[AttachmentFlow] = AttachmentFlow.ATTACH_AFTER_CREATE
    # The provider deduplicates writes by a key we send: the engine derives one from the
    # organization, our reference and what it sends (the same on every retry of the same
    # entry) and gives it to `create_draft_entry(..., idempotency_key=)`.
    takes_idempotency_key: ClassVar[bool] = False
    # The create may answer an entry that is not a draft yet (`EntryRef.needs_draft_step`):
    # the engine then calls `mark_as_draft` once the entry id is stored, and, after an
    # unknown outcome, asks the books before calling it again (the session is then a
    # `RedraftingSession`).
    draft_may_need_second_call: ClassVar[bool] = False

    def open_session(
        self,
        credentials: dict[str, str],
        *,
        journal: str | None = None,
        max_wait: float | None = None,
    ) -> ProviderSession:
        """A session with the company's books. `credentials` are what the connection stores
        (an API key; for some providers also an address, a database, a login, a company);
        `journal` is the journal new entries go to, for books that keep journals (None: the
        provider's default). A request waits at most `max_wait` seconds for the company's
        request budget (None: as long as it takes); beyond it the session raises
        `RateLimited` with the wait, sending nothing."""
        raise NotImplementedError

    def request_budget(self, credentials: dict[str, str]) -> RequestBudget | None:
        """The company's request budget, shared with every session (None: no limit); one
        window or several (`RequestBudget.windows`)."""
        return None

    def entry_url(self, entry_id: str | None, *, credentials: dict[str, str] | None = None) -> str:
        """Where a person opens the entry in the provider's own web app ("" if unknown);
        `credentials` say where the books are, for providers each organization points at."""
        return ""


class BooksConnection(Protocol):
    """An organization's connection to its accounting system, as the ledger needs it."""

    @property
    def provider(self) -> Provider: ...

    @property
    def is_connected(self) -> bool:
        """Credentials are stored: sessions can be opened."""
        ...

    @property
    def attention_reason(self) -> str:
        """Why a person must act before anything is pushed ("" when nothing is wrong)."""
        ...

    @property
    def source_account(self) -> "Account | None":
        """The account that stands for the SiFi wallet: every entry's other side."""
        ...

    @property
    def input_vat_account(self) -> "Account | None":
        """Where VAT goes as a line of its own; None: not VAT-registered, booked gross."""
        ...

    @property
    def attachments_supported(self) -> bool | None:
        """Whether the books take files through the API (None: not known yet)."""
        ...

    def remember_attachments_supported(self, supported: bool) -> None: ...

    def needs_attention(self, reason: str) -> None:
        """The provider refused us: show `reason` on the connection until a person acts."""
        ...

    def entry_url(self, entry_id: str | None) -> str:
        """Where a person opens the entry in these books' own web app ("" if unknown)."""
        ...

    def open_session(self, *, max_wait: float | None = None) -> ProviderSession: ...

    def request_budget(self) -> RequestBudget | None:
        """The request budget of the provider company these books are in (None: no limit)."""
        ...


# --- the registry -------------------------------------------------------------------------------


def provider_keys() -> list[str]:
    return list(settings.ACCOUNTING_PROVIDERS)


@cache
def _provider_class(dotted_path: str) -> type[Provider]:
    provider_class = import_string(dotted_path)
    if not (isinstance(provider_class, type) and issubclass(provider_class, Provider)):
        raise TypeError(f"{dotted_path} is not a Provider")
    return provider_class


def provider_for(key: str) -> Provider:
    """The registered provider `key` (KeyError if there is none)."""
    return _provider_class(settings.ACCOUNTING_PROVIDERS[key])()


def provider_names() -> str:
    """The registered providers' names, for a sentence ("A", or "A or B")."""
    names = [str(provider_for(key).name) for key in provider_keys()]
    return " or ".join(names)


def connection_for(organization: "Organization") -> BooksConnection | None:
    """The organization's connection to its accounting system, if it has one."""
    lookup: Callable[[Organization], BooksConnection | None] = import_string(
        settings.ACCOUNTING_CONNECTIONS
    )
    return lookup(organization)
