"""Typed shapes of what we read from and send to Qoyod (see shared/qoyod-api.md), and the
mapping between them and the ledger's neutral shapes (`chart_from`, `qoyod_draft`).

Qoyod's ids are integers on the wire; the ledger's are strings (their digits). The mapping
converts here and only here (`ledger_id`, `qoyod_id`)."""

import datetime
import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from accounting import journal
from accounting.providers import ChartAccount, HeldEntry, HeldLine
from integrations.providers.qoyod.errors import QoyodValidationError

# Qoyod keeps the SiFi reference in the entry's description (it has no reference field), in
# brackets and first, so `find_journal_entry` can match it exactly.
DESCRIPTION_MAX = 500
INACTIVE_STATUSES = ("inactive", "archived", "disabled")
REFERENCE_TAG = re.compile(r"^\[([^\]]+)\]")

CENT = Decimal("0.01")


def to_decimal(value: Any) -> Decimal:
    """Qoyod sends amounts as numbers or strings; we keep them exact (never float math)."""
    if value is None or value == "":
        return Decimal("0.00")
    try:
        return Decimal(str(value)).quantize(CENT)
    except InvalidOperation:
        return Decimal("0.00")


def _truthy(value: Any) -> bool:
    return str(value).strip().lower() in ("true", "1", "yes")


def ledger_id(wire_id: Any) -> str:
    """A Qoyod id (a JSON number, or its digits) as the ledger keeps it: "1038"."""
    return str(int(wire_id))


def is_qoyod_id(external_id: str) -> bool:
    """Whether a ledger id can be one of Qoyod's (digits): an organization that moved its
    books keeps the other provider's ids ("acc_9f2"), which Qoyod never holds."""
    return external_id.isascii() and external_id.isdecimal()


def qoyod_id(external_id: str) -> int:
    """A ledger id as Qoyod's wire wants it (an integer); one that cannot be Qoyod's is
    refused as Qoyod would refuse an unknown account."""
    if not is_qoyod_id(external_id):
        raise QoyodValidationError(
            f"{external_id} is not a Qoyod id: pick an account of the Qoyod chart.",
            status_code=None,
        )
    return int(external_id)


@dataclass(frozen=True)
class QoyodAccount:
    id: int
    code: str
    name_en: str
    name_ar: str
    type: str
    group_type: str
    status: str
    receive_payments: bool

    @classmethod
    def from_wire(cls, row: dict[str, Any]) -> "QoyodAccount":
        return cls(
            id=int(row["id"]),
            code=str(row.get("code") or ""),
            name_en=str(row.get("name_en") or ""),
            name_ar=str(row.get("name_ar") or ""),
            type=str(row.get("type") or ""),
            group_type=str(row.get("group_type") or ""),
            status=str(row.get("status") or "Active"),
            # Qoyod spells it "recieve_payments"; accept the correct spelling too.
            receive_payments=_truthy(row.get("recieve_payments", row.get("receive_payments"))),
        )


@dataclass(frozen=True)
class QoyodVendor:
    id: int
    name: str
    status: str
    tax_number: str
    email: str
    phone_number: str

    @classmethod
    def from_wire(cls, row: dict[str, Any]) -> "QoyodVendor":
        return cls(
            id=int(row["id"]),
            name=str(row.get("name") or ""),
            status=str(row.get("status") or "Active"),
            tax_number=str(row.get("tax_number") or ""),
            email=str(row.get("email") or ""),
            phone_number=str(row.get("phone_number") or ""),
        )


@dataclass(frozen=True)
class JournalEntryLine:
    account_id: int
    amount: Decimal
    comment: str = ""

    def to_wire(self) -> dict[str, Any]:
        line: dict[str, Any] = {
            "account_id": self.account_id,
            "amount": str(self.amount.quantize(CENT)),
        }
        if self.comment:
            line["comment"] = self.comment
        return line


