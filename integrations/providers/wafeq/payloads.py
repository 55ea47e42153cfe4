"""Typed shapes of what we read from and send to Wafeq (providers-api.md §3), and the mapping
between them and the ledger's neutral shapes (`chart_from`, `expense_body`,
`manual_journal_body`, `entry_ref_from_*`, `held_entry_from_*`).

Wafeq's ids are strings already ("acc_…", "exp_…", "jou_…", "tax_…", "att_…"): they cross
as they are. Amounts are Decimal here and strings with 2 places on the wire (never floats:
Wafeq's schema says "number", and its Django REST framework fields read "115.00" as well);
what Wafeq answers is read through `Decimal(str(value))`.
"""

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _

from accounting import journal
from accounting.providers import ChartAccount, EntryRef, HeldEntry, HeldLine
from integrations.providers.wafeq.errors import DraftNotExpressible

CENT = Decimal("0.01")
DRAFT, POSTED = "DRAFT", "POSTED"
TAX_INCLUSIVE = "TAX_INCLUSIVE"
# A manual journal has no status in Wafeq's API: it is in the ledger once created.
MANUAL_JOURNAL_STATUS = POSTED
# Wafeq's limits on text we send (the schema's maxLength; 255 for external ids).
EXTERNAL_ID_MAX = 255


def to_decimal(value: Any) -> Decimal:
    """An amount as Wafeq sends it (a JSON number or a string), exact to the cent."""
    if value is None or value == "" or isinstance(value, bool):
        return Decimal("0.00")
    try:
        return Decimal(str(value)).quantize(CENT)
    except InvalidOperation:
        return Decimal("0.00")


def wire_amount(amount: Decimal) -> str:
    """An amount as we send it: a string with 2 places ("115.00", "-115.00")."""
    return f"{amount.quantize(CENT):.2f}"


def wire_id(value: Any) -> str:
    """An id Wafeq sends as a string, or inside an expanded object (`{"id": …}`)."""
    if isinstance(value, dict):
        value = value.get("id")
    return "" if value is None else str(value)


def _text(row: dict[str, Any], *keys: str) -> str:
    for key in keys:
        value = row.get(key)
        if isinstance(value, dict):  # {"en": …, "ar": …}
            value = value.get("en") or value.get("ar")
        if value:
            return str(value)
    return ""


def _flag(value: Any, *, default: bool) -> bool:
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in ("true", "1", "yes")


def _date(value: Any) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


# --- what Wafeq sends ---------------------------------------------------------------------


@dataclass(frozen=True)
class WafeqOrganization:
    """The organization an API key is bound to (`GET /organization/`)."""

    id: str
    name_en: str
    name_ar: str
    base_currency: str  # what `amount_to_bcy` is in; must be the SiFi organization's
    country: str

    @classmethod
    def from_wire(cls, row: dict[str, Any]) -> "WafeqOrganization":
        settings = row.get("financial_settings") or {}
        name = row.get("name") or {}
        return cls(
            id=wire_id(row.get("id")),
            name_en=str(name.get("en") or "") if isinstance(name, dict) else str(name),
            name_ar=str(name.get("ar") or "") if isinstance(name, dict) else "",
            base_currency=str(settings.get("base_currency") or "").upper(),
            country=str(settings.get("country") or ""),
        )


@dataclass(frozen=True)
class WafeqAccount:
    """One account of Wafeq's chart, with the flags our rules need: only `is_posting`
    accounts take entries, only `is_payment_enabled` ones may be an expense's
    `paid_through_account` (the Source Account), `is_system` ones cannot be deleted."""

    id: str
    code: str
    name_en: str
    name_ar: str
    classification: str  # REVENUE | EXPENSE | ASSET | LIABILITY | EQUITY
    sub_classification: str  # OPERATING_EXPENSE, CASH_EQUIVALENTS, …
    account_type: str  # GENERAL_AND_ADMINISTRATIVE_EXPENSES, VAT, …
    parent: str | None
    is_posting: bool
    is_payment_enabled: bool
    is_system: bool
    is_locked: bool

    @classmethod
    def from_wire(cls, row: dict[str, Any]) -> "WafeqAccount":
        parent = wire_id(row.get("parent"))
        return cls(
            id=wire_id(row["id"]),
            code=str(row.get("account_code") or ""),
            name_en=str(row.get("name_en") or ""),
            name_ar=str(row.get("name_ar") or ""),
            classification=str(row.get("classification") or ""),
            sub_classification=str(row.get("sub_classification") or ""),
            account_type=str(row.get("account_type") or ""),
            parent=parent or None,
            # The older schema has no `is_posting`: every account took entries then.
            is_posting=_flag(row.get("is_posting"), default=True),
            is_payment_enabled=_flag(row.get("is_payment_enabled"), default=False),
            is_system=_flag(row.get("is_system"), default=False),
            is_locked=_flag(row.get("is_locked"), default=False),
        )


