"""The Qoyod HTTP client: everything we say to Qoyod goes through here.

It knows Qoyod's paths and shapes, nothing of our models; the HTTP promises (budget, bounded
retries honouring Retry-After, writes never re-sent after an unknown outcome, no redirects,
typed errors, nothing secret logged) are `ApiClient`'s. Qoyod's API key travels in the
`API-KEY` header; file contents are never logged.
"""

import datetime
import logging
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
from django.conf import settings

from integrations.http_client import ApiClient, ErrorTypes, RequestLimiter
from integrations.providers.qoyod.errors import (
    CLOSED_PERIOD,
    QoyodAttachmentsUnsupported,
    QoyodAuthError,
    QoyodError,
    QoyodNotFound,
    QoyodPeriodClosed,
    QoyodRateLimited,
    QoyodUnavailable,
    QoyodValidationError,
    closed_until_in,
)
from integrations.providers.qoyod.payloads import (
    AttachmentResult,
    CreatedJournalEntry,
    FoundJournalEntry,
    JournalEntryDraft,
    QoyodAccount,
    QoyodVendor,
    to_decimal,
)

logger = logging.getLogger(__name__)

AUTH_MESSAGE = "Qoyod rejected this API key (wrong, not saved in Qoyod, or another company's)."
MAX_PAGES = 1000
LIST_PAGE_SIZE = 100  # Qoyod honours per_page up to 100 where it pages at all


class _FoundNothing:
    """Qoyod answers an empty filtered list with a 404 "found nothing"."""


FOUND_NOTHING = _FoundNothing()


def _validation_error(response: httpx.Response) -> QoyodValidationError:
    try:
        body: Any = response.json() if response.content else {}
    except ValueError:
        body = None
    errors: list[str] = []
    field_errors: dict[str, list[str]] = {}
    raw = (
        body.get("errors", body.get("error", body.get("message")))
        if isinstance(body, dict)
        else body
    )
    if isinstance(raw, dict):
        for field, messages in raw.items():
            items = messages if isinstance(messages, list) else [messages]
            field_errors[str(field)] = [str(m) for m in items]
    elif isinstance(raw, list):
        errors = [str(m) for m in raw]
    elif raw:
        errors = [str(raw)]
    parts = [*errors, *(f"{field}: {', '.join(msgs)}" for field, msgs in field_errors.items())]
    message = "Qoyod refused it: " + ("; ".join(parts) if parts else "validation failed") + "."
    about_date = " ".join([*errors, *field_errors.get("date", [])])
    if CLOSED_PERIOD.search(about_date):
        closed = QoyodPeriodClosed(
            message,
            errors=errors,
            field_errors=field_errors,
            status_code=response.status_code,
            raw_body=response.text,
        )
        closed.closed_until = closed_until_in(about_date)
        return closed
    return QoyodValidationError(
        message,
        errors=errors,
        field_errors=field_errors,
        status_code=response.status_code,
        raw_body=response.text,
    )


def _total_pages(body: Any) -> int:
    """Pages a list has, from its `pagination` object (1 when Qoyod sends it all at once)."""
    pagination = body.get("pagination") if isinstance(body, dict) else None
    if not isinstance(pagination, dict):
        return 1
    return int(pagination.get("total_pages") or pagination.get("totalPages") or 1)


