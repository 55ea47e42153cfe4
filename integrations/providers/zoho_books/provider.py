"""Zoho Books behind the ledger's provider interface (`accounting.providers`).

A session wraps one `ZohoBooksClient`: one Zoho organization's books, reached with the
connection's access token (`tokens.CachedTokenSource`: cached in Redis for every worker,
refreshed by one at a time, at most 10 times in 10 minutes) within the organization's
two-window budget (100 a minute, the plan's daily quota). Every Zoho error already is one of
the neutral errors (`errors.py`); the session adds only what a call means here (a 403 on an
attachment: this Zoho user may not attach files).

What a connection stores (the OAuth connect flow writes it): the secret `refresh_token`;
where the books are: `api_domain` (https://www.zohoapis.sa), `accounts_server`
(https://accounts.zoho.sa) and the chosen organization (`organization_id`; `company_id`, the
generic OAuth base's default name for the chosen company, is read too).
"""

import datetime
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import httpx
from django.conf import settings
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounting import journal
from accounting.providers import (
    AttachmentRef,
    AttachmentsUnsupported,
    ChartAccount,
    EntryRef,
    HeldEntry,
    Provider,
)
from integrations.http_client import ClientSession
from integrations.providers.zoho_books.client import ZohoBooksClient
from integrations.providers.zoho_books.connect import trusted_origin
from integrations.providers.zoho_books.errors import (
    ZohoBooksAuthError,
    ZohoBooksError,
    ZohoBooksJournalPublished,
    ZohoBooksRefreshRefused,
    ZohoBooksRejected,
    ZohoBooksTokenRejected,
)
from integrations.providers.zoho_books.payloads import (
    DRAFT,
    ZohoTax,
    chart_from,
    entry_ref_from,
    held_entry_from,
    taxes_from,
    zoho_journal,
)
from integrations.providers.zoho_books.ratelimit import limiter_for_organization
from integrations.providers.zoho_books.tokens import CachedTokenSource
from integrations.ratelimit import RedisRateLimiter

ORGANIZATION_KEYS = ("organization_id", "company_id")


class ZohoBooksAttachmentsRefused(ZohoBooksError, AttachmentsUnsupported):
    """Zoho answered 403 to an attachment: this Zoho user (its role) may not attach files.
    The receipts travel as links in the journal's lines."""


def organization_of(credentials: Mapping[str, str]) -> str:
    """The connected Zoho organization's id."""
    for key in ORGANIZATION_KEYS:
        if credentials.get(key):
            return str(credentials[key])
    raise ZohoBooksAuthError(
        gettext("Choose the Zoho Books organization SiFi sends journals to, then sync again.")
    )


def daily_quota_of(options: Mapping[str, Any] | None) -> int:
    """The organization's daily API quota (its Zoho plan's), from the connection's options;
    ZOHO_DAILY_QUOTA for a connection that has none (no connect flow declared it yet)."""
    default = int(settings.ZOHO_DAILY_QUOTA)
    try:
        quota = int((options or {}).get("daily_quota") or default)
    except (TypeError, ValueError):
        return default
    return max(1, quota)


def token_source_for(
    credentials: Mapping[str, str], *, transport: httpx.BaseTransport | None = None
) -> CachedTokenSource:
    """The connection's access token, shared by every worker. Only an accounts server of
    `ZOHO_ACCOUNTS_SERVERS` is ever sent the refresh token (the connect flow's rule: plain
    HTTP only to a private address with ALLOW_PRIVATE_PROVIDER_URLS)."""
    server = trusted_origin(credentials.get("accounts_server", ""))
    if server is None:
        raise ZohoBooksAuthError(
            gettext(
                "This Zoho Books connection names an accounts server SiFi does not use. "
                "Reconnect Zoho Books."
            )
        )
    return CachedTokenSource(
        refresh_token=credentials.get("refresh_token", ""),
        accounts_server=server,
        client_id=settings.ZOHO_CLIENT_ID,
        client_secret=settings.ZOHO_CLIENT_SECRET,
        redis_url=settings.REDIS_URL,
        transport=transport,
    )


