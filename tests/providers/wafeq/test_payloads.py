"""What we send Wafeq and how we read it back (objects.py, payloads.py): the draft expense
for spending, the signed manual journal for a credit, the chart, tax rates, and Wafeq's
objects in the ledger's words. Never a float on the wire."""

import datetime
import json
import uuid
from decimal import Decimal

import pytest

from accounting.journal import CREDIT, DEBIT, JournalEntryDraft, JournalLine
from accounting.providers import HeldLine, Rejected
from integrations.providers.wafeq.errors import DraftNotExpressible
from integrations.providers.wafeq.idempotency import (
    NAMESPACE,
    idempotency_key,
    is_valid_key,
    upload_key,
)
from integrations.providers.wafeq.objects import (
    WafeqAccount,
    WafeqExpense,
    WafeqManualJournal,
    WafeqTaxRate,
)
from integrations.providers.wafeq.payloads import (
    chart_from,
    entry_ref_from_expense,
    entry_ref_from_journal,
    expense_body,
    held_entry_from_expense,
    held_entry_from_journal,
    manual_journal_body,
)
from tests.providers.wafeq.conftest import account_row, expense_row, journal_row

DAY = datetime.date(2025, 3, 14)


def debit_draft(*, vat: str | None = None, memo: str = "") -> JournalEntryDraft:
    """As `journal_entry_for` builds a card payment of 115.00 (VAT 15.00 when booked)."""
    amount = Decimal("115.00")
    lines = [JournalLine("acc_travel", DEBIT, amount - Decimal(vat or "0"), memo)]
    if vat:
        lines.append(JournalLine("acc_vat", DEBIT, Decimal(vat)))
    lines.append(JournalLine("acc_wallet", CREDIT, amount))
    return JournalEntryDraft(
        "SIFI-TX-1", DAY, "Card payment · Jarir Bookstore", "SAR", tuple(lines)
    )


def credit_draft(*, vat: str | None = None) -> JournalEntryDraft:
    """A refund of 57.50 (VAT 7.50 when booked): the wallet debited, the account credited."""
    amount = Decimal("57.50")
    lines = [
        JournalLine("acc_wallet", DEBIT, amount),
        JournalLine("acc_travel", CREDIT, amount - Decimal(vat or "0")),
    ]
    if vat:
        lines.append(JournalLine("acc_vat", CREDIT, Decimal(vat)))
    return JournalEntryDraft("SIFI-TX-2", DAY, "Refund · Jarir Bookstore", "SAR", tuple(lines))


def no_floats(value) -> bool:
    if isinstance(value, dict):
        return all(no_floats(each) for each in value.values())
    if isinstance(value, list):
        return all(no_floats(each) for each in value)
    return not isinstance(value, float)


# --- the draft expense ---------------------------------------------------------------------


def test_a_card_payment_becomes_a_draft_expense_paid_through_the_source_account():
    body = expense_body(debit_draft(), attachments=["att_1", "att_2"])
    assert body == {
        "account": "acc_travel",
        "paid_through_account": "acc_wallet",
        "amount": "115.00",
        "currency": "SAR",
        "date": "2025-03-14",
        "description": "Card payment · Jarir Bookstore",
        "reference": "SIFI-TX-1",
        "external_id": "SIFI-TX-1",
        "tax_amount_type": "TAX_INCLUSIVE",
        "status": "DRAFT",
        "attachments": ["att_1", "att_2"],
    }
    assert no_floats(body)
    json.dumps(body)  # plain JSON


def test_booked_vat_is_the_input_vat_tax_rate_on_the_gross_amount():
    body = expense_body(debit_draft(vat="15.00"), vat_tax_rate="tax_std")
    assert body["amount"] == "115.00"  # A, tax-inclusive: Wafeq splits the 15.00 out
    assert body["tax_amount_type"] == "TAX_INCLUSIVE"
    assert body["tax_rate"] == "tax_std"
    assert body["account"] == "acc_travel"


def test_no_vat_booked_sends_no_tax_rate_whatever_is_configured():
    body = expense_body(debit_draft(), vat_tax_rate="tax_std")
    assert "tax_rate" not in body


