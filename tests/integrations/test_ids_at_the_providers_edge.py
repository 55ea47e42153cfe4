"""Qoyod's and Odoo's ids are integers on their wire and strings in the ledger (issue 22): each
provider converts at its edge, orders its own ids as the numbers they are ("999" is older
than "1000"), and never sends an id that cannot be its own (another provider's "acc_9f2",
Odoo's heading "group-10")."""

import datetime
import json
from decimal import Decimal

import httpx
import pytest
import respx

from accounting.journal import CREDIT, DEBIT, JournalEntryDraft, JournalLine
from accounting.providers import Rejected
from integrations.providers.odoo.client import OdooClient
from integrations.providers.odoo.provider import OdooProvider, OdooSession
from integrations.providers.qoyod import QoyodClient
from integrations.providers.qoyod.provider import QoyodProvider, QoyodSession
from tests.integrations.qoyod_payloads import QOYOD

DAY = datetime.date(2025, 3, 10)
ODOO = "https://acme.odoo.com"


def draft(debit_account: str) -> JournalEntryDraft:
    return JournalEntryDraft(
        reference="SIFI-TXN-1",
        date=DAY,
        description="Card expense",
        currency="SAR",
        lines=(
            JournalLine(debit_account, DEBIT, Decimal("100.00")),
            JournalLine("1003", CREDIT, Decimal("100.00")),
        ),
    )


@pytest.fixture
def qoyod():
    with respx.mock(base_url=QOYOD, assert_all_called=False) as mock:
        yield mock


@pytest.fixture
def qoyod_session():
    with QoyodSession(QoyodClient("qoyod-edge-key", base_url=QOYOD, max_retries=0)) as session:
        yield session


def entry_row(entry_id: int, reference: str = "SIFI-TXN-1") -> dict:
    return {
        "id": entry_id,
        "date": DAY.isoformat(),
        "description": f"[{reference}] Card expense",
        "status": "Draft",
        "debit_amounts": [{"account_id": 1038, "amount": "100.00"}],
        "credit_amounts": [{"account_id": 1003, "amount": "100.00"}],
    }


def test_qoyod_finds_the_numerically_oldest_of_several_entries(qoyod, qoyod_session):
    qoyod.get("/journal_entries").respond(
        200, json={"journal_entries": [entry_row(1000), entry_row(999)]}
    )
    found = qoyod_session.find_entry(reference="SIFI-TXN-1", date=DAY)
    assert found is not None and found.id == "999"  # as text, "1000" would come first


def test_qoyod_lists_entries_oldest_first_as_numbers_with_string_ids(qoyod, qoyod_session):
    qoyod.get("/journal_entries").respond(
        200, json={"journal_entries": [entry_row(1000, "B"), entry_row(12, "C"), entry_row(999)]}
    )
    held = qoyod_session.list_entries(date_from=DAY, date_to=DAY)
    assert [entry.id for entry in held] == ["12", "999", "1000"]
    assert {line.account for line in held[0].lines} == {"1038", "1003"}


def test_qoyod_asks_only_for_ids_that_can_be_its_own(qoyod, qoyod_session):
    qoyod.get("/journal_entries/7").respond(200, json={"journal_entry": entry_row(7)})
    held = qoyod_session.get_entries(["7", "acc_9f2", "exp_1"])
    assert held["7"] is not None and held["7"].id == "7"
    assert (held["acc_9f2"], held["exp_1"]) == (None, None)
    assert [call.request.url.path for call in qoyod.calls] == ["/2.0/journal_entries/7"]


def test_qoyod_sends_integers_and_refuses_an_account_that_cannot_be_its_own(qoyod, qoyod_session):
    route = qoyod.post("/journal_entries").respond(
        201, json={"journal_entry": {"id": 901, "status": "Draft"}}
    )
    created = qoyod_session.create_draft_entry(draft("1038"))
    assert created.id == "901"
    sent = json.loads(route.calls.last.request.content)["journal_entry"]
    assert sent["debit_amounts"][0]["account_id"] == 1038
    assert sent["credit_amounts"][0]["account_id"] == 1003
    with pytest.raises(Rejected, match="acc_9f2 is not a Qoyod id"):
        qoyod_session.create_draft_entry(draft("acc_9f2"))
    assert route.call_count == 1  # nothing sent for it


def test_qoyod_attachments_and_links_use_the_string_id(qoyod, qoyod_session, settings):
    qoyod.post("/journal_entries/901/attachments").respond(201, json={"attachment": {"id": 3}})
    attached = qoyod_session.attach_document(
        "901", filename="r.pdf", content=b"%PDF", content_type="application/pdf"
    )
    assert attached.id == "3"
    settings.QOYOD_ENTRY_URL = "https://www.qoyod.com/journal_entries/{id}"
    assert QoyodProvider().entry_url("901") == "https://www.qoyod.com/journal_entries/901"


# --- Odoo ------------------------------------------------------------------------------------


def ok(result):
    return httpx.Response(200, json={"jsonrpc": "2.0", "id": 1, "result": result})


@pytest.fixture
def odoo():
    with respx.mock(base_url=ODOO, assert_all_called=False) as mock:
        yield mock


@pytest.fixture
def odoo_session():
    client = OdooClient(ODOO, database="acme", username="bot@acme.sa", api_key="odoo-edge-key")
    client.forget_uid()
    with OdooSession(client, company_id=3, journal_id=9) as session:
        yield session


def rpc_args(mock):
    return [json.loads(call.request.content)["params"]["args"] for call in mock.calls]


def test_odoo_asks_only_for_ids_that_can_be_its_own_and_answers_strings(odoo, odoo_session):
    move = {"id": 31, "ref": "SIFI-TXN-1", "date": "2025-03-10", "state": "draft"}
    lines = [
        {"move_id": [31, "MISC/1"], "account_id": [1026, "521001"], "debit": 100.0, "credit": 0},
        {"move_id": [31, "MISC/1"], "account_id": [1001, "111001"], "debit": 0, "credit": 100.0},
    ]
    odoo.post("/jsonrpc").mock(side_effect=[ok(7), ok([move]), ok(lines)])
    held = odoo_session.get_entries(["31", "group-10", "acc_9f2"])
    assert (held["group-10"], held["acc_9f2"]) == (None, None)
    entry = held["31"]
    assert entry is not None and entry.id == "31"
    assert {(line.account, line.side) for line in entry.lines} == {
        ("1026", "debit"),
        ("1001", "credit"),
    }
    search = rpc_args(odoo)[1]
    assert search[3:5] == ["account.move", "search_read"] and search[5] == [[["id", "in", [31]]]]


def test_odoo_refuses_a_heading_as_an_entrys_account_without_a_call(odoo, odoo_session):
    route = odoo.post("/jsonrpc").mock(side_effect=[ok(7), ok(31)])
    with pytest.raises(Rejected, match="group-10 is not an Odoo account"):
        odoo_session.create_draft_entry(draft("group-10"))
    assert route.call_count == 0


def test_odoo_links_only_its_own_entry_ids():
    where = {"url": ODOO}
    assert OdooProvider().entry_url("31", credentials=where) == (
        f"{ODOO}/web#id=31&model=account.move&view_type=form"
    )
    assert OdooProvider().entry_url("exp_1", credentials=where) == ""
    assert OdooProvider().entry_url("31&model=res.users", credentials=where) == ""