@dataclass(frozen=True)
class JournalEntryDraft:
    """A journal entry to create as a draft. Debits must equal credits."""

    description: str
    date: datetime.date
    debit_lines: tuple[JournalEntryLine, ...]
    credit_lines: tuple[JournalEntryLine, ...]

    def __post_init__(self) -> None:
        if not self.debit_lines or not self.credit_lines:
            raise ValueError("A journal entry needs at least one debit and one credit line.")
        if any(line.amount <= 0 for line in (*self.debit_lines, *self.credit_lines)):
            raise ValueError("Journal entry amounts must be positive.")
        if self.total_debit != self.total_credit:
            raise ValueError(
                f"Unbalanced journal entry: debits {self.total_debit} ≠ credits {self.total_credit}"
            )

    @property
    def total_debit(self) -> Decimal:
        return sum((line.amount for line in self.debit_lines), Decimal("0.00"))

    @property
    def total_credit(self) -> Decimal:
        return sum((line.amount for line in self.credit_lines), Decimal("0.00"))

    def to_wire(self) -> dict[str, Any]:
        return {
            "journal_entry": {
                "description": self.description,
                "date": self.date.isoformat(),
                "status": "Draft",
                "debit_amounts": [line.to_wire() for line in self.debit_lines],
                "credit_amounts": [line.to_wire() for line in self.credit_lines],
            }
        }


@dataclass(frozen=True)
class CreatedJournalEntry:
    id: int
    status: str  # what Qoyod reported back; "" if it reported nothing
    total_debit: Decimal
    total_credit: Decimal


@dataclass(frozen=True)
class FoundJournalEntry:
    id: int
    date: str
    description: str
    status: str


@dataclass(frozen=True)
class AttachmentResult:
    id: int | None
    filename: str


# --- Qoyod ↔ ledger ------------------------------------------------------------------------


def parent_codes(codes: Sequence[str]) -> dict[str, str]:
    """Each code's parent: the longest other code that is a proper prefix of it (Qoyod has no
    parent field; its charts nest by code: 1 → 11 → 1101)."""
    known = set(codes)
    parents: dict[str, str] = {}
    for code in codes:
        for cut in range(len(code) - 1, 0, -1):
            if code[:cut] in known:
                parents[code] = code[:cut]
                break
    return parents


def chart_from(accounts: Sequence[QoyodAccount]) -> list[ChartAccount]:
    """Qoyod's chart in the ledger's words, each account with its parent's id."""
    by_code = {account.code: account for account in accounts}
    parents = parent_codes(list(by_code))
    return [
        ChartAccount(
            external_id=ledger_id(account.id),
            code=account.code,
            name_en=account.name_en,
            name_ar=account.name_ar,
            type=account.type,
            group_type=account.group_type,
            active=account.status.lower() not in INACTIVE_STATUSES,
            receive_payments=account.receive_payments,
            parent_external_id=ledger_id(by_code[parents[account.code]].id)
            if account.code in parents
            else None,
        )
        for account in accounts
    ]


def qoyod_draft(draft: journal.JournalEntryDraft) -> JournalEntryDraft:
    """The ledger's balanced draft as Qoyod's journal entry: our reference leads the
    description, each line's memo is its comment."""
    return JournalEntryDraft(
        description=f"[{draft.reference}] {draft.description}"[:DESCRIPTION_MAX],
        date=draft.date,
        debit_lines=tuple(
            JournalEntryLine(qoyod_id(line.account), line.amount, line.memo)
            for line in draft.debit_lines
        ),
        credit_lines=tuple(
            JournalEntryLine(qoyod_id(line.account), line.amount, line.memo)
            for line in draft.credit_lines
        ),
    )


def held_entry_from(row: dict[str, Any], *, no_status: str = "") -> HeldEntry:
    """An entry as Qoyod returns it (list or detail), in the ledger's words; our reference is
    the `[tag]` that leads its description."""
    tag = REFERENCE_TAG.match(str(row.get("description") or ""))
    try:
        date = datetime.date.fromisoformat(str(row.get("date") or ""))
    except ValueError:
        date = None
    lines = tuple(
        HeldLine(ledger_id(line["account_id"]), side, to_decimal(line.get("amount")))
        for side, key in (("debit", "debit_amounts"), ("credit", "credit_amounts"))
        for line in (row.get(key) or [])
        if isinstance(line, dict) and line.get("account_id") is not None
    )
    return HeldEntry(
        id=ledger_id(row["id"]),
        reference=tag.group(1) if tag else "",
        date=date,
        status=str(row.get("status") or no_status),
        lines=lines,
    )
