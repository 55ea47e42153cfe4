"""Typed shapes of what we read from and send to Odoo's external API (16-19, JSON-RPC), and
the mapping between them and the ledger's neutral shapes (`chart_from`, `odoo_move`,
`held_entry_from`). See ../shared/providers-api.md §1 for the field names by version.

Odoo's ids are integers on the wire; the ledger's are strings: a record's digits ("1026"), and
for an account group, which is no account, "group-<id>" ("group-10"). The mapping converts
here and only here (`ledger_id`, `group_ledger_id`, `odoo_id`)."""

import datetime
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from accounting import journal
from accounting.providers import BooksJournal, ChartAccount, HeldEntry, HeldLine
from integrations.providers.odoo.errors import OdooValidationError

CENT = Decimal("0.01")
OLDEST_SUPPORTED = 16  # `account_type` replaced `user_type_id` in 16.0
# Accounts a journal entry of ours can use: off-balance accounts only mix with each other.
OFF_BALANCE = "off_balance"
# Account groups (Odoo's headings) are another model than accounts, with ids of their own: in
# our chart they carry this prefix, so they never collide with an account's id.
GROUP_ID_PREFIX = "group-"
ACCOUNT_FIELDS = ["id", "code", "name", "account_type", "group_id", "internal_group"]
MOVE_FIELDS = ["id", "ref", "date", "state", "name", "journal_id"]
LINE_FIELDS = ["move_id", "account_id", "debit", "credit"]


def to_decimal(value: Any) -> Decimal:
    """Odoo sends amounts as JSON numbers (floats of its Monetary fields); ours are exact to
    the cent: round once, here."""
    if value is None or value is False or value == "":
        return Decimal("0.00")
    try:
        return Decimal(str(value)).quantize(CENT)
    except InvalidOperation:
        return Decimal("0.00")


def to_number(amount: Decimal) -> float:
    """An amount as Odoo's JSON-RPC expects it: a JSON number. The float of a 2-place Decimal
    prints back as the same decimal (at most 15 significant digits), so Odoo reads exactly
    the amount we computed; nothing is computed in float."""
    number = float(amount.quantize(CENT))
    assert Decimal(repr(number)).quantize(CENT) == amount.quantize(CENT), amount
    return number


def many2one_id(value: Any) -> int | None:
    """Odoo reads a many2one as `[id, "display name"]` (or false)."""
    if isinstance(value, list | tuple) and value:
        return int(value[0])
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return None


def ledger_id(wire_id: Any) -> str:
    """An Odoo record's id as the ledger keeps it: its digits ("1026")."""
    return str(int(wire_id))


def group_ledger_id(group_id: int) -> str:
    """An account group's id in our chart: "group-10" (it is a heading, not an account)."""
    return f"{GROUP_ID_PREFIX}{group_id}"


def is_odoo_id(external_id: str) -> bool:
    """Whether a ledger id can be an Odoo record's (digits): not a group's "group-10", nor an id
    kept from books the organization used before ("acc_9f2")."""
    return external_id.isascii() and external_id.isdecimal()


def odoo_id(external_id: str) -> int:
    """A ledger id as Odoo's wire wants it (an integer); one that cannot be an Odoo record's
    (a group: a heading takes no entries) is refused as Odoo would refuse it."""
    if not is_odoo_id(external_id):
        raise OdooValidationError(
            f"{external_id} is not an Odoo account or entry: pick a posting account of the "
            "Odoo chart."
        )
    return int(external_id)


def many2one_name(value: Any) -> str:
    if isinstance(value, list | tuple) and len(value) > 1:
        return str(value[1])
    return ""


@dataclass(frozen=True)
class OdooVersion:
    """What `common.version` says: `server_serie` "17.0", or "saas~17.4" on Odoo Online."""

    major: int
    minor: int
    label: str

    @classmethod
    def from_wire(cls, body: Any) -> "OdooVersion":
        body = body if isinstance(body, dict) else {}
        label = str(body.get("server_serie") or body.get("server_version") or "")
        match = re.search(r"(\d+)\.(\d+)", label)
        if match:
            return cls(int(match.group(1)), int(match.group(2)), label)
        info = body.get("server_version_info") or []
        digits = re.search(r"\d+", str(info[0])) if info else None
        return cls(int(digits.group(0)) if digits else 0, 0, label or "unknown")

    @property
    def supported(self) -> bool:
        return self.major >= OLDEST_SUPPORTED

    @property
    def accounts_have_active_flag(self) -> bool:
        """19 replaced `account.account.deprecated` with `active`."""
        return self.major >= 19

    @property
    def accounts_shared_by_companies(self) -> bool:
        """18 made accounts shared across companies (`company_ids`, codes per company)."""
        return self.major >= 18


