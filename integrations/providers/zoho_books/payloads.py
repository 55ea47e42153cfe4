"""Zoho Books' shapes in the ledger's words, and the ledger's draft in Zoho's.

- the chart (`GET /chartofaccounts` rows) → `ChartAccount`: ids as strings, inactive accounts
  kept inactive, an account without a code keeps an empty code;
- a `JournalEntryDraft` → the body of `POST /journals`: a draft (`status: "draft"`), our
  reference in `reference_number`, every line in `debit_or_credit` form with its amount as a
  string of 2 places (never a float);
- a Zoho journal → `EntryRef` / `HeldEntry`.

Zoho's ids are digit strings longer than a JavaScript-safe integer ("460000000038029"): they
stay strings from the wire to the database.
"""

import datetime
import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from accounting import journal
from accounting.providers import ChartAccount, EntryRef, HeldEntry, HeldLine

DRAFT = "draft"
CENT = Decimal("0.01")

# Zoho's account types, by the class of the balance sheet / income statement they are in
# (providers-api.md §2.2). A type not listed there (Zoho's later additions) keeps an empty
# class.
ACCOUNT_CLASSES: dict[str, str] = {
    "other_asset": "asset",
    "other_current_asset": "asset",
    "cash": "asset",
    "bank": "asset",
    "fixed_asset": "asset",
    "accounts_receivable": "asset",
    "other_current_liability": "liability",
    "credit_card": "liability",
    "long_term_liability": "liability",
    "other_liability": "liability",
    "accounts_payable": "liability",
    "equity": "equity",
    "income": "income",
    "other_income": "income",
    "expense": "expense",
    "cost_of_goods_sold": "expense",
    "other_expense": "expense",
}
# Accounts money is paid from: the likely SiFi wallet (offered first as the Source Account).
PAYMENT_TYPES = frozenset({"bank", "cash"})

_ARABIC = re.compile(r"[\u0600-\u06FF\u0750-\u077F\uFB50-\uFDFF\uFE70-\uFEFF]")


def wire_id(value: Any) -> str:
    """Zoho's id as the ledger keeps it: a string ("" for none). A number is written without
    a fraction or an exponent (a JSON number this long would have lost digits already)."""
    if value is None or isinstance(value, bool):
        return ""
    if isinstance(value, int):
        return str(value)
    return str(value).strip()


def to_decimal(value: Any) -> Decimal:
    """An amount as Zoho answers it (a JSON number or a string) as a Decimal of 2 places."""
    if value is None or value == "" or isinstance(value, bool):
        return Decimal("0.00")
    try:
        return Decimal(str(value)).quantize(CENT)
    except InvalidOperation:
        raise ValueError(f"not an amount: {value!r}") from None


def to_wire_amount(amount: Decimal) -> str:
    """An amount as Zoho takes it: a string with 2 places ("1150.00"), never a float."""
    return str(amount.quantize(CENT))


def _truthy(value: Any, *, default: bool) -> bool:
    if value is None:
        return default
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1", "yes")
    return bool(value)


def arabic_name(name: str) -> str:
    """Zoho keeps one name per account (no second-language field): a name written in Arabic
    is the Arabic name; any other name is no Arabic name."""
    return name if _ARABIC.search(name) else ""


def chart_account_from(row: dict[str, Any]) -> ChartAccount:
    """One row of `GET /chartofaccounts` in the ledger's words."""
    name = str(row.get("account_name") or "").strip()
    account_type = str(row.get("account_type") or "")
    parent = wire_id(row.get("parent_account_id"))
    return ChartAccount(
        external_id=wire_id(row["account_id"]),
        code=str(row.get("account_code") or "").strip(),
        name_en=name,
        name_ar=arabic_name(name),
        type=account_type,
        group_type=ACCOUNT_CLASSES.get(account_type, ""),
        # Listed with filter_by=AccountType.All: a row that does not say is an active one.
        active=_truthy(row.get("is_active"), default=True),
        receive_payments=account_type in PAYMENT_TYPES,
        parent_external_id=parent or None,
    )


