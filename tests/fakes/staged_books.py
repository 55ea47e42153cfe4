"""Books that stage an entry in several calls, held in memory: they stand for an external
accounting system shaped like Wafeq's expense API (providers-api.md §3), for the sync
engine's tests of the capabilities a provider declares.

- files are uploaded on their own first (`upload_document` → an id) and the create carries
  their ids; attaching after the create is refused;
- every create takes an idempotency key: the same key with the same body answers the
  original entry again (nothing new is stored), the same key with another body is refused;
- a created entry is POSTED; `mark_as_draft` moves it back to DRAFT (and refuses one that
  is a draft already);
- the request budget has two windows, a minute and a day (`per_minute`, `per_day`), shared
  through Redis as a real provider's; every call takes a slot.

Faults are queued per call (`fail("create", "stored_then_lost")`): `lost` (Unavailable,
nothing stored), `refused` (Rejected, nothing stored), `stored_then_lost` (stored, then
Unavailable), `worker_killed` (the worker dies before the call leaves: the books never see
it), `stored_then_killed` (the books did it, then the worker died), `quota_spent` (the
provider says the daily quota is used up: a penalty on the day window and RateLimited).
`calls` holds every call the books received.
`blind_lookups` makes the next lookups miss (a listing that lags behind).
Registered through a settings override (the `staged_books` fixture).
"""

import datetime
import itertools
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

import pytest
from django.conf import settings

from accounting.journal import JournalEntryDraft
from accounting.providers import (
    AttachmentFlow,
    AttachmentRef,
    ChartAccount,
    EntryRef,
    HeldEntry,
    HeldLine,
    Provider,
    RateLimited,
    Rejected,
    Unavailable,
)
from integrations.ratelimit import RedisRateLimiter, Window, bucket_for_credential

KEY = "staged"
POSTED, DRAFT = "POSTED", "DRAFT"
API_KEY = "staged-books-key-0001"
QUOTA_PROBE_SECONDS = 900.0


class WorkerKilled(BaseException):
    """The worker process died here (nothing of ours runs after it: no except, no finally
    that writes)."""


@dataclass
class StoredEntry:
    id: str  # "exp_7001": these books' ids are no numbers (as Wafeq's)
    reference: str
    date: datetime.date
    status: str
    lines: tuple[HeldLine, ...]
    files: tuple[str, ...]


@dataclass
class Call:
    method: str
    idempotency_key: str | None = None
    files: tuple[str, ...] = ()
    entry_id: str | None = None


@dataclass
class StagedBooks:
    """What the books hold and every call they received."""

    entries: dict[str, StoredEntry] = field(default_factory=dict)  # in the order created
    files: dict[str, str] = field(default_factory=dict)
    calls: list[Call] = field(default_factory=list)
    faults: dict[str, list[str]] = field(default_factory=dict)
    blind_lookups: int = 0
    replayed: int = 0
    _keys: dict[str, tuple[str, str]] = field(default_factory=dict)
    _ids: Iterator[int] = field(default_factory=lambda: itertools.count(7001))

    def fail(self, method: str, kind: str, *, count: int = 1) -> None:
        self.faults.setdefault(method, []).extend([kind] * count)

    def calls_to(self, method: str) -> list[Call]:
        return [call for call in self.calls if call.method == method]

    def _fault(self, method: str) -> str:
        queued = self.faults.get(method) or []
        return queued.pop(0) if queued else ""


BOOKS = StagedBooks()


def _answer(entry: StoredEntry) -> EntryRef:
    return EntryRef(id=entry.id, status=entry.status, needs_draft_step=entry.status == POSTED)


def _before_the_call(kind: str, budget: RedisRateLimiter) -> None:
    """Faults that keep the call from doing anything (it reached the books)."""
    if kind == "lost":
        raise Unavailable("The books did not answer (timeout).")
    if kind == "refused":
        raise Rejected("Your books up to 2025-01-31 are closed.", status_code=400)
    if kind == "quota_spent":
        budget.penalize(QUOTA_PROBE_SECONDS, window="day")
        raise RateLimited(
            "The daily API limit is used up.", retry_after=QUOTA_PROBE_SECONDS, window="day"
        )


def _after_the_call(kind: str) -> None:
    """Faults that strike once the books did what was asked."""
    if kind == "stored_then_lost":
        raise Unavailable("The connection dropped before the answer.")
    if kind == "stored_then_killed":
        raise WorkerKilled


