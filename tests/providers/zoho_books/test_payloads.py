"""Zoho Books' shapes in the ledger's words and back: the chart, the draft journal's body and
the journals Zoho holds."""

import datetime
import json
from decimal import Decimal
from typing import Any

import pytest

from accounting.journal import CREDIT, DEBIT, JournalEntryDraft, JournalLine
from accounting.providers import ChartAccount, EntryRef, HeldEntry, HeldLine
from integrations.providers.zoho_books.payloads import (
    chart_account_from,
    chart_from,
    entry_ref_from,
    held_entry_from,
    to_wire_amount,
    zoho_journal,
)

EXPENSE = "460000000000361"
VAT = "460000000000370"
WALLET = "460000000000388"


def draft() -> JournalEntryDraft:
    return JournalEntryDraft(
        reference="SIFI-TX-000123",
        date=datetime.date(2025, 3, 2),
        description="Jarir Bookstore · card •••• 4242 · Sara",
        currency="SAR",
        lines=(
            JournalLine(EXPENSE, DEBIT, Decimal("100.00"), memo="Office supplies"),
            JournalLine(VAT, DEBIT, Decimal("15.00"), memo="Input VAT 15%"),
            JournalLine(WALLET, CREDIT, Decimal("115.00")),
        ),
    )


# --- the chart ----------------------------------------------------------------------------------


def test_an_account_keeps_zohos_id_as_a_string_and_its_state():
    account = chart_account_from(
        {
            "account_id": "460000000038079",
            "account_name": "Petty Cash",
            "account_code": "1010",
            "account_type": "cash",
            "is_active": False,
            "parent_account_id": "460000000038001",
        }
    )
    assert account == ChartAccount(
        external_id="460000000038079",
        code="1010",
        name_en="Petty Cash",
        name_ar="",
        type="cash",
        group_type="asset",
        active=False,
        receive_payments=True,
        parent_external_id="460000000038001",
    )


def test_accounts_without_a_code_keep_an_empty_code_and_numbers_become_strings():
    account = chart_account_from(
        {
            "account_id": 460000000038080,
            "account_name": "Travel",
            "account_code": None,
            "account_type": "expense",
            "is_active": True,
            "parent_account_id": "",
        }
    )
    assert (account.external_id, account.code, account.parent_external_id) == (
        "460000000038080",
        "",
        None,
    )
    assert (account.group_type, account.receive_payments, account.active) == (
        "expense",
        False,
        True,
    )


def test_a_name_written_in_arabic_is_the_arabic_name():
    account = chart_account_from(
        {"account_id": "1", "account_name": "مصروفات السفر", "account_type": "expense"}
    )
    assert account.name_ar == "مصروفات السفر" and account.name_en == "مصروفات السفر"
    assert account.active  # a row that does not say is active


def test_the_chart_keeps_inactive_accounts_and_each_account_once():
    rows: list[dict[str, Any]] = [
        {"account_id": "1", "account_name": "Cash", "account_type": "cash", "is_active": True},
        {"account_id": "2", "account_name": "Old bank", "account_type": "bank", "is_active": False},
        {"account_id": "1", "account_name": "Cash", "account_type": "cash", "is_active": True},
        {"account_name": "no id"},
        {"account_id": "3", "account_name": "Something new", "account_type": "crypto_wallet"},
    ]
    chart = chart_from(rows)
    assert [(a.external_id, a.active) for a in chart] == [("1", True), ("2", False), ("3", True)]
    assert chart[2].group_type == ""  # a type Zoho added later: no class, nothing guessed


# --- the journal body ---------------------------------------------------------------------------


def test_the_journal_body_is_a_balanced_draft_that_carries_our_reference():
    body = zoho_journal(draft())
    assert body["status"] == "draft"
    assert body["reference_number"] == "SIFI-TX-000123"
    assert body["journal_date"] == "2025-03-02"
    assert body["notes"] == "Jarir Bookstore · card •••• 4242 · Sara"
    assert "currency_id" not in body  # the organization's base currency
    assert body["line_items"] == [
        {
            "account_id": EXPENSE,
            "debit_or_credit": "debit",
            "amount": "100.00",
            "description": "Office supplies",
        },
        {
            "account_id": VAT,
            "debit_or_credit": "debit",
            "amount": "15.00",
            "description": "Input VAT 15%",
        },
        {
            "account_id": WALLET,
            "debit_or_credit": "credit",
            "amount": "115.00",
            "description": "Jarir Bookstore · card •••• 4242 · Sara",
        },
    ]
    debits = sum(
        Decimal(i["amount"]) for i in body["line_items"] if i["debit_or_credit"] == "debit"
    )
    credits = sum(
        Decimal(i["amount"]) for i in body["line_items"] if i["debit_or_credit"] == "credit"
    )
    assert debits == credits == Decimal("115.00")


def test_amounts_travel_as_strings_of_two_places_never_floats():
    encoded = json.dumps(zoho_journal(draft()))
    assert '"amount": "100.00"' in encoded
    assert not any(isinstance(i["amount"], float) for i in zoho_journal(draft())["line_items"])
    assert to_wire_amount(Decimal("7")) == "7.00"
    assert to_wire_amount(Decimal("1234567.5")) == "1234567.50"


# --- journals Zoho holds ------------------------------------------------------------------------


def test_a_zoho_journal_is_the_entry_the_books_hold():
    journal = {
        "journal_id": 460000000038001,
        "reference_number": "SIFI-TX-000123",
        "journal_date": "2025-03-02",
        "status": "draft",
        "line_items": [
            {"account_id": EXPENSE, "debit_or_credit": "debit", "amount": 100},
            {"account_id": VAT, "debit_or_credit": "debit", "amount": "15.0"},
            {"account_id": WALLET, "debit_or_credit": "credit", "amount": 115.0},
            {"account_id": "", "debit_or_credit": "debit", "amount": 1},
        ],
    }
    held = held_entry_from(journal)
    assert held == HeldEntry(
        id="460000000038001",
        reference="SIFI-TX-000123",
        date=datetime.date(2025, 3, 2),
        status="draft",
        lines=(
            HeldLine(EXPENSE, "debit", Decimal("100.00")),
            HeldLine(VAT, "debit", Decimal("15.00")),
            HeldLine(WALLET, "credit", Decimal("115.00")),
        ),
    )
    assert held.total_debit == Decimal("115.00")
    assert entry_ref_from(journal) == EntryRef(id="460000000038001", status="draft")


@pytest.mark.parametrize("reference", [None, ""])
def test_a_list_row_has_no_status_nor_lines_and_maybe_no_reference(reference):
    held = held_entry_from(
        {"journal_id": "7", "journal_date": "bad", "reference_number": reference}
    )
    assert (held.reference, held.date, held.status, held.lines) == ("", None, "", ())