@dataclass(frozen=True)
class OdooAccount:
    id: int
    code: str
    name: str
    account_type: str
    internal_group: str
    group_id: int | None
    active: bool

    @classmethod
    def from_wire(cls, row: dict[str, Any], *, version: OdooVersion) -> "OdooAccount":
        if version.accounts_have_active_flag:
            active = bool(row.get("active", True))
        else:
            active = not row.get("deprecated", False)
        return cls(
            id=int(row["id"]),
            code=str(row.get("code") or ""),
            name=str(row.get("name") or ""),
            account_type=str(row.get("account_type") or ""),
            internal_group=str(row.get("internal_group") or ""),
            group_id=many2one_id(row.get("group_id")),
            active=active,
        )


@dataclass(frozen=True)
class OdooGroup:
    """An account group: a heading of the chart (a code-prefix range), not an account."""

    id: int
    name: str
    code_prefix: str
    parent_id: int | None

    @classmethod
    def from_wire(cls, row: dict[str, Any]) -> "OdooGroup":
        return cls(
            id=int(row["id"]),
            name=str(row.get("name") or ""),
            code_prefix=str(row.get("code_prefix_start") or ""),
            parent_id=many2one_id(row.get("parent_id")),
        )


def account_fields(version: OdooVersion) -> list[str]:
    return [*ACCOUNT_FIELDS, "active" if version.accounts_have_active_flag else "deprecated"]


def company_domain(version: OdooVersion, company_id: int | None) -> list[Any]:
    """The accounts of one company: `company_id` until 17, `company_ids` from 18."""
    if company_id is None:
        return []
    field = "company_ids" if version.accounts_shared_by_companies else "company_id"
    return [[field, "in", [company_id]]]


def journal_from(row: dict[str, Any]) -> BooksJournal:
    return BooksJournal(
        external_id=ledger_id(row["id"]),
        code=str(row.get("code") or ""),
        name=str(row.get("name") or ""),
    )


def default_journal(journals: Sequence[BooksJournal]) -> BooksJournal | None:
    """The general "Miscellaneous Operations" journal (code MISC in every Odoo localization
    we know), else the first general journal."""
    for journal_row in journals:
        if journal_row.code.upper() == "MISC":
            return journal_row
    for journal_row in journals:
        if "miscellaneous" in journal_row.name.lower():
            return journal_row
    return journals[0] if journals else None


def _arabic(name_en: str, name_ar: str | None) -> str:
    """Odoo answers the English name where it has no Arabic one: that is no Arabic name."""
    return name_ar if name_ar and name_ar != name_en else ""


def chart_from(
    accounts: Sequence[OdooAccount],
    groups: Sequence[OdooGroup],
    *,
    arabic: dict[int, str] | None = None,
    arabic_groups: dict[int, str] | None = None,
) -> list[ChartAccount]:
    """Odoo's chart in the ledger's words. Accounts are Odoo's posting accounts; the account
    groups above them (the ones that hold at least one account) are the headings, with ids
    "group-<id>". Off-balance accounts are listed inactive: our entries cannot use them."""
    arabic = arabic or {}
    arabic_groups = arabic_groups or {}
    by_group = {group.id: group for group in groups}
    used: set[int] = set()
    for account in accounts:
        group_id = account.group_id
        while group_id is not None and group_id in by_group and group_id not in used:
            used.add(group_id)
            group_id = by_group[group_id].parent_id

    def heading_id(group_id: int | None) -> str | None:
        return group_ledger_id(group_id) if group_id is not None and group_id in used else None

    headings = [
        ChartAccount(
            external_id=group_ledger_id(group.id),
            code=group.code_prefix or str(group.id),
            name_en=group.name,
            name_ar=_arabic(group.name, arabic_groups.get(group.id)),
            type="group",
            group_type="",
            active=True,
            receive_payments=False,
            parent_external_id=heading_id(group.parent_id),
        )
        for group in groups
        if group.id in used
    ]
    posting = [
        ChartAccount(
            external_id=ledger_id(account.id),
            code=account.code,
            name_en=account.name,
            name_ar=_arabic(account.name, arabic.get(account.id)),
            type=account.account_type,
            group_type=account.internal_group,
            active=account.active and account.account_type != OFF_BALANCE,
            receive_payments=account.account_type == "asset_cash",
            parent_external_id=heading_id(account.group_id),
        )
        for account in accounts
    ]
    return headings + posting


def _line_label(draft: journal.JournalEntryDraft, line: journal.JournalLine) -> str:
    label = f"{draft.reference} · {draft.description}" if draft.description else draft.reference
    return f"{label} · {line.memo}" if line.memo else label


TAX_FIELDS = ["id", "name", "amount", "type_tax_use"]


