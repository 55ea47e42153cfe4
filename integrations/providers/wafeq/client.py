"""The Wafeq HTTP client: everything we say to Wafeq goes through here (providers-api.md §3).

It knows Wafeq's paths and shapes, nothing of our models; the HTTP promises (budget, bounded
retries honouring Retry-After, no redirects, typed errors, nothing secret logged) are
`ApiClient`'s. The API key travels as `Authorization: Api-Key <key>`.

Writes given an idempotency key send it as `X-Wafeq-Idempotency-Key`: Wafeq answers the same
write sent again within an hour with the original (`X-Wafeq-Idempotent-Replayed: true`), so
such a write is re-sent after an unknown outcome like a read. A write without a key is never
re-sent: the caller looks it up by `external_id` first (`find_expenses`,
`find_manual_journals`), checking every row, as Wafeq ignores query parameters it does not
know and would then answer the whole list.
"""

import datetime
import hashlib
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx
from django.utils.translation import gettext as _

from integrations.http_client import ApiClient, ErrorTypes, RequestLimiter, retry_after_seconds
from integrations.providers.wafeq.errors import (
    WafeqAttachmentsUnsupported,
    WafeqAuthError,
    WafeqBooksClosed,
    WafeqError,
    WafeqKeyConflict,
    WafeqNotFound,
    WafeqRateLimited,
    WafeqRejected,
    WafeqUnavailable,
    about_the_key,
    auth_message,
    key_conflict_message,
    rate_limited_message,
    refusal_from,
)
from integrations.providers.wafeq.idempotency import is_valid_key
from integrations.providers.wafeq.objects import (
    WafeqAccount,
    WafeqExpense,
    WafeqFile,
    WafeqManualJournal,
    WafeqOrganization,
    WafeqTaxRate,
)

logger = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://api.wafeq.com/v1"
DEFAULT_TIMEOUT_SECONDS = 30.0
IDEMPOTENCY_HEADER = "X-Wafeq-Idempotency-Key"
REPLAYED_HEADER = "X-Wafeq-Idempotent-Replayed"
# Wafeq publishes no maximum page size; a smaller one it imposes is fine: we follow `next`.
PAGE_SIZE = 100
MAX_PAGES = 1000
# Statuses where Wafeq refused the request (404: a named object it does not have; 405: a
# path it does not serve): sending the same again cannot help.
REFUSED_STATUSES = (400, 402, 404, 405, 409, 422)

Row = TypeVar("Row")


@dataclass(frozen=True)
class Answer:
    """A successful answer: its JSON, and whether Wafeq replayed an earlier answer to the same
    idempotency key instead of doing the write again."""

    body: Any
    replayed: bool = False


def _rows(body: Any) -> list[dict[str, Any]]:
    batch = (
        body if isinstance(body, list) else body.get("results") if isinstance(body, dict) else []
    )
    return [row for row in batch or [] if isinstance(row, dict) and row.get("id") is not None]


def _in_range(date: datetime.date | None, date_from: datetime.date, date_to: datetime.date) -> bool:
    return date is not None and date_from <= date <= date_to