class QoyodClient(ApiClient):
    """A connection to one Qoyod company (one API key). Use as a context manager."""

    name = "Qoyod"
    errors = ErrorTypes(
        base=QoyodError,
        unavailable=QoyodUnavailable,
        rate_limited=QoyodRateLimited,
        auth_refused=QoyodAuthError,
    )

    def __init__(
        self,
        api_key: str,
        *,
        base_url: str | None = None,
        timeout: float | None = None,
        rate_limiter: RequestLimiter | None = None,
        max_retries: int = 3,
        concurrency: int = 4,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        super().__init__(
            base_url or settings.QOYOD_BASE_URL,
            timeout=timeout if timeout is not None else settings.QOYOD_TIMEOUT_SECONDS,
            rate_limiter=rate_limiter,
            max_retries=max_retries,
            transport=transport,
        )
        self._api_key = api_key
        # Requests of one listing or lookup sent at once (each still within the rate limit).
        self.concurrency = max(1, concurrency)

    # --- what we use ------------------------------------------------------------------------

    def validate_key(self) -> int:
        """Check the key with a cheap real call (GET /accounts); the number of accounts seen."""
        return len(self.list_accounts())

    def list_accounts(self) -> list[QoyodAccount]:
        """The whole chart of accounts."""
        return [QoyodAccount.from_wire(row) for row in self._get_list("accounts", "accounts")]

    def list_vendors(self) -> list[QoyodVendor]:
        return [QoyodVendor.from_wire(row) for row in self._get_list("vendors", "vendors")]

    def create_journal_entry(self, draft: JournalEntryDraft) -> CreatedJournalEntry:
        """Create the entry as a draft and report the status Qoyod answered with.

        Never re-sent after an unknown outcome: QoyodUnavailable means "maybe created", and
        the caller must look it up (`find_journal_entry`) before trying again.
        """
        body = self.request("POST", "journal_entries", json=draft.to_wire())
        entry = body.get("journal_entry", body) if isinstance(body, dict) else {}
        if not isinstance(entry, dict) or entry.get("id") is None:
            raise QoyodUnavailable(
                "Qoyod accepted the journal entry but did not return its id.",
                raw_body=str(body)[:2000],
            )
        return CreatedJournalEntry(
            id=int(entry["id"]),
            status=str(entry.get("status") or ""),
            total_debit=to_decimal(entry.get("total_debit", draft.total_debit)),
            total_credit=to_decimal(entry.get("total_credit", draft.total_credit)),
        )

    def find_journal_entry(
        self, *, reference: str, date: datetime.date
    ) -> FoundJournalEntry | None:
        """The entry whose description carries `[reference]` on that date, if Qoyod has one."""
        params = {"q[date_eq]": date.isoformat(), "q[description_cont]": reference}
        rows = self._get_list("journal_entries", "journal_entries", params=params)
        tag = f"[{reference}]"
        matches = [row for row in rows if tag in str(row.get("description") or "")]
        if not matches:
            return None
        first = min(matches, key=lambda row: int(row["id"]))
        return FoundJournalEntry(
            id=int(first["id"]),
            date=str(first.get("date") or ""),
            description=str(first.get("description") or ""),
            status=str(first.get("status") or ""),
        )

    def list_journal_entries(
        self, *, date_from: datetime.date, date_to: datetime.date
    ) -> list[dict[str, Any]]:
        """Every entry dated in the range (Qoyod's journal lists are the whole ledger unless
        filtered by date). The first page says how many there are; the others are fetched
        `concurrency` at a time, each within the shared rate limit. A row repeated across
        pages is kept once."""
        params = {
            "q[date_gteq]": date_from.isoformat(),
            "q[date_lteq]": date_to.isoformat(),
            "per_page": str(LIST_PAGE_SIZE),
        }

        def page(number: int) -> Any:
            query = {**params, "page": str(number)} if number > 1 else params
            return self.request("GET", "journal_entries", params=query)

        first = page(1)
        bodies = [first]
        total_pages = min(_total_pages(first), MAX_PAGES)
        if total_pages > 1:
            with ThreadPoolExecutor(max_workers=self.concurrency) as pool:
                bodies.extend(pool.map(page, range(2, total_pages + 1)))
        rows: dict[Any, dict[str, Any]] = {}
        for body in bodies:
            batch = body.get("journal_entries", []) if isinstance(body, dict) else []
            for row in batch if isinstance(batch, list) else []:
                if isinstance(row, dict) and row.get("id") is not None:
                    rows.setdefault(row["id"], row)
        return list(rows.values())

    def get_journal_entry(self, journal_entry_id: int) -> dict[str, Any] | None:
        """One entry by Qoyod's id; None if Qoyod has no such entry (deleted)."""
        try:
            body = self.request("GET", f"journal_entries/{journal_entry_id}")
        except QoyodNotFound:
            return None
        entry = body.get("journal_entry", body) if isinstance(body, dict) else None
        return entry if isinstance(entry, dict) and entry.get("id") is not None else None

    def get_journal_entries(self, ids: list[int]) -> dict[int, dict[str, Any] | None]:
        """Several entries by id, `concurrency` requests at a time (None: no such entry)."""
        with ThreadPoolExecutor(max_workers=self.concurrency) as pool:
            return dict(zip(ids, pool.map(self.get_journal_entry, ids), strict=True))

    def list_attachments(self, journal_entry_id: int) -> list[str]:
        """The names of the files on an entry (`GET /journal_entries/{id}/attachments`, the
        attachment endpoint's read side, where a tenant has it: qoyod-api.md §8 finds no
        attachment endpoint in the public API; a tenant without one takes no files, and the
        engine then never asks)."""
        body = self.request("GET", f"journal_entries/{journal_entry_id}/attachments")
        rows = body.get("attachments", []) if isinstance(body, dict) else []
        return [str(row.get("filename", "")) for row in rows if isinstance(row, dict)]

    def attach_document(
        self, journal_entry_id: int, *, filename: str, content: bytes, content_type: str
    ) -> AttachmentResult:
        """Upload one receipt to an entry. QoyodAttachmentsUnsupported if the tenant has no
        attachment endpoint (the caller falls back to a receipt link)."""
        path = f"journal_entries/{journal_entry_id}/attachments"
        try:
            body = self.request("POST", path, files={"file": (filename, content, content_type)})
        except QoyodError as exc:
            if not (isinstance(exc, QoyodNotFound) or exc.status_code == 405):
                raise
            raise QoyodAttachmentsUnsupported(
                "This Qoyod company does not accept attachments through the API.",
                status_code=exc.status_code,
                raw_body=exc.raw_body,
            ) from None
        attachment = body.get("attachment", body) if isinstance(body, dict) else {}
        attachment_id = attachment.get("id") if isinstance(attachment, dict) else None
        return AttachmentResult(
            id=int(attachment_id) if attachment_id is not None else None, filename=filename
        )

    # --- plumbing ---------------------------------------------------------------------------

    def auth_headers(self) -> dict[str, str]:
        return {"API-KEY": self._api_key}

    @property
    def retry_base_seconds(self) -> float:
        return float(settings.QOYOD_RETRY_BASE_SECONDS)

    def read_answer(self, response: httpx.Response) -> Any:
        status = response.status_code
        if status in (401, 403):
            raise QoyodAuthError(AUTH_MESSAGE, status_code=status, raw_body=response.text)
        if status == 404:
            if "found nothing" in response.text.lower():
                return FOUND_NOTHING
            raise QoyodNotFound("Qoyod did not find it.", status_code=404, raw_body=response.text)
        if status in (400, 422):
            raise _validation_error(response)
        return super().read_answer(response)

    def _get_list(
        self, path: str, key: str, *, params: dict[str, str] | None = None
    ) -> list[dict[str, Any]]:
        """All rows of a list endpoint. Most Qoyod lists ignore paging and return everything;
        where a `pagination` object says there are more pages, follow them, guarding loops."""
        rows: list[dict[str, Any]] = []
        page = 1
        previous_first_id: Any = None
        while page <= MAX_PAGES:
            query = dict(params or {})
            if page > 1:
                query["page"] = str(page)
            body = self.request("GET", path, params=query)
            if body is FOUND_NOTHING:
                break
            batch = body.get(key, []) if isinstance(body, dict) else []
            if not isinstance(batch, list) or not batch:
                break
            first_id = batch[0].get("id") if isinstance(batch[0], dict) else None
            if page > 1 and first_id == previous_first_id:
                logger.warning("qoyod %s: page %s repeats the previous page; stopping", path, page)
                break
            rows.extend(row for row in batch if isinstance(row, dict))
            previous_first_id = first_id
            if page >= _total_pages(body):
                break
            page += 1
        return rows
