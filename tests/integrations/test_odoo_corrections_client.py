"""Correcting a draft in Odoo at the HTTP layer (respx): one `write` on the move replacing its
lines, never resent after an unknown outcome; a refusal of a posted entry read as one."""

import datetime
import json
from decimal import Decimal

import httpx
import pytest
import respx

from accounting.journal import CREDIT, DEBIT, JournalEntryDraft, JournalLine
from accounting.providers import NotADraft, Unavailable
from integrations.providers.odoo.client import OdooClient
from integrations.providers.odoo.errors import (
    OdooEntryPosted,
    OdooUnavailable,
    OdooValidationError,
)
from integrations.providers.odoo.payloads import odoo_move_lines
from integrations.providers.odoo.provider import OdooSession
from tests.integrations.test_odoo_client import KEY, URL, calls, odoo_error, ok

DRAFT = JournalEntryDraft(
    reference="SIFI-TXN-1",
    date=datetime.date(2025, 3, 10),
    description="Card expense · Jarir Bookstore",
    currency="SAR",
    lines=(
        JournalLine("1022", DEBIT, Decimal("100.10")),
        JournalLine("1001", CREDIT, Decimal("100.10")),
    ),
)


@pytest.fixture
def odoo():
    with respx.mock(base_url=URL, assert_all_called=False) as mock:
        yield mock


@pytest.fixture
def client():
    with OdooClient(URL, database="acme", username="bot@acme.sa", api_key=KEY) as odoo_client:
        odoo_client.forget_uid()
        yield odoo_client


def test_write_is_one_execute_kw_with_the_ids_and_the_values(odoo, client):
    odoo.post("/jsonrpc").mock(side_effect=[ok(7), ok(True)])
    client.write("account.move", [31], {"narration": "x"}, context={"allowed_company_ids": [3]})
    args = calls(odoo)[1]["args"]
    assert args[3:6] == ["account.move", "write", [[31], {"narration": "x"}]]
    assert args[6] == {"context": {"allowed_company_ids": [3]}}


@pytest.mark.parametrize("failure", [httpx.Response(502), httpx.ReadTimeout("slow")])
def test_a_write_with_an_unknown_outcome_is_never_sent_again(odoo, client, failure):
    route = odoo.post("/jsonrpc").mock(side_effect=[ok(7), failure, ok(True)])
    with pytest.raises(OdooUnavailable) as failed:
        client.write("account.move", [31], {"narration": "x"})
    assert isinstance(failed.value, Unavailable)
    assert route.call_count == 2


def test_a_write_odoo_does_not_confirm_is_an_unknown_outcome(odoo, client):
    odoo.post("/jsonrpc").mock(side_effect=[ok(7), ok(None)])
    with pytest.raises(OdooUnavailable, match="did not confirm"):
        client.write("account.move", [31], {"narration": "x"})


def test_the_session_replaces_the_moves_lines_in_one_write(odoo, client):
    odoo.post("/jsonrpc").mock(side_effect=[ok(7), ok(True)])
    with OdooSession(client, company_id=3) as session:
        updated = session.update_draft_entry("31", DRAFT)
    assert (updated.id, updated.status) == ("31", "draft")
    args = calls(odoo)[1]["args"]
    assert args[3:5] == ["account.move", "write"]
    ids, values = args[5]
    assert ids == [31] and values == odoo_move_lines(DRAFT)
    assert values["line_ids"][0] == [5, 0, 0]  # the old lines go, in the same call
    assert [command[2]["account_id"] for command in values["line_ids"][1:]] == [1022, 1001]
    assert args[6]["context"]["allowed_company_ids"] == [3]


def test_a_refusal_of_a_move_odoo_holds_posted_is_not_a_draft(odoo, client):
    refusal = odoo_error("odoo.exceptions.UserError", "You cannot modify a posted entry.")
    odoo.post("/jsonrpc").mock(side_effect=[ok(7), refusal, ok([{"id": 31, "state": "posted"}])])
    with OdooSession(client, company_id=3) as session, pytest.raises(OdooEntryPosted) as refused:
        session.update_draft_entry("31", DRAFT)
    assert isinstance(refused.value, NotADraft)
    assert "posted entry" in refused.value.message
    assert calls(odoo)[2]["args"][3:5] == ["account.move", "search_read"]


def test_a_refusal_of_a_draft_is_the_refusal(odoo, client):
    refusal = odoo_error("odoo.exceptions.UserError", "The account 511099 is deprecated.")
    odoo.post("/jsonrpc").mock(side_effect=[ok(7), refusal, ok([{"id": 31, "state": "draft"}])])
    with (
        OdooSession(client, company_id=3) as session,
        pytest.raises(OdooValidationError) as refused,
    ):
        session.update_draft_entry("31", DRAFT)
    assert not isinstance(refused.value, NotADraft)
    assert json.dumps(refused.value.message).count("deprecated") == 1
