"""Odoo behind the ledger's provider interface (`accounting.providers`).

A session wraps one `OdooClient` (one instance, database and user; that instance's shared
request limit) and one company of that database: the user's current company, or the one the
connection stored. Every call names that company in its context (`allowed_company_ids`), so
a user who may work in several companies reads and writes only this one's books. Ids cross
to the ledger as strings (`payloads` converts; the client keeps Odoo's integers). Errors need
no translation here: every Odoo error already is one of the neutral errors (`errors.py`).
"""

import base64
import datetime
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext_lazy as _

from accounting import journal
from accounting.providers import (
    AttachmentRef,
    BooksJournal,
    ChartAccount,
    EntryRef,
    HeldEntry,
    HeldLine,
    Provider,
)
from integrations.http_client import ClientSession
from integrations.providers.odoo.client import OdooClient
from integrations.providers.odoo.errors import (
    OdooAccessError,
    OdooAttachmentsRefused,
    OdooEntryPosted,
    OdooError,
    OdooTooLarge,
    OdooValidationError,
)
from integrations.providers.odoo.payloads import (
    LINE_FIELDS,
    MOVE_FIELDS,
    TAX_FIELDS,
    OdooAccount,
    OdooGroup,
    OdooTax,
    OdooVersion,
    account_fields,
    chart_from,
    company_domain,
    default_journal,
    held_entry_from,
    held_lines,
    is_odoo_id,
    journal_from,
    ledger_id,
    lock_date_fields,
    lock_date_from,
    many2one_id,
    many2one_name,
    odoo_id,
    odoo_move,
    odoo_move_lines,
)
from integrations.providers.odoo.ratelimit import limiter_for_instance
from integrations.ratelimit import RedisRateLimiter

DRAFT = "draft"
CHUNK = 200  # ids per `in` domain
ENGLISH = "en_US"
GROUP_FIELDS = ["id", "name", "code_prefix_start", "parent_id"]


def open_odoo_client(credentials: dict[str, str], *, max_wait: float | None = None) -> OdooClient:
    """A client for one Odoo database as one user, sharing that instance's request limit
    with every worker (waiting at most `max_wait` seconds for a slot; None: as long as it
    takes)."""
    url = credentials["url"]
    return OdooClient(
        url,
        database=credentials["database"],
        username=credentials["username"],
        api_key=credentials["api_key"],
        rate_limiter=limiter_for_instance(url, max_wait=max_wait),
    )


_V18 = OdooVersion(18, 0, "18.0")
# Which lock date fields an instance has, once learned (its URL → the names).
_lock_fields_by_url: dict[str, tuple[str, ...]] = {}


@dataclass(frozen=True)
class Company:
    id: int
    name: str
    currency: str