@dataclass(frozen=True)
class WafeqTaxRate:
    """One of Wafeq's tax rates (`GET /tax-rates/`): `rate` is a percentage (15.00)."""

    id: str  # "tax_…": what an expense's `tax_rate` takes
    name: str
    rate: Decimal

    @classmethod
    def from_wire(cls, row: dict[str, Any]) -> "WafeqTaxRate":
        return cls(
            id=wire_id(row["id"]),
            name=_text(row, "name", "name_en", "name_ar"),
            rate=to_decimal(row.get("rate")),
        )


@dataclass(frozen=True)
class WafeqFile:
    """A file uploaded to Wafeq (`POST /files/`): its id goes in an entry's `attachments`."""

    id: str
    original_filename: str
    mime_type: str
    file_size: int | None

    @classmethod
    def from_wire(cls, row: dict[str, Any]) -> "WafeqFile":
        size = row.get("file_size")
        return cls(
            id=wire_id(row["id"]),
            original_filename=str(row.get("original_filename") or ""),
            mime_type=str(row.get("mime_type") or ""),
            file_size=int(size) if isinstance(size, int | str) and str(size).isdigit() else None,
        )


def _attachment_ids(value: Any) -> tuple[str, ...]:
    items = value if isinstance(value, list) else []
    return tuple(wire_id(item) for item in items if wire_id(item))


@dataclass(frozen=True)
class WafeqExpense:
    """An expense as Wafeq holds it. `replayed`: Wafeq answered a write sent again with the
    same idempotency key with this original (nothing new was created)."""

    id: str
    status: str  # DRAFT | POSTED
    reference: str
    external_id: str
    date: datetime.date | None
    account: str
    paid_through_account: str
    amount: Decimal
    currency: str
    tax_rate: str | None
    tax_amount: Decimal | None  # read back where Wafeq reports it
    attachments: tuple[str, ...]
    replayed: bool = False

    @classmethod
    def from_wire(cls, row: dict[str, Any], *, replayed: bool = False) -> "WafeqExpense":
        tax_rate = wire_id(row.get("tax_rate"))
        tax_amount = row.get("tax_amount")
        return cls(
            id=wire_id(row["id"]),
            status=str(row.get("status") or "").upper(),
            reference=str(row.get("reference") or ""),
            external_id=str(row.get("external_id") or ""),
            date=_date(row.get("date")),
            account=wire_id(row.get("account")),
            paid_through_account=wire_id(row.get("paid_through_account")),
            amount=to_decimal(row.get("amount")),
            currency=str(row.get("currency") or ""),
            tax_rate=tax_rate or None,
            tax_amount=None if tax_amount in (None, "") else to_decimal(tax_amount),
            attachments=_attachment_ids(row.get("attachments")),
            replayed=replayed,
        )

    @property
    def is_draft(self) -> bool:
        return self.status == DRAFT


@dataclass(frozen=True)
class WafeqJournalLine:
    """A manual journal line: `amount` is signed (positive debit, negative credit)."""

    account: str
    amount: Decimal
    amount_to_bcy: Decimal
    currency: str
    description: str

    @classmethod
    def from_wire(cls, row: dict[str, Any]) -> "WafeqJournalLine":
        return cls(
            account=wire_id(row.get("account")),
            amount=to_decimal(row.get("amount")),
            amount_to_bcy=to_decimal(row.get("amount_to_bcy", row.get("amount"))),
            currency=str(row.get("currency") or ""),
            description=str(row.get("description") or ""),
        )