class WafeqClient(ApiClient):
    """A connection to one Wafeq organization (one API key). Use as a context manager."""

    name = "Wafeq"
    errors = ErrorTypes(
        base=WafeqError,
        unavailable=WafeqUnavailable,
        rate_limited=WafeqRateLimited,
        auth_refused=WafeqAuthError,
    )

    def __init__(
        self,
        api_key: str,
        *,
        base_url: str = DEFAULT_BASE_URL,
        timeout: float = DEFAULT_TIMEOUT_SECONDS,
        rate_limiter: RequestLimiter | None = None,
        max_retries: int = 3,
        retry_base_seconds: float = 0.5,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        super().__init__(
            base_url,
            timeout=timeout,
            rate_limiter=rate_limiter,
            max_retries=max_retries,
            transport=transport,
        )
        self._api_key = api_key
        self._retry_base_seconds = retry_base_seconds

    # --- reads ------------------------------------------------------------------------------

    def organization(self) -> WafeqOrganization:
        """The organization the key is bound to (its base currency: `base_currency`); a cheap
        real call, so also how a key is checked."""
        body = self._call("GET", "organization/").body
        if not isinstance(body, dict):
            raise WafeqUnavailable(
                _("Wafeq answered without the organization; try again in a moment."),
                raw_body=str(body)[:2000],
            )
        return WafeqOrganization.from_wire(body)

    def accounts(self) -> list[WafeqAccount]:
        """The whole chart, system accounts included (filtered on our side: Wafeq's documents
        disagree on the filter's name, and it ignores one it does not know)."""
        return [WafeqAccount.from_wire(row) for row in self._all_pages("accounts/")]

    def tax_rates(self) -> list[WafeqTaxRate]:
        return [WafeqTaxRate.from_wire(row) for row in self._all_pages("tax-rates/")]

    def get_expense(self, expense_id: str) -> WafeqExpense | None:
        """One expense by Wafeq's id; None if Wafeq has none (deleted, or not its id)."""
        try:
            body = self._call("GET", f"expenses/{expense_id}/").body
        except WafeqNotFound:
            return None
        return WafeqExpense.from_wire(body) if _rows([body]) else None

    def get_manual_journal(self, journal_id: str) -> WafeqManualJournal | None:
        try:
            body = self._call("GET", f"manual-journals/{journal_id}/").body
        except WafeqNotFound:
            return None
        return WafeqManualJournal.from_wire(body) if _rows([body]) else None

    def find_expenses(self, external_id: str) -> list[WafeqExpense]:
        """Every expense that carries our `external_id`, oldest first. Each row is checked:
        one with another external id is not ours, whatever the filter did."""
        return self._find("expenses/", external_id, WafeqExpense.from_wire)

    def find_manual_journals(self, external_id: str) -> list[WafeqManualJournal]:
        """Every manual journal that carries our `external_id`, oldest first (rows checked)."""
        return self._find("manual-journals/", external_id, WafeqManualJournal.from_wire)

    def list_expenses(
        self, *, date_from: datetime.date, date_to: datetime.date
    ) -> list[WafeqExpense]:
        """Every expense dated in the range (reconciliation). Wafeq's schema names the range
        `date_after`/`date_before` on manual journals; on expenses it lists a `date` filter
        only, so the rows are also filtered here (correct either way, slower if ignored)."""
        rows = self._all_pages("expenses/", self._date_range(date_from, date_to))
        expenses = [WafeqExpense.from_wire(row) for row in rows]
        return [each for each in expenses if _in_range(each.date, date_from, date_to)]

    def list_manual_journals(
        self, *, date_from: datetime.date, date_to: datetime.date
    ) -> list[WafeqManualJournal]:
        rows = self._all_pages("manual-journals/", self._date_range(date_from, date_to))
        journals = [WafeqManualJournal.from_wire(row) for row in rows]
        return [each for each in journals if _in_range(each.date, date_from, date_to)]

    # --- writes -----------------------------------------------------------------------------

    def upload_file(
        self,
        filename: str,
        content: bytes,
        content_type: str,
        idempotency_key: str | None = None,
    ) -> WafeqFile:
        """Upload one file (`POST /files/`, multipart part `file`); its id goes in an entry's
        `attachments`. Wafeq's schema declares no idempotency key on uploads: we send one
        when given (and the same multipart boundary, so a resent body is the same bytes); if
        Wafeq ignores it, a resend leaves an orphan file, which is harmless."""
        headers = self._key_header(idempotency_key)
        if idempotency_key:
            boundary = hashlib.sha256(idempotency_key.encode()).hexdigest()[:32]
            headers["Content-Type"] = f"multipart/form-data; boundary={boundary}"
        try:
            answer = self._call(
                "POST",
                "files/",
                files={"file": (filename, content, content_type)},
                headers=headers,
                idempotent=idempotency_key is not None,
            )
        except WafeqNotFound as exc:
            raise self._no_files(exc) from None
        except WafeqRejected as exc:
            if exc.status_code != 405:
                raise
            raise self._no_files(exc) from None
        if not _rows([answer.body]):
            raise WafeqUnavailable(
                _("Wafeq took the file but did not return its id; it is uploaded again."),
                raw_body=str(answer.body)[:2000],
            )
        return WafeqFile.from_wire(answer.body)

    def create_expense(
        self, body: dict[str, Any], idempotency_key: str | None = None
    ) -> WafeqExpense:
        """Create an expense (`payloads.expense_body`). Its `status` says whether Wafeq kept
        it a draft; a POSTED one needs `mark_expense_as_draft`."""
        answer = self._write("expenses/", body, idempotency_key)
        return WafeqExpense.from_wire(answer.body, replayed=answer.replayed)

    def mark_expense_as_draft(self, expense_id: str) -> WafeqExpense:
        """Move a posted expense back to a draft (out of the ledger). Wafeq declares no
        idempotency key here; the call is safe to resend (a draft made a draft is a draft).
        Whether Wafeq refuses it for an expense that is a draft already is not documented: a
        refusal is checked against the expense itself, and one that is a draft is the
        answer."""
        try:
            answer = self._call(
                "POST", f"expenses/{expense_id}/mark-as-draft/", json={}, idempotent=True
            )
        except WafeqRejected as refusal:
            if isinstance(refusal, WafeqBooksClosed | WafeqNotFound):
                raise
            current = self.get_expense(expense_id)
            if current is not None and current.is_draft:
                return current
            raise
        return WafeqExpense.from_wire(answer.body, replayed=answer.replayed)

    def update_expense(self, expense_id: str, changes: dict[str, Any]) -> WafeqExpense:
        """Change a draft expense (`PATCH /expenses/{id}/`, `payloads.expense_changes`).
        Never resent after an unknown outcome: WafeqUnavailable means "maybe changed", and
        the caller reads the expense before sending it again."""
        answer = self._call("PATCH", f"expenses/{expense_id}/", json=changes, idempotent=False)
        return WafeqExpense.from_wire(answer.body)

    def create_manual_journal(
        self, body: dict[str, Any], idempotency_key: str | None = None
    ) -> WafeqManualJournal:
        """Create a manual journal (`payloads.manual_journal_body`); Wafeq posts it at once."""
        answer = self._write("manual-journals/", body, idempotency_key)
        return WafeqManualJournal.from_wire(answer.body, replayed=answer.replayed)

    def add_expense_attachments(self, expense_id: str, file_ids: list[str]) -> WafeqExpense:
        """Give an expense more files after its create: Wafeq's PATCH replaces the whole
        `attachments` list, so the expense is read first and the list sent merged (safe to
        resend: the same list again)."""
        current = self.get_expense(expense_id)
        if current is None:
            raise WafeqNotFound(_("Wafeq has no expense %(id)s.") % {"id": expense_id})
        merged = [*current.attachments, *(i for i in file_ids if i not in current.attachments)]
        answer = self._call(
            "PATCH", f"expenses/{expense_id}/", json={"attachments": merged}, idempotent=True
        )
        return WafeqExpense.from_wire(answer.body)

    def add_manual_journal_attachments(
        self, journal_id: str, file_ids: list[str]
    ) -> WafeqManualJournal:
        """The same for a manual journal (read, then the merged list)."""
        current = self.get_manual_journal(journal_id)
        if current is None:
            raise WafeqNotFound(_("Wafeq has no manual journal %(id)s.") % {"id": journal_id})
        merged = [*current.attachments, *(i for i in file_ids if i not in current.attachments)]
        answer = self._call(
            "PATCH",
            f"manual-journals/{journal_id}/",
            json={"attachments": merged},
            idempotent=True,
        )
        return WafeqManualJournal.from_wire(answer.body)

    # --- the hooks ----------------------------------------------------------------------------

    def auth_headers(self) -> dict[str, str]:
        return {"Authorization": f"Api-Key {self._api_key}"}

    @property
    def retry_base_seconds(self) -> float:
        return self._retry_base_seconds

    def read_answer(self, response: httpx.Response) -> Any:
        status = response.status_code
        if status in (401, 403):
            raise WafeqAuthError(auth_message(status), status_code=status, raw_body=response.text)
        if status == 429:
            retry_after = retry_after_seconds(response)
            raise WafeqRateLimited(
                rate_limited_message(retry_after), retry_after=retry_after, raw_body=response.text
            )
        if status in REFUSED_STATUSES:
            refusal = refusal_from(response)
            if IDEMPOTENCY_HEADER in response.request.headers and about_the_key(refusal):
                raise WafeqKeyConflict(
                    key_conflict_message(), status_code=status, raw_body=response.text
                )
            raise refusal
        body = super().read_answer(response)
        replayed = response.headers.get(REPLAYED_HEADER, "").strip().lower() == "true"
        return Answer(body=body, replayed=replayed)

    # --- plumbing ---------------------------------------------------------------------------

    def _call(self, method: str, path: str, **arguments: Any) -> Answer:
        answer = self.request(method, path, **arguments)
        assert isinstance(answer, Answer)
        return answer

    def _key_header(self, idempotency_key: str | None) -> dict[str, str]:
        if idempotency_key is None:
            return {}
        if not is_valid_key(idempotency_key):
            # Wafeq answers 400 to anything but a UUID: a bug of ours, not a refusal of theirs.
            raise ValueError("A Wafeq idempotency key is a UUID (idempotency.idempotency_key).")
        return {IDEMPOTENCY_HEADER: idempotency_key}

    def _write(self, path: str, body: dict[str, Any], idempotency_key: str | None) -> Answer:
        """POST a create; with a key it is resent after an unknown outcome (Wafeq replays),
        without one it never is."""
        answer = self._call(
            "POST",
            path,
            json=body,
            headers=self._key_header(idempotency_key),
            idempotent=idempotency_key is not None,
        )
        if not _rows([answer.body]):
            raise WafeqUnavailable(
                _(
                    "Wafeq took the entry but did not return its id; we look it up before "
                    "trying again."
                ),
                raw_body=str(answer.body)[:2000],
            )
        return answer

    def _all_pages(self, path: str, params: dict[str, str] | None = None) -> list[dict[str, Any]]:
        """Every row of a list: Wafeq pages as `{count, next, previous, results}` with
        `?page=&page_size=`. Pages are asked for by number (never by following `next`, an
        absolute address we would send the key to) until `next` is null; a list that comes
        unpaged is taken whole; a row repeated across pages is kept once."""
        rows: dict[str, dict[str, Any]] = {}
        for page in range(1, MAX_PAGES + 1):
            query = {**(params or {}), "page": str(page), "page_size": str(PAGE_SIZE)}
            body = self._call("GET", path, params=query).body
            batch = _rows(body)
            for row in batch:
                rows.setdefault(str(row["id"]), row)
            if not isinstance(body, dict) or not body.get("next") or not batch:
                break
            count = body.get("count")
            if isinstance(count, int) and len(rows) >= count:
                break
        else:
            logger.warning("wafeq %s: stopped after %s pages", path, MAX_PAGES)
        return list(rows.values())

    def _find(
        self, path: str, external_id: str, read: Callable[[dict[str, Any]], Row]
    ) -> list[Row]:
        rows = self._all_pages(path, {"external_id": external_id})
        ours = [row for row in rows if str(row.get("external_id") or "") == external_id]
        return [read(row) for row in _oldest_first(ours)]

    @staticmethod
    def _date_range(date_from: datetime.date, date_to: datetime.date) -> dict[str, str]:
        return {"date_after": date_from.isoformat(), "date_before": date_to.isoformat()}

    def _no_files(self, exc: WafeqError) -> WafeqAttachmentsUnsupported:
        return WafeqAttachmentsUnsupported(
            _(
                "Wafeq does not take files through the API for this organization: receipts "
                "travel as links in the description."
            ),
            status_code=exc.status_code,
            raw_body=exc.raw_body,
        )


def _oldest_first(rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows by creation time (Wafeq's ids are opaque); rows without one keep Wafeq's order."""
    return sorted(rows, key=lambda row: str(row.get("created_ts") or "~"))