class OdooSession(ClientSession[OdooClient]):
    """An open connection to one Odoo company's books, as the ledger's `ProviderSession`."""

    def __init__(
        self, client: OdooClient, *, company_id: int | None = None, journal_id: int | None = None
    ) -> None:
        self.client = client
        self._company_id = company_id
        self._journal_id = journal_id
        self._version: OdooVersion | None = None

    # --- the company and its settings ---------------------------------------------------------

    def version(self) -> OdooVersion:
        if self._version is None:
            self._version = self.client.version()
        return self._version

    def company(self) -> Company:
        """The company the session works in: the stored one, else the user's current one."""
        company_id = self._company_id
        if company_id is None:
            [user] = self.client.read("res.users", [self.client.uid()], ["company_id"]) or [{}]
            company_id = many2one_id(user.get("company_id"))
            if company_id is None:
                raise OdooAccessError("Odoo did not say which company this user works in.")
            self._company_id = company_id
        rows = self.client.read(
            "res.company", [company_id], ["name", "currency_id"], context=self.context()
        )
        row = rows[0] if rows else {}
        return Company(
            id=company_id,
            name=str(row.get("name") or ""),
            currency=many2one_name(row.get("currency_id")),
        )

    def company_id(self) -> int:
        if self._company_id is None:
            self._company_id = self.company().id
        return self._company_id

    def context(self, **extra: Any) -> dict[str, Any]:
        """Every call works in this company only (the first allowed company is the active
        one); `extra` adds to it (a language, `image_no_postprocess`)."""
        context: dict[str, Any] = dict(extra)
        if self._company_id is not None:
            context["allowed_company_ids"] = [self._company_id]
        return context

    def read_lock_date(self) -> datetime.date | None:
        """The company's lock date for our entries: the latest of its lock dates, in one read
        of `res.company`. The field names depend on the version: the session's when it knows
        it (the chart sync asked), else 16/17's, then 18's if this Odoo has no such field
        (remembered per instance, so a run reads once)."""
        version = self._version
        names = lock_date_fields(version) if version else _lock_fields_by_url.get(self.client.url)
        for attempt in [names] if names else [lock_date_fields(None), lock_date_fields(_V18)]:
            try:
                rows = self.client.read(
                    "res.company", [self.company_id()], list(attempt), context=self.context()
                )
            except OdooError as exc:
                if names is None and "Invalid field" in exc.message + exc.raw_body:
                    continue
                raise
            _lock_fields_by_url[self.client.url] = attempt
            return lock_date_from(rows[0] if rows else {}, attempt)
        return None

    def read_journals(self) -> list[BooksJournal]:
        """The company's general journals ("Miscellaneous Operations" and the like): where a
        journal entry of ours can go."""
        company_id = self.company_id()
        rows = self.client.search_read(
            "account.journal",
            [["type", "=", "general"], ["company_id", "=", company_id]],
            ["id", "name", "code"],
            context=self.context(),
            order="sequence, id",
        )
        return [journal_from(row) for row in rows]

    def read_tax_rates(self) -> list[OdooTax]:
        """The company's taxes (`account.tax`): what a VAT line's `tax_line_id` names."""
        rows = self.client.search_read(
            "account.tax",
            [["company_id", "=", self.company_id()]],
            TAX_FIELDS,
            context=self.context(lang=ENGLISH),
        )
        return [OdooTax.from_wire(row) for row in rows]

    def journal_id(self) -> int:
        """The journal chosen in the configuration, else the default general journal."""
        if self._journal_id is None:
            chosen = default_journal(self.read_journals())
            if chosen is None:
                raise OdooValidationError(
                    "This Odoo company has no general journal (such as Miscellaneous "
                    "Operations) to put journal entries in. Create one in Odoo (Accounting > "
                    "Configuration > Journals), then sync the configuration again."
                )
            self._journal_id = odoo_id(chosen.external_id)
        return self._journal_id

    def count_accounts(self) -> int:
        version = self.version()
        context = self.context()
        if version.accounts_have_active_flag:
            context["active_test"] = False
        return self.client.search_count(
            "account.account", company_domain(version, self.company_id()), context=context
        )

    # --- the chart --------------------------------------------------------------------------

    def _arabic_language(self) -> str | None:
        """The Arabic language this Odoo has installed (ar_001 first), if any."""
        rows = self.client.search_read("res.lang", [["code", "=like", "ar%"]], ["code"])
        codes = sorted((str(row.get("code")) for row in rows), key=lambda c: c != "ar_001")
        return codes[0] if codes else None

    def read_chart(self) -> list[ChartAccount]:
        version = self.version()
        domain = company_domain(version, self.company_id())
        context = self.context(lang=ENGLISH)
        if version.accounts_have_active_flag:
            context["active_test"] = False  # 19: inactive accounts are hidden otherwise
        rows = self.client.read_all(
            "account.account", domain, account_fields(version), context=context
        )
        accounts = [OdooAccount.from_wire(row, version=version) for row in rows]
        groups = [
            OdooGroup.from_wire(row)
            for row in self.client.read_all("account.group", [], GROUP_FIELDS, context=context)
        ]
        arabic: dict[int, str] = {}
        arabic_groups: dict[int, str] = {}
        language = self._arabic_language()
        if language:
            in_arabic = {**context, "lang": language}
            for row in self.client.read_all(
                "account.account", domain, ["id", "name"], context=in_arabic
            ):
                arabic[int(row["id"])] = str(row.get("name") or "")
            for row in self.client.read_all("account.group", [], ["id", "name"], context=in_arabic):
                arabic_groups[int(row["id"])] = str(row.get("name") or "")
        return chart_from(accounts, groups, arabic=arabic, arabic_groups=arabic_groups)

    # --- journal entries --------------------------------------------------------------------

    def create_draft_entry(
        self,
        draft: journal.JournalEntryDraft,
        *,
        attachments: Sequence[AttachmentRef] = (),
        idempotency_key: str | None = None,
    ) -> EntryRef:
        """One `account.move` with all its lines in one create call. Odoo creates it in
        draft (we never post it). Files are attached after it and Odoo takes no idempotency
        key (OdooProvider keeps the plain capabilities): the engine passes neither."""
        values = odoo_move(draft, journal_id=self.journal_id())
        entry_id = self.client.create("account.move", values, context=self.context())
        return EntryRef(id=ledger_id(entry_id), status=DRAFT)

    def update_draft_entry(self, entry_id: str, draft: journal.JournalEntryDraft) -> EntryRef:
        """One `write` on the `account.move` replacing its lines while Odoo holds it as a
        draft. Odoo refuses some changes to a posted entry (and allows others, depending on
        the journal and the version): the ledger asks the state first and never sends this
        for a posted entry; a refusal is read again, and if the entry was posted meanwhile it
        is `OdooEntryPosted` (a `NotADraft`)."""
        try:
            self.client.write(
                "account.move", [odoo_id(entry_id)], odoo_move_lines(draft), context=self.context()
            )
        except OdooValidationError as exc:
            rows = self.client.search_read(
                "account.move", [["id", "=", odoo_id(entry_id)]], ["state"], context=self.context()
            )
            state = str(rows[0].get("state") or "") if rows else ""
            if state and state != DRAFT:
                raise OdooEntryPosted(exc.message, name=exc.name, raw_body=exc.raw_body) from None
            raise
        return EntryRef(id=entry_id, status=DRAFT)

    def _entry_domain(self) -> list[Any]:
        return [["move_type", "=", "entry"], ["company_id", "=", self.company_id()]]

    def find_entry(self, *, reference: str, date: datetime.date) -> EntryRef | None:
        rows = self.client.search_read(
            "account.move",
            [["ref", "=", reference], ["date", "=", date.isoformat()], *self._entry_domain()],
            ["id", "state"],
            context=self.context(),
            limit=1,
            order="id",  # the oldest, should there be several: Odoo's ids grow as numbers
        )
        if not rows:
            return None
        return EntryRef(id=ledger_id(rows[0]["id"]), status=str(rows[0].get("state") or DRAFT))

    def _lines(self, move_ids: list[int]) -> dict[int, list[HeldLine]]:
        lines: dict[int, list[HeldLine]] = {}
        for start in range(0, len(move_ids), CHUNK):
            chunk = move_ids[start : start + CHUNK]
            rows = self.client.read_all(
                "account.move.line", [["move_id", "in", chunk]], LINE_FIELDS, context=self.context()
            )
            lines.update(held_lines(rows))
        return lines

    def list_entries(self, *, date_from: datetime.date, date_to: datetime.date) -> list[HeldEntry]:
        """Every journal entry of the company dated in the range that carries a reference,
        oldest first (`read_all` orders by id)."""
        moves = self.client.read_all(
            "account.move",
            [
                ["date", ">=", date_from.isoformat()],
                ["date", "<=", date_to.isoformat()],
                ["ref", "!=", False],
                *self._entry_domain(),
            ],
            MOVE_FIELDS,
            context=self.context(),
        )
        lines = self._lines([int(row["id"]) for row in moves])
        return [held_entry_from(row, lines.get(int(row["id"]), [])) for row in moves]

    def get_entries(self, entry_ids: list[str]) -> dict[str, HeldEntry | None]:
        found: dict[str, HeldEntry | None] = dict.fromkeys(entry_ids)
        # An id that cannot be Odoo's (kept from other books) is not in these: not asked.
        wire_ids = [odoo_id(entry_id) for entry_id in entry_ids if is_odoo_id(entry_id)]
        for start in range(0, len(wire_ids), CHUNK):
            chunk = wire_ids[start : start + CHUNK]
            moves = self.client.search_read(
                "account.move", [["id", "in", chunk]], MOVE_FIELDS, context=self.context()
            )
            lines = self._lines([int(row["id"]) for row in moves])
            for row in moves:
                entry = held_entry_from(row, lines.get(int(row["id"]), []))
                found[entry.id] = entry
        return found

    def list_attachments(self, entry_id: str) -> list[str]:
        """The names of the entry's `ir.attachment` records (one `search_read`)."""
        rows = self.client.search_read(
            "ir.attachment",
            [("res_model", "=", "account.move"), ("res_id", "=", odoo_id(entry_id))],
            ["name"],
            context=self.context(),
        )
        return [str(row.get("name", "")) for row in rows]

    def attach_document(
        self, entry_id: str, *, filename: str, content: bytes, content_type: str
    ) -> AttachmentRef:
        """An `ir.attachment` on the entry, the file as sent: `image_no_postprocess` keeps
        Odoo from shrinking and recompressing a photographed receipt."""
        values = {
            "name": filename,
            "datas": base64.b64encode(content).decode("ascii"),
            "res_model": "account.move",
            "res_id": odoo_id(entry_id),
            "mimetype": content_type,
        }
        try:
            attachment_id = self.client.create(
                "ir.attachment", values, context=self.context(image_no_postprocess=True)
            )
        except OdooTooLarge as exc:
            raise OdooTooLarge(
                f"Odoo refused the receipt {filename} ({len(content) / 1e6:.1f} MB): it is larger "
                "than this Odoo server accepts (HTTP 413). The draft entry is in Odoo without "
                "it: attach the file there by hand, or ask the Odoo administrator to raise the "
                "upload limit, then retry.",
                status_code=413,
                raw_body=exc.raw_body,
            ) from None
        except OdooAccessError as exc:
            raise OdooAttachmentsRefused(
                "This Odoo user may not attach files to journal entries: the receipts travel "
                "as links in the entries' lines. Give the user that right in Odoo to upload "
                "them.",
                name=exc.name,
                raw_body=exc.raw_body,
            ) from None
        return AttachmentRef(id=ledger_id(attachment_id))


