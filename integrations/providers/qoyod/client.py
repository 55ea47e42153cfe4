"""The Qoyod HTTP client: everything we say to Qoyod goes through here.

It knows HTTP and Qoyod's shapes, nothing of our models. Contract for callers:
- reads (GET) are retried on retryable errors with backoff, bounded by `max_retries`,
  honouring Qoyod's Retry-After;
- writes are never re-sent after an unknown outcome (timeout, 5xx, dropped connection): the
  caller reconciles with `find_journal_entry` first. Only a 429 (not processed) is waited out;
- redirects are never followed (the key must not travel to another host);
- the API key and file contents are never logged.
"""

import datetime
import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import httpx
from django.conf import settings

from integrations.providers.qoyod.errors import (
    QoyodAttachmentsUnsupported,
    QoyodAuthError,
    QoyodError,
    QoyodNotFound,
    QoyodRateLimited,
    QoyodUnavailable,
    QoyodValidationError,
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
from integrations.ratelimit import RedisRateLimiter
from integrations.retries import call_with_retries, retry_after_seconds

logger = logging.getLogger(__name__)

USER_AGENT = "SiFi-Accounting-Sync/1.0 (+https://sifi.sa)"
AUTH_MESSAGE = "Qoyod rejected this API key (wrong, not saved in Qoyod, or another company's)."
MAX_PAGES = 1000
LIST_PAGE_SIZE = 100  # Qoyod honours per_page up to 100 where it pages at all
T = TypeVar("T")


class _FoundNothing:
    """Qoyod answers an empty filtered list with a 404 "found nothing"."""


FOUND_NOTHING = _FoundNothing()


def _validation_error(response: httpx.Response, body: Any) -> QoyodValidationError:
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


class QoyodClient:
    """A connection to one Qoyod company (one API key). Use as a context manager."""

    def __init__(
        self,
        api_key: str,
        *,
        base_url: str | None = None,
        timeout: float | None = None,
        rate_limiter: RedisRateLimiter | None = None,
        max_retries: int = 3,
        concurrency: int = 4,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.rate_limiter = rate_limiter
        self.max_retries = max_retries
        # Requests of one listing or lookup sent at once (each still within the rate limit).
        self.concurrency = max(1, concurrency)
        timeout = timeout if timeout is not None else settings.QOYOD_TIMEOUT_SECONDS
        self._http = httpx.Client(
            base_url=(base_url or settings.QOYOD_BASE_URL).rstrip("/") + "/",
            headers={"API-KEY": api_key, "User-Agent": USER_AGENT, "Accept": "application/json"},
            timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
            follow_redirects=False,
            transport=transport,
        )

    def __enter__(self) -> "QoyodClient":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

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
        body = self._call(
            lambda: self._request("POST", "journal_entries", json=draft.to_wire()),
            retry_on=lambda exc: isinstance(exc, QoyodRateLimited),
        )
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
            return self._call(lambda: self._request("GET", "journal_entries", params=query))

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
            body = self._call(lambda: self._request("GET", f"journal_entries/{journal_entry_id}"))
        except QoyodNotFound:
            return None
        entry = body.get("journal_entry", body) if isinstance(body, dict) else None
        return entry if isinstance(entry, dict) and entry.get("id") is not None else None

    def get_journal_entries(self, ids: list[int]) -> dict[int, dict[str, Any] | None]:
        """Several entries by id, `concurrency` requests at a time (None: no such entry)."""
        with ThreadPoolExecutor(max_workers=self.concurrency) as pool:
            return dict(zip(ids, pool.map(self.get_journal_entry, ids), strict=True))

    def attach_document(
        self, journal_entry_id: int, *, filename: str, content: bytes, content_type: str
    ) -> AttachmentResult:
        """Upload one receipt to an entry. QoyodAttachmentsUnsupported if the tenant has no
        attachment endpoint (the caller falls back to a receipt link)."""
        path = f"journal_entries/{journal_entry_id}/attachments"
        try:
            body = self._call(
                lambda: self._request(
                    "POST", path, files={"file": (filename, content, content_type)}
                ),
                retry_on=lambda exc: isinstance(exc, QoyodRateLimited),
            )
        except QoyodNotFound as exc:
            raise QoyodAttachmentsUnsupported(
                "This Qoyod company does not accept attachments through the API.",
                status_code=exc.status_code,
                raw_body=exc.raw_body,
            ) from None
        except QoyodError as exc:
            if exc.status_code == 405:
                raise QoyodAttachmentsUnsupported(
                    "This Qoyod company does not accept attachments through the API.",
                    status_code=405,
                    raw_body=exc.raw_body,
                ) from None
            raise
        attachment = body.get("attachment", body) if isinstance(body, dict) else {}
        attachment_id = attachment.get("id") if isinstance(attachment, dict) else None
        return AttachmentResult(
            id=int(attachment_id) if attachment_id is not None else None, filename=filename
        )

    # --- plumbing ---------------------------------------------------------------------------

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
            body = self._call(lambda q=query: self._request("GET", path, params=q))  # type: ignore[misc]
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
            pagination = body.get("pagination") if isinstance(body, dict) else None
            total_pages = 1
            if isinstance(pagination, dict):
                total_pages = int(
                    pagination.get("total_pages") or pagination.get("totalPages") or 1
                )
            if page >= total_pages:
                break
            page += 1
        return rows

    def _call(
        self,
        send: Callable[[], T],
        *,
        retry_on: Callable[[BaseException], bool] | None = None,
    ) -> T:
        """Run `send` with bounded retries (reads: every retryable error; writes: `retry_on`)."""
        return call_with_retries(
            send,
            should_retry=retry_on or (lambda exc: isinstance(exc, QoyodError) and exc.retryable),
            max_retries=self.max_retries,
            base_seconds=float(settings.QOYOD_RETRY_BASE_SECONDS),
            rate_limiter=self.rate_limiter,
        )

    def _request(self, method: str, path: str, **kwargs: Any) -> Any:
        if self.rate_limiter is not None:
            self.rate_limiter.acquire()
        started = time.monotonic()
        try:
            response = self._http.request(method, path, **kwargs)
        except httpx.TimeoutException:
            self._log(method, path, "timeout", started)
            raise QoyodUnavailable("Qoyod did not answer in time.") from None
        except httpx.HTTPError as exc:
            self._log(method, path, "connection error", started)
            raise QoyodUnavailable(f"Could not reach Qoyod ({type(exc).__name__}).") from None
        self._log(method, path, response.status_code, started)
        return self._parse(response)

    def _parse(self, response: httpx.Response) -> Any:
        status = response.status_code
        try:
            body: Any = response.json() if response.content else {}
        except ValueError:
            body = None
        if 200 <= status < 300:
            if body is None:
                raise QoyodUnavailable(
                    "Qoyod answered with something that is not JSON.",
                    status_code=status,
                    raw_body=response.text,
                )
            return body
        if 300 <= status < 400:
            raise QoyodUnavailable(
                "Qoyod answered with a redirect; it was not followed, to keep the key safe.",
                status_code=status,
                raw_body=response.headers.get("Location", ""),
            )
        if status in (401, 403):
            raise QoyodAuthError(AUTH_MESSAGE, status_code=status, raw_body=response.text)
        if status == 404:
            if "found nothing" in response.text.lower():
                return FOUND_NOTHING
            raise QoyodNotFound("Qoyod did not find it.", status_code=404, raw_body=response.text)
        if status == 429:
            retry_after = retry_after_seconds(response)
            if self.rate_limiter is not None:
                self.rate_limiter.penalize(retry_after)
            raise QoyodRateLimited(
                f"Qoyod asked us to slow down (retry after {retry_after:g} s).",
                retry_after=retry_after,
                raw_body=response.text,
            )
        if status in (400, 422):
            return_error = _validation_error(response, body)
            raise return_error
        if status >= 500:
            raise QoyodUnavailable(
                f"Qoyod had a problem on its side (HTTP {status}).",
                status_code=status,
                raw_body=response.text,
            )
        raise QoyodError(
            f"Qoyod answered HTTP {status}.", status_code=status, raw_body=response.text
        )

    @staticmethod
    def _log(method: str, path: str, outcome: object, started: float) -> None:
        elapsed_ms = (time.monotonic() - started) * 1000
        logger.info("qoyod %s /%s -> %s in %.0f ms", method, path, outcome, elapsed_ms)
