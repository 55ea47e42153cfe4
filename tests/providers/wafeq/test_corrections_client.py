"""Correcting a draft expense in Wafeq at the HTTP layer (respx): one PATCH of its accounts,
amount and tax (never its files, date or status), never resent after an unknown outcome; a
manual journal, posted at once, never sent; a refusal of a posted expense read as one."""

import datetime
import json
from decimal import Decimal

import httpx
import pytest

from accounting.journal import CREDIT, DEBIT, JournalEntryDraft, JournalLine
from accounting.providers import NotADraft
from integrations.providers.wafeq.errors import WafeqEntryPosted, WafeqRejected, WafeqUnavailable
from integrations.providers.wafeq.provider import WafeqSession
from tests.providers.wafeq.conftest import expense_row

DRAFT = JournalEntryDraft(
    reference="SIFI-TX-1",
    date=datetime.date(2025, 3, 15),
    description="Card expense · Careem",
    currency="SAR",
    lines=(
        JournalLine("acc_travel", DEBIT, Decimal("100.00"), "Receipts: https://x/r/"),
        JournalLine("tax_InputVat15", DEBIT, Decimal("15.00")),
        JournalLine("acc_wallet", CREDIT, Decimal("115.00")),
    ),
)


def test_a_draft_expense_is_corrected_with_one_patch_of_what_changes(client, wafeq):
    route = wafeq.patch("/expenses/exp_7Kq2/").mock(
        return_value=httpx.Response(200, json=expense_row(account="acc_travel"))
    )
    with WafeqSession(client) as session:
        updated = session.update_draft_entry("exp_7Kq2", DRAFT)
    assert updated.id == "exp_7Kq2"
    assert json.loads(route.calls.last.request.content) == {
        "account": "acc_travel",
        "paid_through_account": "acc_wallet",
        "amount": "115.00",
        "currency": "SAR",
        "tax_rate": "tax_InputVat15",
        "tax_amount_type": "TAX_INCLUSIVE",
    }


def test_an_update_whose_outcome_is_unknown_is_never_sent_again(client, wafeq, no_sleep):
    route = wafeq.patch("/expenses/exp_7Kq2/").mock(side_effect=[httpx.Response(502)])
    with pytest.raises(WafeqUnavailable):
        client.update_expense("exp_7Kq2", {"account": "acc_travel"})
    assert route.call_count == 1


def test_a_manual_journal_is_never_sent_an_update(client, wafeq):
    route = wafeq.patch("/manual-journals/jou_3Zp9/")
    with WafeqSession(client) as session, pytest.raises(WafeqEntryPosted) as refused:
        session.update_draft_entry("jou_3Zp9", DRAFT)
    assert isinstance(refused.value, NotADraft)
    assert route.call_count == 0


def test_a_refused_update_of_a_posted_expense_is_not_a_draft(client, wafeq):
    wafeq.patch("/expenses/exp_7Kq2/").mock(
        return_value=httpx.Response(400, json={"detail": "A posted expense cannot be edited."})
    )
    wafeq.get("/expenses/exp_7Kq2/").mock(
        return_value=httpx.Response(200, json=expense_row(status="POSTED"))
    )
    with WafeqSession(client) as session, pytest.raises(WafeqEntryPosted) as refused:
        session.update_draft_entry("exp_7Kq2", DRAFT)
    assert isinstance(refused.value, NotADraft) and "posted expense" in refused.value.message


def test_a_refused_update_of_a_draft_expense_is_the_refusal(client, wafeq):
    wafeq.patch("/expenses/exp_7Kq2/").mock(
        return_value=httpx.Response(400, json={"account": ["Not a posting account."]})
    )
    wafeq.get("/expenses/exp_7Kq2/").mock(
        return_value=httpx.Response(200, json=expense_row(status="DRAFT"))
    )
    with WafeqSession(client) as session, pytest.raises(WafeqRejected) as refused:
        session.update_draft_entry("exp_7Kq2", DRAFT)
    assert not isinstance(refused.value, NotADraft)