@dataclass(frozen=True)
class WafeqManualJournal:
    """A manual journal as Wafeq holds it (posted: Wafeq's API has no draft journal)."""

    id: str
    reference: str
    external_id: str
    date: datetime.date | None
    line_items: tuple[WafeqJournalLine, ...]
    attachments: tuple[str, ...]
    replayed: bool = False

    @classmethod
    def from_wire(cls, row: dict[str, Any], *, replayed: bool = False) -> "WafeqManualJournal":
        lines = row.get("line_items") if isinstance(row.get("line_items"), list) else []
        return cls(
            id=wire_id(row["id"]),
            reference=str(row.get("reference") or ""),
            external_id=str(row.get("external_id") or ""),
            date=_date(row.get("date")),
            line_items=tuple(
                WafeqJournalLine.from_wire(line) for line in lines or [] if isinstance(line, dict)
            ),
            attachments=_attachment_ids(row.get("attachments")),
            replayed=replayed,
        )


# --- Wafeq → ledger -----------------------------------------------------------------------


def chart_from(accounts: Iterable[WafeqAccount]) -> list[ChartAccount]:
    """Wafeq's whole chart in the ledger's words, each account with its parent's id.

    `receive_payments` carries `is_payment_enabled` (the Source Account picker offers only
    those: Wafeq refuses any other `paid_through_account`). Wafeq has no archived flag; an
    account that is not `is_posting` takes no entries, so it is mirrored as not `active`:
    no picker offers it, and one that has sub-accounts is a heading by the ledger's own rule
    as well. `is_system` stays on `WafeqAccount` (nothing of ours depends on it)."""
    accounts = list(accounts)
    known = {account.id for account in accounts}
    return [
        ChartAccount(
            external_id=account.id,
            code=account.code,
            name_en=account.name_en,
            name_ar=account.name_ar,
            type=account.classification,
            group_type=account.sub_classification,
            active=account.is_posting,
            receive_payments=account.is_payment_enabled,
            parent_external_id=account.parent if account.parent in known else None,
        )
        for account in accounts
    ]


def entry_ref_from_expense(expense: WafeqExpense) -> EntryRef:
    """The expense as the ledger's entry: a POSTED one needs the second call
    (`mark-as-draft`)."""
    return EntryRef(id=expense.id, status=expense.status, needs_draft_step=expense.status == POSTED)


def entry_ref_from_journal(manual_journal: WafeqManualJournal) -> EntryRef:
    return EntryRef(id=manual_journal.id, status=MANUAL_JOURNAL_STATUS)


def held_entry_from_expense(expense: WafeqExpense) -> HeldEntry:
    """An expense as balanced lines: the account debited (net of the tax Wafeq reports,
    which then is a debit line of its own, named by its tax rate), the paid-through account
    credited with the amount."""
    tax = expense.tax_amount or Decimal("0.00")
    lines = [HeldLine(expense.account, journal.DEBIT, expense.amount - tax)]
    if tax and expense.tax_rate:
        lines.append(HeldLine(expense.tax_rate, journal.DEBIT, tax))
    lines.append(HeldLine(expense.paid_through_account, journal.CREDIT, expense.amount))
    return HeldEntry(
        id=expense.id,
        reference=expense.external_id or expense.reference,
        date=expense.date,
        status=expense.status,
        lines=tuple(lines),
    )


def held_entry_from_journal(manual_journal: WafeqManualJournal) -> HeldEntry:
    """A manual journal's signed lines as debits and credits (in the base currency)."""
    lines = tuple(
        HeldLine(
            line.account,
            journal.DEBIT if line.amount_to_bcy > 0 else journal.CREDIT,
            abs(line.amount_to_bcy),
        )
        for line in manual_journal.line_items
        if line.amount_to_bcy
    )
    return HeldEntry(
        id=manual_journal.id,
        reference=manual_journal.external_id or manual_journal.reference,
        date=manual_journal.date,
        status=MANUAL_JOURNAL_STATUS,
        lines=lines,
    )


# --- ledger → Wafeq -----------------------------------------------------------------------


def _reference(draft: journal.JournalEntryDraft) -> str:
    if len(draft.reference) > EXTERNAL_ID_MAX:
        raise DraftNotExpressible(
            _("Our reference is longer than Wafeq keeps (%(max)s characters).")
            % {"max": EXTERNAL_ID_MAX}
        )
    return draft.reference


def _vat_folded(
    lines: Sequence[journal.JournalLine], vat_tax_rate: str | None
) -> tuple[journal.JournalLine, str | None]:
    """The side that carries the assigned account: its first line, and the tax rate when the
    draft books VAT (a second line on that side, which Wafeq computes from the rate)."""
    assigned, *vat_lines = lines
    if vat_lines and not vat_tax_rate:
        raise DraftNotExpressible(
            _(
                "The entry books VAT, and Wafeq needs an input VAT tax rate for it: choose one "
                "on the configuration page, then retry."
            )
        )
    return assigned, vat_tax_rate if vat_lines else None