def open_zoho_client(
    credentials: Mapping[str, str],
    *,
    options: Mapping[str, Any] | None = None,
    max_wait: float | None = None,
) -> ZohoBooksClient:
    """A client for the connection's Zoho organization, within its budget (waiting at most
    `max_wait` seconds for a slot; None: as long as it takes)."""
    organization_id = organization_of(credentials)
    return ZohoBooksClient(
        api_domain=credentials["api_domain"],
        organization_id=organization_id,
        token_source=token_source_for(credentials),
        timeout=settings.ZOHO_TIMEOUT_SECONDS,
        rate_limiter=limiter_for_organization(
            organization_id, daily_quota=daily_quota_of(options), max_wait=max_wait
        ),
        retry_base_seconds=settings.ZOHO_RETRY_BASE_SECONDS,
        quota_probe_seconds=settings.ZOHO_QUOTA_PROBE_SECONDS,
    )


class ZohoBooksSession(ClientSession[ZohoBooksClient]):
    """An open connection to one Zoho organization's books, as the ledger's
    `ProviderSession`."""

    def __init__(self, client: ZohoBooksClient) -> None:
        self.client = client

    def read_chart(self) -> list[ChartAccount]:
        """The whole chart, inactive accounts included (every page of 200)."""
        return chart_from(self.client.chart_of_accounts())

    def read_tax_rates(self) -> list[ZohoTax]:
        """Zoho's taxes (a journal line's `tax_id` takes one's id)."""
        return taxes_from(self.client.taxes())

    def create_draft_entry(
        self,
        draft: journal.JournalEntryDraft,
        *,
        attachments: Sequence[AttachmentRef] = (),
        idempotency_key: str | None = None,
    ) -> EntryRef:
        """One journal with `status: draft` and every line in one call. Zoho takes no
        idempotency key and files come after (the plain capabilities): the engine passes
        neither. Never re-sent here after an unknown outcome (the client's promise)."""
        created = self.client.create_journal(zoho_journal(draft))
        return EntryRef(id=str(created["journal_id"]), status=str(created.get("status") or DRAFT))

    def update_draft_entry(self, entry_id: str, draft: journal.JournalEntryDraft) -> EntryRef:
        """`PUT /journals/{id}` with the whole journal (its date as the books hold it, our
        reference, `status: draft`, every line). Zoho Books' own app edits published
        journals too; the ledger reads the status first and never sends this for one. A
        refusal is read again: a journal published meanwhile is `ZohoBooksJournalPublished`
        (a `NotADraft`)."""
        try:
            updated = self.client.update_journal(entry_id, zoho_journal(draft))
        except ZohoBooksRejected as exc:
            held = self.client.get_journal(entry_id)
            status = str((held or {}).get("status") or "")
            if status and status != DRAFT:
                raise ZohoBooksJournalPublished(
                    exc.message, code=exc.code, status_code=exc.status_code, raw_body=exc.raw_body
                ) from None
            raise
        return EntryRef(id=entry_id, status=str(updated.get("status") or DRAFT))

    def find_entry(self, *, reference: str, date: datetime.date) -> EntryRef | None:
        """The oldest journal dated `date` carrying exactly our reference (every row Zoho
        returns is checked). Its status is read from the journal itself (the list does not
        say it): one more request, only after an unknown outcome."""
        rows = self.client.find_journals(reference)
        same_day = [row for row in rows if row.get("journal_date") == date.isoformat()]
        if not same_day:
            return None
        row = same_day[0]
        held = self.client.get_journal(str(row["journal_id"]))
        return entry_ref_from(held or row)

    def list_attachments(self, entry_id: str) -> list[str]:
        """The names of the journal's files: its `documents` (`GET /journals/{id}`), each a
        `file_name` (as Zoho's documents lists name them)."""
        journal = self.client.get_journal(entry_id) if entry_id.isdigit() else None
        documents = (journal or {}).get("documents") or []
        return [str(d.get("file_name", "")) for d in documents if isinstance(d, dict)]

    def attach_document(
        self, entry_id: str, *, filename: str, content: bytes, content_type: str
    ) -> AttachmentRef:
        """One file on the journal (multipart part `attachment`); Zoho answers no id."""
        try:
            self.client.attach_to_journal(
                entry_id, filename=filename, content=content, content_type=content_type
            )
        except ZohoBooksAuthError as refused:
            if refused.status_code != 403 or isinstance(
                refused, ZohoBooksTokenRejected | ZohoBooksRefreshRefused
            ):
                raise
            raise ZohoBooksAttachmentsRefused(
                gettext(
                    "This Zoho Books user may not attach files to journals: the receipts "
                    "travel as links in the journals' lines. Give the user that permission in "
                    "Zoho Books to upload them."
                ),
                code=refused.code,
                status_code=403,
                raw_body=refused.raw_body,
            ) from None
        return AttachmentRef(id=None)

    def list_entries(self, *, date_from: datetime.date, date_to: datetime.date) -> list[HeldEntry]:
        """Every journal dated in the range that carries a reference, with its lines, oldest
        first. Zoho's list has no lines: each such journal is read on its own (one request
        each, within the budget)."""
        held = []
        for row in self.client.list_journals(date_from, date_to):
            if not row.get("reference_number"):
                continue
            full = self.client.get_journal(str(row["journal_id"]))
            if full is not None:
                held.append(held_entry_from(full))
        return held

    def get_entries(self, entry_ids: list[str]) -> dict[str, HeldEntry | None]:
        found: dict[str, HeldEntry | None] = {}
        for entry_id in entry_ids:
            if not entry_id.isdigit():  # not an id Zoho gives
                found[entry_id] = None
                continue
            full = self.client.get_journal(entry_id)
            found[entry_id] = held_entry_from(full) if full is not None else None
        return found


