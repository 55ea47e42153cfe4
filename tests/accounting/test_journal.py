"""How a transaction becomes a balanced journal entry (SPEC §4, §5): every type, with and
without VAT, with and without an Input VAT account; sums exact to the halala."""

import datetime
from decimal import Decimal

import pytest

from accounting.journal import CREDIT, DEBIT, JournalEntryDraft, JournalLine, journal_entry_for
from accounting.models import Account, Transaction, TransactionType, direction_of

EXPENSE, WALLET, INPUT_VAT = "5201", "110101", "1104"


def account(external_id: str) -> Account:
    return Account(provider="qoyod", external_id=external_id, code=external_id)


def transaction(kind: str, amount: str, vat: str | None, **fields) -> Transaction:
    return Transaction(
        reference="SIFI-TXN-000001",
        type=kind,
        direction=direction_of(kind),
        amount=Decimal(amount),
        currency="SAR",
        vat_amount=Decimal(vat) if vat is not None else None,
        transaction_date=datetime.date(2025, 3, 10),
        account=account(EXPENSE),
        **fields,
    )


def sides(draft: JournalEntryDraft) -> set[tuple[str, str, Decimal]]:
    return {(line.account, line.side, line.amount) for line in draft.lines}


@pytest.mark.parametrize("kind", TransactionType.values)
@pytest.mark.parametrize("vat", [None, "0.00", "15.00", "14.99"])
@pytest.mark.parametrize("reclaims_vat", [True, False])
def test_every_type_books_balanced_lines_with_vat_only_when_it_is_reclaimed(
    kind, vat, reclaims_vat
):
    txn = transaction(kind, "115.00", vat)
    draft = journal_entry_for(
        txn,
        source_account=account(WALLET),
        input_vat_account=account(INPUT_VAT) if reclaims_vat else None,
    )
    assigned, other = (DEBIT, CREDIT) if txn.direction == "debit" else (CREDIT, DEBIT)
    split = reclaims_vat and vat not in (None, "0.00")
    if split:
        net = Decimal("115.00") - Decimal(vat)
        assert sides(draft) == {
            (EXPENSE, assigned, net),
            (INPUT_VAT, assigned, Decimal(vat)),
            (WALLET, other, Decimal("115.00")),
        }
    else:  # gross: not VAT-registered, or nothing to reclaim
        assert sides(draft) == {
            (EXPENSE, assigned, Decimal("115.00")),
            (WALLET, other, Decimal("115.00")),
        }
    assert draft.total_debit == draft.total_credit == Decimal("115.00")
    assert draft.reference == "SIFI-TXN-000001" and draft.date == datetime.date(2025, 3, 10)


@pytest.mark.parametrize("amount", ["0.01", "1.00", "99999999.99", "482.48", "1000.03"])
def test_saudi_receipt_vat_splits_to_the_halala(amount):
    """15 % VAT inside the amount, as Saudi receipts show it, rounded to the halala."""
    gross = Decimal(amount)
    vat = (gross * Decimal("0.15") / Decimal("1.15")).quantize(Decimal("0.01"))
    if vat == 0 or vat >= gross:
        vat = Decimal("0.00")
    txn = transaction("card_expense", amount, str(vat))
    draft = journal_entry_for(
        txn, source_account=account(WALLET), input_vat_account=account(INPUT_VAT)
    )
    assert draft.total_debit == draft.total_credit == gross
    assert all(line.amount == line.amount.quantize(Decimal("0.01")) for line in draft.lines)


def test_a_payment_abroad_carries_its_foreign_amount_in_the_description():
    txn = transaction(
        "card_expense",
        "375.40",
        None,
        merchant="Amazon Web Services",
        original_amount=Decimal("100.00"),
        original_currency="USD",
    )
    draft = journal_entry_for(txn, source_account=account(WALLET))
    assert draft.description == "Card expense · Amazon Web Services · USD 100.00"
    assert draft.currency == "SAR" and draft.total_debit == Decimal("375.40")


def test_receipt_links_ride_on_the_assigned_accounts_line():
    txn = transaction("card_refund", "50.00", "6.52")
    draft = journal_entry_for(
        txn,
        source_account=account(WALLET),
        input_vat_account=account(INPUT_VAT),
        receipt_links=["https://sifi.example/receipts/abc/"],
    )
    memos = {line.account: line.memo for line in draft.lines}
    assert memos[EXPENSE] == "Receipts: https://sifi.example/receipts/abc/"
    assert memos[INPUT_VAT] == memos[WALLET] == ""


@pytest.mark.parametrize(
    "lines",
    [
        (JournalLine("1", DEBIT, Decimal("10.00")), JournalLine("2", CREDIT, Decimal("9.99"))),
        (JournalLine("1", DEBIT, Decimal("10.00")),),
        (JournalLine("1", DEBIT, Decimal("0.00")), JournalLine("2", CREDIT, Decimal("0.00"))),
        (JournalLine("1", DEBIT, Decimal("1.005")), JournalLine("2", CREDIT, Decimal("1.005"))),
    ],
)
def test_an_unbalanced_or_malformed_entry_cannot_be_built(lines):
    with pytest.raises(ValueError):
        JournalEntryDraft(
            reference="R",
            date=datetime.date(2025, 1, 1),
            description="",
            currency="SAR",
            lines=lines,
        )