def expense_body(
    draft: journal.JournalEntryDraft,
    *,
    vat_tax_rate: str | None = None,
    attachments: Sequence[str] = (),
) -> dict[str, Any]:
    """A debit draft as a DRAFT Wafeq expense (SPEC §3b).

    The draft's shape (`accounting.journal.journal_entry_for`): debit the assigned account,
    optionally debit VAT, credit the Source Account with the amount A. The expense is
    `account` (the assigned one) paid through `paid_through_account` (the Source Account)
    with `amount` A. VAT booked (a second debit line) becomes `tax_rate` = `vat_tax_rate`
    (the organization's input VAT tax rate) with A tax-inclusive: Wafeq splits the VAT out
    itself. A draft without a VAT line carries no tax rate, whatever is configured.

    `status` is read-only in Wafeq's schema (it decides, and we mark a POSTED answer as a
    draft); we send DRAFT anyway, as what we mean."""
    if len(draft.credit_lines) != 1:
        raise DraftNotExpressible(_("A Wafeq expense is paid through exactly one account."))
    assigned, tax_rate = _vat_folded(draft.debit_lines, vat_tax_rate)
    (source,) = draft.credit_lines
    description = draft.description
    if assigned.memo and not attachments:  # the receipt links, where no file travels
        description = f"{description} · {assigned.memo}" if description else assigned.memo
    body: dict[str, Any] = {
        "account": assigned.account,
        "paid_through_account": source.account,
        "amount": wire_amount(source.amount),
        "currency": draft.currency,
        "date": draft.date.isoformat(),
        "description": description or draft.reference,
        "reference": draft.reference,
        "external_id": _reference(draft),
        "tax_amount_type": TAX_INCLUSIVE,
        "status": DRAFT,
    }
    if tax_rate:
        body["tax_rate"] = tax_rate
    if attachments:
        body["attachments"] = list(attachments)
    return body


def manual_journal_body(
    draft: journal.JournalEntryDraft,
    *,
    base_currency: str,
    vat_tax_rate: str | None = None,
    attachments: Sequence[str] = (),
) -> dict[str, Any]:
    """A credit draft (refund, money received) as a Wafeq manual journal, which Wafeq posts
    at once (its API has no draft journal): signed lines, `amount` positive for a debit and
    negative for a credit, `amount_to_bcy` the same in the base currency; balanced.

    VAT booked (a second credit line, as `journal_entry_for` mirrors a debit) folds into the
    assigned line as for an expense: its gross amount with `tax_rate`, tax-inclusive.
    Entries are in the organization's currency, which is Wafeq's base currency (connect
    refuses another), so `amount_to_bcy` is `amount`; another currency would need Wafeq's
    exchange rate, which we do not guess."""
    if draft.currency.upper() != base_currency.upper():
        raise DraftNotExpressible(
            _(
                "The entry is in %(currency)s and the Wafeq books in %(base)s: a manual "
                "journal needs the amount in the base currency."
            )
            % {"currency": draft.currency, "base": base_currency}
        )
    assigned, tax_rate = _vat_folded(draft.credit_lines, vat_tax_rate)
    gross = draft.total_credit

    def line(account: str, amount: Decimal, memo: str, tax: str | None = None) -> dict[str, Any]:
        item: dict[str, Any] = {
            "account": account,
            "description": memo or draft.description or draft.reference,
            "amount": wire_amount(amount),
            "amount_to_bcy": wire_amount(amount),
            "currency": draft.currency,
        }
        if tax:
            item["tax_rate"] = tax
        return item

    debits = [line(each.account, each.amount, each.memo) for each in draft.debit_lines]
    if tax_rate:
        credits = [line(assigned.account, -gross, assigned.memo, tax_rate)]
    else:
        credits = [line(each.account, -each.amount, each.memo) for each in draft.credit_lines]
    items = [*debits, *credits]
    if sum(Decimal(item["amount"]) for item in items) != 0:
        raise DraftNotExpressible(_("The manual journal's lines do not sum to zero."))
    body: dict[str, Any] = {
        "date": draft.date.isoformat(),
        "reference": draft.reference,
        "external_id": _reference(draft),
        "notes": draft.description,
        "line_items": items,
    }
    if tax_rate:
        body["tax_amount_type"] = TAX_INCLUSIVE
    if attachments:
        body["attachments"] = list(attachments)
    return body