def test_booked_vat_without_a_tax_rate_is_refused_before_anything_is_sent():
    with pytest.raises(DraftNotExpressible) as caught:
        expense_body(debit_draft(vat="15.00"))
    assert isinstance(caught.value, Rejected)
    assert "input VAT tax rate" in caught.value.message


def test_receipt_links_ride_in_the_description_only_when_no_file_travels():
    draft = debit_draft(memo="Receipts: https://sifi.test/r/1")
    assert expense_body(draft)["description"].endswith("Receipts: https://sifi.test/r/1")
    with_files = expense_body(draft, attachments=["att_1"])
    assert with_files["description"] == "Card payment · Jarir Bookstore"


def test_a_credit_draft_is_no_expense():
    with pytest.raises(DraftNotExpressible):
        expense_body(
            JournalEntryDraft(
                "SIFI-TX-3",
                DAY,
                "Split",
                "SAR",
                (
                    JournalLine("acc_travel", DEBIT, Decimal("10.00")),
                    JournalLine("acc_wallet", CREDIT, Decimal("6.00")),
                    JournalLine("acc_card", CREDIT, Decimal("4.00")),
                ),
            )
        )


# --- the manual journal --------------------------------------------------------------------


def test_a_refund_becomes_a_signed_balanced_manual_journal():
    body = manual_journal_body(credit_draft(), base_currency="SAR", attachments=["att_9"])
    assert body["external_id"] == body["reference"] == "SIFI-TX-2"
    assert body["date"] == "2025-03-14"
    assert body["attachments"] == ["att_9"]
    lines = body["line_items"]
    assert [(line["account"], line["amount"], line["amount_to_bcy"]) for line in lines] == [
        ("acc_wallet", "57.50", "57.50"),
        ("acc_travel", "-57.50", "-57.50"),
    ]
    assert {line["currency"] for line in lines} == {"SAR"}
    assert sum(Decimal(line["amount"]) for line in lines) == 0
    assert "tax_amount_type" not in body
    assert no_floats(body)


def test_a_refund_with_booked_vat_folds_it_into_the_assigned_line_with_the_rate():
    body = manual_journal_body(
        credit_draft(vat="7.50"), base_currency="SAR", vat_tax_rate="tax_std"
    )
    lines = body["line_items"]
    assert [(line["account"], line["amount"], line.get("tax_rate")) for line in lines] == [
        ("acc_wallet", "57.50", None),
        ("acc_travel", "-57.50", "tax_std"),
    ]
    assert body["tax_amount_type"] == "TAX_INCLUSIVE"
    assert sum(Decimal(line["amount_to_bcy"]) for line in lines) == 0


def test_a_journal_in_another_currency_than_the_books_is_refused():
    with pytest.raises(DraftNotExpressible) as caught:
        manual_journal_body(credit_draft(), base_currency="AED")
    assert "AED" in caught.value.message


# --- reading Wafeq -------------------------------------------------------------------------


def test_the_chart_keeps_string_ids_parents_and_wafeqs_flags():
    rows = [
        account_row("acc_exp", "6000", "Expenses", is_posting=False),
        account_row("acc_travel", "6100", "Travel", parent="acc_exp", name_ar="سفر"),
        account_row(
            "acc_wallet",
            "1150",
            "SiFi wallet",
            classification="ASSET",
            sub_classification="CASH_EQUIVALENTS",
            is_payment_enabled=True,
        ),
        account_row("acc_vat", "2300", "VAT", is_system=True, parent="acc_missing"),
    ]
    accounts = [WafeqAccount.from_wire(row) for row in rows]
    assert accounts[3].is_system is True
    chart = {account.external_id: account for account in chart_from(accounts)}
    assert chart["acc_travel"].parent_external_id == "acc_exp"
    assert chart["acc_travel"].name_ar == "سفر"
    assert chart["acc_exp"].active is False  # not posting: no picker offers it
    assert chart["acc_wallet"].receive_payments is True  # payment-enabled: a Source Account
    assert chart["acc_travel"].receive_payments is False
    assert chart["acc_wallet"].type == "ASSET"
    assert chart["acc_wallet"].group_type == "CASH_EQUIVALENTS"
    assert chart["acc_vat"].parent_external_id is None  # a parent not in the chart