def chart_from(rows: Iterable[dict[str, Any]]) -> list[ChartAccount]:
    """The whole chart (every page) in the ledger's words, each account once (a row repeated
    across pages keeps its first appearance); rows without an id are skipped."""
    accounts: dict[str, ChartAccount] = {}
    for row in rows:
        if not isinstance(row, dict) or not wire_id(row.get("account_id")):
            continue
        account = chart_account_from(row)
        accounts.setdefault(account.external_id, account)
    return list(accounts.values())


def _line_description(draft: journal.JournalEntryDraft, line: journal.JournalLine) -> str:
    return line.memo or draft.description


@dataclass(frozen=True)
class ZohoTax:
    """One of the organization's taxes (`GET /settings/taxes`): its id, name, percentage."""

    id: str
    name: str
    rate: Decimal


def taxes_from(rows: Iterable[dict[str, Any]]) -> list[ZohoTax]:
    """Zoho's tax rows as the taxes the configuration offers (rows without an id skipped)."""
    return [
        ZohoTax(
            id=wire_id(row.get("tax_id")),
            name=str(row.get("tax_name") or wire_id(row.get("tax_id"))),
            rate=to_decimal(row.get("tax_percentage") or 0),
        )
        for row in rows
        if wire_id(row.get("tax_id"))
    ]


def _line_item(draft: journal.JournalEntryDraft, line: journal.JournalLine) -> dict[str, Any]:
    item = {
        "account_id": line.account,
        "debit_or_credit": line.side,
        "amount": to_wire_amount(line.amount),
        "description": _line_description(draft, line),
    }
    if line.tax:  # a VAT line booked with the tax the organization chose
        item["tax_id"] = line.tax
    return item


def zoho_journal(draft: journal.JournalEntryDraft) -> dict[str, Any]:
    """The ledger's balanced draft as the body of `POST /journals`: a draft journal in the
    organization's base currency (no `currency_id`: a Zoho organization in another currency
    is refused at connect), our reference in `reference_number`, the description as its
    notes, and every line in the same call; a VAT line carries the chosen tax as `tax_id`
    (its amount stays ours: whether a Saudi organization's Zoho computes VAT from a journal
    line's tax is not documented, so the line is explicit and the tax marks it)."""
    return {
        "journal_date": draft.date.isoformat(),
        "reference_number": draft.reference,
        "notes": draft.description,
        "status": DRAFT,
        "line_items": [_line_item(draft, line) for line in draft.lines],
    }


def _date(value: Any) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(str(value or ""))
    except ValueError:
        return None


def entry_ref_from(journal_row: dict[str, Any]) -> EntryRef:
    """A Zoho journal as the ledger's reference to it (a list row has no status: "")."""
    return EntryRef(
        id=wire_id(journal_row["journal_id"]), status=str(journal_row.get("status") or "")
    )


def held_lines_from(line_items: Any) -> tuple[HeldLine, ...]:
    if not isinstance(line_items, list):
        return ()
    lines = []
    for item in line_items:
        if not isinstance(item, dict):
            continue
        side = str(item.get("debit_or_credit") or "").lower()
        account = wire_id(item.get("account_id"))
        if side not in (journal.DEBIT, journal.CREDIT) or not account:
            continue
        lines.append(HeldLine(account=account, side=side, amount=to_decimal(item.get("amount"))))
    return tuple(lines)


def held_entry_from(journal_row: dict[str, Any]) -> HeldEntry:
    """A Zoho journal (from `GET /journals/{id}`) as the books hold it; our reference is its
    `reference_number`. A list row carries neither status nor lines: they stay empty."""
    return HeldEntry(
        id=wire_id(journal_row["journal_id"]),
        reference=str(journal_row.get("reference_number") or ""),
        date=_date(journal_row.get("journal_date")),
        status=str(journal_row.get("status") or ""),
        lines=held_lines_from(journal_row.get("line_items")),
    )