if TYPE_CHECKING:
    pass

# Odoo's account types (`account.account.account_type`, 16+) as Odoo itself labels them.
ACCOUNT_TYPE_LABELS = {
    "asset_receivable": _("Receivable"),
    "asset_cash": _("Bank and Cash"),
    "asset_current": _("Current Assets"),
    "asset_non_current": _("Non-current Assets"),
    "asset_prepayments": _("Prepayments"),
    "asset_fixed": _("Fixed Assets"),
    "liability_payable": _("Payable"),
    "liability_credit_card": _("Credit Card"),
    "liability_current": _("Current Liabilities"),
    "liability_non_current": _("Non-current Liabilities"),
    "equity": _("Equity"),
    "equity_unaffected": _("Current Year Earnings"),
    "income": _("Income"),
    "income_other": _("Other Income"),
    "expense": _("Expenses"),
    "expense_depreciation": _("Depreciation"),
    "expense_direct_cost": _("Cost of Revenue"),
    "off_balance": _("Off-Balance Sheet"),
}


class OdooProvider(Provider):
    key = "odoo"
    account_type_labels = ACCOUNT_TYPE_LABELS
    connect_flow = "integrations.providers.odoo.connect.OdooConnect"
    name = _("Odoo")
    description = _(
        "Odoo 16 or later: Odoo Online (Custom plan), Odoo.sh or your own server. Chart of "
        "accounts in, draft journal entries with receipts out."
    )
    keeps_journals = True
    can_update_drafts = True

    reads_lock_date = True  # res.company's lock dates: read with the chart and once a run

    def entry_url(self, entry_id: str | None, *, credentials: dict[str, str] | None = None) -> str:
        """The entry's form in the organization's Odoo (`/web#…`, which 17.2+ also opens)."""
        url = (credentials or {}).get("url", "")
        if not url or not entry_id or not is_odoo_id(entry_id):
            return ""
        return f"{url.rstrip('/')}/web#id={odoo_id(entry_id)}&model=account.move&view_type=form"

    def open_session(
        self,
        credentials: dict[str, str],
        *,
        journal: str | None = None,
        max_wait: float | None = None,
        options: Mapping[str, Any] | None = None,
    ) -> OdooSession:
        company = credentials.get("company_id")
        return OdooSession(
            open_odoo_client(credentials, max_wait=max_wait),
            company_id=odoo_id(company) if company else None,
            journal_id=odoo_id(journal) if journal else None,
        )

    def request_budget(
        self, credentials: dict[str, str], *, options: Mapping[str, Any] | None = None
    ) -> RedisRateLimiter:
        return limiter_for_instance(credentials["url"])