@dataclass(frozen=True)
class OdooTax:
    """One of the company's taxes (`account.tax`), as the configuration offers it."""

    id: str
    name: str
    rate: Decimal

    @classmethod
    def from_wire(cls, row: dict[str, Any]) -> "OdooTax":
        use = str(row.get("type_tax_use") or "")
        name = str(row.get("name") or row.get("id"))
        return cls(
            id=ledger_id(row["id"]),
            name=f"{name} ({use})" if use in ("purchase", "sale") else name,
            rate=to_decimal(row.get("amount") or 0),
        )


def _move_line(draft: journal.JournalEntryDraft, line: journal.JournalLine) -> dict[str, Any]:
    values: dict[str, Any] = {
        "account_id": odoo_id(line.account),
        "name": _line_label(draft, line),
        "debit": to_number(line.amount) if line.side == journal.DEBIT else 0.0,
        "credit": to_number(line.amount) if line.side == journal.CREDIT else 0.0,
    }
    if line.tax:
        # The VAT line as Odoo's own tax lines are: on the tax account, marked with its tax
        # (`tax_line_id`), no `tax_ids` (those would ask Odoo to compute a tax line of its
        # own, which over the API it may or may not do: providers-api.md §1.9).
        values["tax_line_id"] = odoo_id(line.tax)
    return values


def odoo_move(draft: journal.JournalEntryDraft, *, journal_id: int) -> dict[str, Any]:
    """The ledger's balanced draft as the values of one `account.move`: a journal entry
    (`move_type` "entry", never posted: `state` stays "draft"), our reference in `ref`, the
    description as its narration, and every line in the same call as `(0, 0, values)`
    commands (lines added one by one would each leave the entry unbalanced)."""
    return {
        "move_type": "entry",
        "journal_id": journal_id,
        "date": draft.date.isoformat(),
        "ref": draft.reference,
        "narration": draft.description,
        "line_ids": [[0, 0, _move_line(draft, line)] for line in draft.lines],
    }


def odoo_move_lines(draft: journal.JournalEntryDraft) -> dict[str, Any]:
    """The values that make a draft `account.move`'s lines the draft's, in one `write`: clear
    its lines (`(5, 0, 0)`) and create the new ones (`(0, 0, values)`), all in the same call
    so the entry is never unbalanced. The entry keeps its id, number, reference and date."""
    lines = odoo_move(draft, journal_id=0)["line_ids"]
    return {"line_ids": [[5, 0, 0], *lines]}


def _date(value: Any) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(str(value or ""))
    except ValueError:
        return None


def held_lines(rows: Iterable[dict[str, Any]]) -> dict[int, list[HeldLine]]:
    """`account.move.line` rows by their move's id, in the ledger's words."""
    lines: dict[int, list[HeldLine]] = {}
    for row in rows:
        move_id = many2one_id(row.get("move_id"))
        account_id = many2one_id(row.get("account_id"))
        if move_id is None or account_id is None:
            continue
        debit, credit = to_decimal(row.get("debit")), to_decimal(row.get("credit"))
        for side, amount in (("debit", debit), ("credit", credit)):
            if amount > 0:
                lines.setdefault(move_id, []).append(HeldLine(ledger_id(account_id), side, amount))
    return lines


def held_entry_from(row: dict[str, Any], lines: Sequence[HeldLine]) -> HeldEntry:
    """An `account.move` as Odoo holds it, in the ledger's words; our reference is its `ref`."""
    ref = row.get("ref")
    return HeldEntry(
        id=ledger_id(row["id"]),
        reference=str(ref) if ref else "",
        date=_date(row.get("date")),
        status=str(row.get("state") or ""),
        lines=tuple(lines),
    )


# The lock dates that close a company's books to a journal entry of ours (a general journal,
# no taxes): 16 and 17 have `period_lock_date` (all but advisers) and `fiscalyear_lock_date`
# (everyone); 18 keeps `fiscalyear_lock_date` and adds the irreversible `hard_lock_date`
# (its sales/purchase lock dates close only those journals). We take the latest of them: an
# entry dated on or before it may be refused, or locked once posted.
LOCK_DATE_FIELDS_16 = ("period_lock_date", "fiscalyear_lock_date")
LOCK_DATE_FIELDS_18 = ("fiscalyear_lock_date", "hard_lock_date")


def lock_date_fields(version: OdooVersion | None) -> tuple[str, ...]:
    return (
        LOCK_DATE_FIELDS_18 if version is not None and version.major >= 18 else LOCK_DATE_FIELDS_16
    )


def lock_date_from(row: dict[str, Any], names: Iterable[str]) -> datetime.date | None:
    """The latest of the company's lock dates (None: the books are open)."""
    dates = []
    for name in names:
        value = row.get(name)
        if isinstance(value, str) and value:
            try:
                dates.append(datetime.date.fromisoformat(value[:10]))
            except ValueError:
                continue
    return max(dates) if dates else None
