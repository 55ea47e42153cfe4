"""Wafeq's objects as we read them (providers-api.md §3: the shapes of its OpenAPI document),
typed, and the wire's small rules: ids are strings already ("acc_…", "exp_…", "jou_…",
"tax_…", "att_…") and cross as they are; an id may come as an expanded object (`{"id": …}`);
amounts are read through `Decimal(str(value))`, never float arithmetic, and sent as strings
with 2 places (`wire_amount`: Wafeq's schema says "number", and its Django REST framework
fields read "115.00" as well)."""

import datetime
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

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