def books_web_url(api_domain: str) -> str:
    """Zoho Books' web app for an API domain: https://www.zohoapis.sa →
    https://books.zoho.sa (Canada's is zohocloud.ca); "" for anything else."""
    host = httpx.URL(api_domain).host if api_domain else ""
    if not host.startswith("www.zohoapis."):
        return ""
    region = host.removeprefix("www.zohoapis.")
    return "https://books.zohocloud.ca" if region == "ca" else f"https://books.zoho.{region}"


if TYPE_CHECKING:
    pass

# Zoho Books' account types (`account_type`) as Zoho Books labels them.
ACCOUNT_TYPE_LABELS = {
    "other_asset": _("Other Asset"),
    "other_current_asset": _("Other Current Asset"),
    "cash": _("Cash"),
    "bank": _("Bank"),
    "fixed_asset": _("Fixed Asset"),
    "accounts_receivable": _("Accounts Receivable"),
    "other_current_liability": _("Other Current Liability"),
    "credit_card": _("Credit Card"),
    "long_term_liability": _("Long Term Liability"),
    "other_liability": _("Other Liability"),
    "accounts_payable": _("Accounts Payable"),
    "equity": _("Equity"),
    "income": _("Income"),
    "other_income": _("Other Income"),
    "expense": _("Expense"),
    "cost_of_goods_sold": _("Cost Of Goods Sold"),
    "other_expense": _("Other Expense"),
}


class ZohoBooksProvider(Provider):
    key = "zoho_books"
    account_type_labels = ACCOUNT_TYPE_LABELS
    connect_flow = "integrations.providers.zoho_books.connect.ZohoBooksConnect"
    name = _("Zoho Books")
    can_update_drafts = True  # PUT /journals/{id} while the journal is a draft
    description = _(
        "Zoho Books, any data centre (Saudi Arabia included), connected with your Zoho "
        "account. Chart of accounts in, draft journals with receipts out."
    )

    def entry_url(self, entry_id: str | None, *, credentials: dict[str, str] | None = None) -> str:
        """The journal in the organization's Zoho Books (its data centre's web app); for the
        sandbox, its page of the journal."""
        where = credentials or {}
        api_domain = where.get("api_domain", "")
        organization_id = next((where[k] for k in ORGANIZATION_KEYS if where.get(k)), "")
        if not entry_id or not entry_id.isdigit() or not api_domain or not organization_id:
            return ""
        web = books_web_url(api_domain)
        if web:
            return f"{web}/app/{organization_id}#/journals/{entry_id}"
        if api_domain.startswith("http://"):  # the sandbox, on this machine
            root = api_domain.rstrip("/")
            return f"{root}/_sandbox/journals/{entry_id}?organization_id={organization_id}"
        return ""

    def open_session(
        self,
        credentials: dict[str, str],
        *,
        journal: str | None = None,
        max_wait: float | None = None,
        options: Mapping[str, Any] | None = None,
    ) -> ZohoBooksSession:
        return ZohoBooksSession(open_zoho_client(credentials, options=options, max_wait=max_wait))

    def request_budget(
        self, credentials: dict[str, str], *, options: Mapping[str, Any] | None = None
    ) -> RedisRateLimiter:
        return limiter_for_organization(
            organization_of(credentials), daily_quota=daily_quota_of(options)
        )
