"""How a verified transaction becomes a journal entry, in the ledger's words (SPEC §4, §5).

`JournalEntryDraft` is provider-neutral and balanced by construction: any number of lines,
each on one side, in Decimal with 2 places; debits equal credits or it cannot be built. Each
provider package turns it into its own wire format.
"""

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

from accounting.models import Account, Direction, Transaction, VatEvidence, VatReclaim

CENT = Decimal("0.01")
# Saudi VAT's standard rate: what reverse charge books on a foreign service's amount.
REVERSE_CHARGE_RATE = Decimal("0.15")
DEBIT: Literal["debit"] = "debit"
CREDIT: Literal["credit"] = "credit"


@dataclass(frozen=True)
class JournalLine:
    """One line: `account` is the provider's id of the account (`Account.external_id`);
    `tax` the provider's id of the tax a VAT line is booked with, for books that book VAT
    through tax codes (a journal line's tax id in those books; "": none)."""

    account: str
    side: Literal["debit", "credit"]
    amount: Decimal
    memo: str = ""
    tax: str = ""


@dataclass(frozen=True)
class JournalEntryDraft:
    """A balanced entry to create as a draft in the organization's books.

    `reference` is ours (the SiFi transaction reference): providers store it where they keep
    references, and we look entries up by it. `description` is what a bookkeeper reads.
    """

    reference: str
    date: datetime.date
    description: str
    currency: str
    lines: tuple[JournalLine, ...]
    # Which way the money went: "debit" (out of the wallet: the assigned account is debited)
    # or "credit" (a refund, money received: it is credited). Books with a different object
    # for each way (an expense, a journal) choose by it.
    direction: Literal["debit", "credit"] = DEBIT
    # What the entry books of VAT, for the VAT report (stored with the lines when it syncs):
    # input VAT reclaimed on its own line, and reverse-charge VAT (None: not reverse-charged).
    vat_reclaimed: Decimal = Decimal("0.00")
    reverse_charge_vat: Decimal | None = None

    def __post_init__(self) -> None:
        if not self.debit_lines or not self.credit_lines:
            raise ValueError("A journal entry needs at least one debit and one credit line.")
        for line in self.lines:
            if line.side not in (DEBIT, CREDIT):
                raise ValueError(f"A line is a debit or a credit, not {line.side!r}.")
            if line.amount <= 0 or line.amount != line.amount.quantize(CENT):
                raise ValueError(f"Line amounts are positive with 2 places, not {line.amount}.")
        if self.total_debit != self.total_credit:
            raise ValueError(
                f"Unbalanced journal entry: debits {self.total_debit} ≠ credits {self.total_credit}"
            )

    @property
    def debit_lines(self) -> tuple[JournalLine, ...]:
        return tuple(line for line in self.lines if line.side == DEBIT)

    @property
    def credit_lines(self) -> tuple[JournalLine, ...]:
        return tuple(line for line in self.lines if line.side == CREDIT)

    @property
    def total_debit(self) -> Decimal:
        return sum((line.amount for line in self.debit_lines), Decimal("0.00"))

    @property
    def total_credit(self) -> Decimal:
        return sum((line.amount for line in self.credit_lines), Decimal("0.00"))


def describe(txn: Transaction) -> str:
    """What a bookkeeper reads: type, merchant, employee, budget, the foreign amount of a
    payment abroad ("USD 100.00"), description."""
    foreign = (
        f"{txn.original_currency} {txn.original_amount:.2f}"
        if txn.original_amount is not None
        else ""
    )
    parts = [
        txn.get_type_display(),
        txn.merchant,
        txn.employee.name if txn.employee else "",
        txn.budget.name if txn.budget else "",
        foreign,
        txn.description,
    ]
    return " · ".join(str(part) for part in parts if part)


def unbacked_vat_reason(txn: Transaction) -> str:
    """Why a transaction's VAT is not backed by a tax invoice, for the entry's description
    (the bookkeeper's language: English, like the rest of the description)."""
    invoice = txn.vat_invoice or {}
    if txn.vat_evidence == VatEvidence.MISMATCH:
        if invoice and not invoice.get("vat_number_valid", True):
            return f"the tax invoice's VAT number {invoice.get('vat_number', '')} is not valid"
        return (
            f"the tax invoice shows total {invoice.get('total', '?')}, "
            f"VAT {invoice.get('vat', '?')}"
        )
    if txn.vat_evidence == VatEvidence.FOREIGN:
        return f"paid in {txn.original_currency}, no Saudi input VAT"
    if txn.vat_evidence == VatEvidence.PENDING:
        return "the receipt was not read yet"
    return "no tax invoice QR code on the receipt"


def reclaimable_vat(txn: Transaction, *, vat_reclaim: str = VatReclaim.AS_REPORTED) -> Decimal:
    """The VAT booked as input VAT: what SiFi reports, or under "reclaim only backed VAT"
    only when the receipt's tax invoice backs it (0: the VAT stays in the expense)."""
    vat = txn.vat_amount or Decimal("0.00")
    if vat_reclaim == VatReclaim.BACKED_ONLY and txn.vat_evidence != VatEvidence.BACKED:
        return Decimal("0.00")
    return vat


class ReverseChargeUnconfigured(ValueError):
    """A transaction to reverse-charge, in books with no Output VAT account chosen."""


class ReverseChargeUnsupported(ValueError):
    """A transaction to reverse-charge, in books that cannot take it (`books_reverse_charge`)."""


def reverse_charge_vat(txn: Transaction) -> Decimal:
    """Reverse-charge VAT on a foreign service: 15 % of the amount paid (no Saudi VAT was
    charged on it), rounded half up to the halala."""
    return (txn.amount * REVERSE_CHARGE_RATE).quantize(CENT, rounding=ROUND_HALF_UP)