def test_an_account_of_the_older_schema_without_is_posting_takes_entries():
    row = account_row("acc_old", "6200", "Fuel")
    del row["is_posting"]
    assert WafeqAccount.from_wire(row).is_posting is True


@pytest.mark.parametrize("rate, expected", [("15.00", "15.00"), (5, "5.00"), ("0", "0.00")])
def test_tax_rates_read_their_percentage_as_a_decimal(rate, expected):
    tax = WafeqTaxRate.from_wire({"id": "tax_1", "name_en": "VAT", "rate": rate})
    assert tax.rate == Decimal(expected)
    assert tax.name == "VAT"


def test_a_posted_expense_needs_the_draft_step_a_draft_does_not():
    posted = WafeqExpense.from_wire(expense_row(status="POSTED"))
    assert entry_ref_from_expense(posted).needs_draft_step is True
    draft = WafeqExpense.from_wire(expense_row(status="DRAFT"))
    ref = entry_ref_from_expense(draft)
    assert (ref.id, ref.status, ref.needs_draft_step) == ("exp_7Kq2", "DRAFT", False)


def test_a_manual_journal_is_posted_and_needs_no_second_call():
    ref = entry_ref_from_journal(WafeqManualJournal.from_wire(journal_row()))
    assert (ref.id, ref.status, ref.needs_draft_step) == ("jou_3Zp9", "POSTED", False)


def test_an_expense_as_the_books_hold_it_has_balanced_lines():
    expense = WafeqExpense.from_wire(
        expense_row(amount="115.00", tax_rate="tax_std", tax_amount="15.00", attachments=["att_1"])
    )
    held = held_entry_from_expense(expense)
    assert held.reference == "SIFI-TX-1"
    assert held.date == DAY
    assert held.lines == (
        HeldLine("acc_travel", DEBIT, Decimal("100.00")),
        HeldLine("tax_std", DEBIT, Decimal("15.00")),
        HeldLine("acc_wallet", CREDIT, Decimal("115.00")),
    )
    assert held.total_debit == Decimal("115.00")
    assert expense.attachments == ("att_1",)


def test_a_manual_journal_as_the_books_hold_it_reads_signs_as_sides():
    held = held_entry_from_journal(WafeqManualJournal.from_wire(journal_row()))
    assert held.reference == "SIFI-TX-2"
    assert held.lines == (
        HeldLine("acc_wallet", DEBIT, Decimal("50.00")),
        HeldLine("acc_travel", CREDIT, Decimal("50.00")),
    )


def test_expanded_objects_are_read_by_their_id():
    row = expense_row(account={"id": "acc_travel", "name_en": "Travel"}, attachments=[{"id": "a"}])
    expense = WafeqExpense.from_wire(row)
    assert expense.account == "acc_travel"
    assert expense.attachments == ("a",)


# --- idempotency keys ----------------------------------------------------------------------


def test_the_key_is_a_uuid5_of_the_organization_and_our_reference():
    key = idempotency_key(7, "SIFI-TX-1")
    assert key == str(uuid.uuid5(NAMESPACE, "7:SIFI-TX-1"))
    assert uuid.UUID(key).version == 5
    assert is_valid_key(key)


def test_the_same_entry_gets_the_same_key_and_another_entry_or_organization_another():
    assert idempotency_key("7", "SIFI-TX-1") == idempotency_key(7, "SIFI-TX-1")
    keys = {
        idempotency_key(7, "SIFI-TX-1"),
        idempotency_key(8, "SIFI-TX-1"),
        idempotency_key(7, "SIFI-TX-2"),
        idempotency_key(7, "SIFI-TX-1", "revision-2"),
        upload_key(7, "SIFI-TX-1", b"receipt"),
    }
    assert len(keys) == 5
    assert upload_key(7, "SIFI-TX-1", b"receipt") == upload_key(7, "SIFI-TX-1", b"receipt")


def test_a_key_needs_both_parts():
    with pytest.raises(ValueError):
        idempotency_key("", "SIFI-TX-1")
    with pytest.raises(ValueError):
        idempotency_key(7, "")


def test_only_a_canonical_uuid_is_a_valid_key():
    assert not is_valid_key("SIFI-TX-1")
    assert not is_valid_key("{" + str(uuid.uuid4()) + "}")