class StagedSession:
    def __init__(self, budget: RedisRateLimiter) -> None:
        self.budget = budget

    def __enter__(self) -> "StagedSession":
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        return None

    def _request(self, call: Call) -> str:
        """Take a slot of the budget, send the call (recorded as the books received it)
        unless the worker dies first; the fault it meets, if any."""
        self.budget.acquire()
        kind = BOOKS._fault(call.method)
        if kind == "worker_killed":
            raise WorkerKilled
        BOOKS.calls.append(call)
        _before_the_call(kind, self.budget)
        return kind

    def read_chart(self) -> list[ChartAccount]:
        self._request(Call("read_chart"))
        return []

    def upload_document(self, *, filename: str, content: bytes, content_type: str) -> AttachmentRef:
        file_id = f"att_{next(BOOKS._ids)}"
        kind = self._request(Call("upload", files=(file_id,)))
        BOOKS.files[file_id] = filename
        _after_the_call(kind)
        return AttachmentRef(id=file_id)

    def create_draft_entry(
        self,
        draft: JournalEntryDraft,
        *,
        attachments: Sequence[AttachmentRef] = (),
        idempotency_key: str | None = None,
    ) -> EntryRef:
        files = tuple(file.id for file in attachments if file.id is not None)
        kind = self._request(Call("create", idempotency_key=idempotency_key, files=files))
        if idempotency_key is None:
            raise Rejected("X-Idempotency-Key is required.", status_code=400)
        if any(file_id not in BOOKS.files for file_id in files):
            raise Rejected("An attachment is not a file of these books.", status_code=400)
        body = repr((draft, files))
        if idempotency_key in BOOKS._keys:
            sent, entry_id = BOOKS._keys[idempotency_key]
            if sent != body:
                raise Rejected("This key was used for another request.", status_code=422)
            BOOKS.replayed += 1
            _after_the_call(kind)
            return EntryRef(id=entry_id, status=POSTED, needs_draft_step=True)  # as first answered
        entry = StoredEntry(
            id=f"exp_{next(BOOKS._ids)}",
            reference=draft.reference,
            date=draft.date,
            status=POSTED,
            lines=tuple(HeldLine(line.account, line.side, line.amount) for line in draft.lines),
            files=files,
        )
        BOOKS.entries[entry.id] = entry
        BOOKS._keys[idempotency_key] = (body, entry.id)
        _after_the_call(kind)
        return _answer(entry)

    def mark_as_draft(self, entry_id: str) -> EntryRef:
        kind = self._request(Call("mark_as_draft", entry_id=entry_id))
        entry = BOOKS.entries.get(entry_id)
        if entry is None:
            raise Rejected("No such expense.", status_code=404)
        if entry.status != POSTED:
            raise Rejected("Only a posted expense can be moved to draft.", status_code=400)
        entry.status = DRAFT
        _after_the_call(kind)
        return _answer(entry)

    def find_entry(self, *, reference: str, date: datetime.date) -> EntryRef | None:
        self._request(Call("find"))
        if BOOKS.blind_lookups:
            BOOKS.blind_lookups -= 1
            return None
        ours = [e for e in BOOKS.entries.values() if (e.reference, e.date) == (reference, date)]
        return _answer(ours[0]) if ours else None  # the oldest: the first created

    def attach_document(
        self, entry_id: str, *, filename: str, content: bytes, content_type: str
    ) -> AttachmentRef:
        raise Rejected("These books take files only with the create.", status_code=400)

    def list_entries(self, *, date_from: datetime.date, date_to: datetime.date) -> list[HeldEntry]:
        self._request(Call("list"))
        return [
            self._held(entry)
            for entry in BOOKS.entries.values()
            if date_from <= entry.date <= date_to
        ]

    def get_entries(self, entry_ids: list[str]) -> dict[str, HeldEntry | None]:
        self._request(Call("get"))
        return {
            entry_id: self._held(BOOKS.entries[entry_id]) if entry_id in BOOKS.entries else None
            for entry_id in entry_ids
        }

    @staticmethod
    def _held(entry: StoredEntry) -> HeldEntry:
        return HeldEntry(entry.id, entry.reference, entry.date, entry.status, entry.lines)


class StagedBooksProvider(Provider):
    key = KEY
    name = "Staged Books"
    attachment_flow = AttachmentFlow.UPLOAD_BEFORE_CREATE
    takes_idempotency_key = True
    draft_may_need_second_call = True
    per_minute = 100
    per_day = 1_000

    def open_session(
        self,
        credentials: dict[str, str],
        *,
        journal: str | None = None,
        max_wait: float | None = None,
        options: Mapping[str, Any] | None = None,
    ) -> StagedSession:
        return StagedSession(self._budget(credentials, max_wait=max_wait))

    def request_budget(
        self, credentials: dict[str, str], *, options: Mapping[str, Any] | None = None
    ) -> RedisRateLimiter:
        return self._budget(credentials)

    def _budget(
        self, credentials: dict[str, str], *, max_wait: float | None = None
    ) -> RedisRateLimiter:
        return RedisRateLimiter(
            redis_url=settings.REDIS_URL,
            bucket=bucket_for_credential(credentials["api_key"]),
            windows=[
                Window(self.per_minute, 60.0, "minute"),
                Window(self.per_day, 86_400.0, "day"),
            ],
            namespace=KEY,
            provider_name=str(self.name),
            max_wait=max_wait,
        )


@pytest.fixture
def staged_books(settings) -> Iterator[StagedBooks]:
    """The staged books, registered as a provider and empty, with a fresh budget."""
    global BOOKS
    settings.ACCOUNTING_PROVIDERS = {
        **settings.ACCOUNTING_PROVIDERS,
        KEY: "tests.fakes.staged_books.StagedBooksProvider",
    }
    BOOKS = StagedBooks()
    StagedBooksProvider().request_budget({"api_key": API_KEY}).reset()
    yield BOOKS
    StagedBooksProvider().request_budget({"api_key": API_KEY}).reset()