def journal_entry_for(
    txn: Transaction,
    *,
    source_account: Account,
    input_vat_account: Account | None = None,
    receipt_links: Sequence[str] = (),
    input_vat: str | None = None,
    vat_reclaim: str = VatReclaim.AS_REPORTED,
    reverse_charge: bool = False,
    output_vat: str | None = None,
    input_vat_tax: str | None = None,
    output_vat_tax: str | None = None,
) -> JournalEntryDraft:
    """Balanced lines, sides by direction (SPEC §4, §5).

    A debit transaction of amount A with VAT V, when the organization reclaims VAT (an Input
    VAT account is set): debit the assigned account A - V, debit Input VAT V, credit the
    Source Account A. A credit transaction (refund, transfer in, cash in) mirrors it. Without
    VAT, or without an Input VAT account (not VAT-registered: booked gross): the assigned
    account against the Source Account, A each. Receipt links ride on the assigned line.

    `input_vat` names the VAT line by the provider's id instead of an account of ours: an
    account's external id, or, for books that take VAT as a tax rate, the tax rate's id
    (`BooksConnection.input_vat`); it wins over `input_vat_account`.

    `vat_reclaim` "backed_only": VAT that the receipt's tax invoice does not back is booked
    gross, and the description says so and why (issue 27).

    `reverse_charge` (a foreign service: its merchant or a matching rule is ticked, issue 27):
    the assigned account takes the whole amount (no Saudi VAT was charged: what SiFi reports
    as VAT is not reclaimed), and VAT at 15 % of it is booked twice on lines of their own:
    output VAT on `output_vat` (the Output VAT account's external id) on the source side,
    input VAT on the VAT line on the assigned side; the description says "reverse charge".
    Without an input VAT line (not VAT-registered) nothing is reverse-charged; without
    `output_vat` it cannot be booked (`ReverseChargeUnconfigured`).

    `input_vat_tax` and `output_vat_tax`: the provider's tax codes the input and output VAT
    lines are booked with (`JournalLine.tax`), for books that book VAT through them.
    """
    assert txn.account is not None
    links = " ".join(receipt_links)
    memo = f"Receipts: {links}"[:250] if links else ""
    debit = txn.direction == Direction.DEBIT
    assigned_side, source_side = (DEBIT, CREDIT) if debit else (CREDIT, DEBIT)
    if input_vat is None and input_vat_account is not None:
        input_vat = input_vat_account.external_id
    if reverse_charge and input_vat:
        return _reverse_charged(
            txn,
            input_vat=input_vat,
            output_vat=output_vat,
            source_account=source_account,
            memo=memo,
            input_vat_tax=input_vat_tax or "",
            output_vat_tax=output_vat_tax or "",
        )
    reclaimable = reclaimable_vat(txn, vat_reclaim=vat_reclaim)
    vat = reclaimable if input_vat else Decimal("0.00")
    description = describe(txn)
    if input_vat and txn.vat_amount and not reclaimable:
        description += (
            f" · VAT {txn.vat_amount:.2f} booked gross (not reclaimed): {unbacked_vat_reason(txn)}"
        )
    lines = [JournalLine(txn.account.external_id, assigned_side, txn.amount - vat, memo)]
    if vat:
        assert input_vat
        lines.append(JournalLine(input_vat, assigned_side, vat, tax=input_vat_tax or ""))
    lines.append(JournalLine(source_account.external_id, source_side, txn.amount))
    return JournalEntryDraft(
        reference=txn.reference,
        date=txn.transaction_date,
        description=description,
        currency=txn.currency,
        lines=tuple(sorted(lines, key=lambda line: line.side != DEBIT)),
        direction=DEBIT if debit else CREDIT,
        vat_reclaimed=vat,
    )


def _reverse_charged(
    txn: Transaction,
    *,
    input_vat: str,
    output_vat: str | None,
    source_account: Account,
    memo: str,
    input_vat_tax: str = "",
    output_vat_tax: str = "",
) -> JournalEntryDraft:
    """The reverse-charge entry of `journal_entry_for`: four lines, balanced (a refund
    mirrors every side)."""
    if not output_vat:
        raise ReverseChargeUnconfigured(
            "This transaction is a foreign service to reverse-charge, and no Output VAT "
            "account is chosen: pick one in the integration's configuration, then retry."
        )
    assert txn.account is not None
    debit = txn.direction == Direction.DEBIT
    assigned_side, source_side = (DEBIT, CREDIT) if debit else (CREDIT, DEBIT)
    vat = reverse_charge_vat(txn)
    lines = [JournalLine(txn.account.external_id, assigned_side, txn.amount, memo)]
    if vat:
        lines += [
            JournalLine(input_vat, assigned_side, vat, tax=input_vat_tax),
            JournalLine(output_vat, source_side, vat, tax=output_vat_tax),
        ]
    lines.append(JournalLine(source_account.external_id, source_side, txn.amount))
    return JournalEntryDraft(
        reference=txn.reference,
        date=txn.transaction_date,
        description=f"{describe(txn)} · reverse charge: VAT 15% {vat:.2f} (output and input)",
        currency=txn.currency,
        lines=tuple(sorted(lines, key=lambda line: line.side != DEBIT)),
        direction=DEBIT if debit else CREDIT,
        reverse_charge_vat=vat,
    )


def lines_snapshot(draft: JournalEntryDraft) -> list[dict[str, str]]:
    """The draft's lines as stored with the transaction (what reconciliation compares)."""
    return [
        {"account": line.account, "side": line.side, "amount": f"{line.amount:.2f}"}
        for line in draft.lines
    ]
