"""The mapping between Wafeq's objects (`objects.py`) and the ledger's neutral shapes: the
chart (`chart_from`), a debit draft as a DRAFT expense (`expense_body`), a credit draft as a
signed manual journal (`manual_journal_body`), and Wafeq's entries as `EntryRef` /
`HeldEntry` (SPEC §3b). Nothing here is sent or read: the client does that."""

from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from accounting import journal
from accounting.providers import ChartAccount, EntryRef, HeldEntry, HeldLine
from integrations.providers.wafeq.errors import DraftNotExpressible
from integrations.providers.wafeq.objects import (
    DRAFT,
    EXTERNAL_ID_MAX,
    MANUAL_JOURNAL_STATUS,
    POSTED,
    TAX_INCLUSIVE,
    WafeqAccount,
    WafeqExpense,
    WafeqManualJournal,
    wire_amount,
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


# What a correction changes on a draft expense: the accounts, the amount and its VAT. Not the
# date, reference or description (the entry stays the one created), nor `attachments` (a PATCH
# replaces the whole list) or `status` (read-only).
EXPENSE_CHANGES = (
    "account",
    "paid_through_account",
    "amount",
    "currency",
    "tax_rate",
    "tax_amount_type",
)


def expense_changes(
    draft: journal.JournalEntryDraft, *, vat_tax_rate: str | None = None
) -> dict[str, Any]:
    """A debit draft as the body of the PATCH that corrects a draft expense
    (`expense_body`'s fields in `EXPENSE_CHANGES`; `tax_rate` null when the draft books no
    VAT)."""
    body = expense_body(draft, vat_tax_rate=vat_tax_rate)
    return {name: body.get(name) for name in EXPENSE_CHANGES}


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
