"""The Odoo client at the HTTP layer (respx): the JSON-RPC envelope, every error Odoo (or its
proxy) answers with and what it becomes, retries, and what must never be logged."""

import datetime
import json
import logging
from decimal import Decimal

import httpx
import pytest
import respx

from accounting.journal import CREDIT, DEBIT, JournalEntryDraft, JournalLine
from accounting.providers import (
    AttachmentsUnsupported,
    AuthRefused,
    RateLimited,
    Rejected,
    Unavailable,
)
from integrations.providers.odoo.client import OdooClient
from integrations.providers.odoo.errors import (
    OdooAccessError,
    OdooAuthError,
    OdooError,
    OdooNotAnOdoo,
    OdooRateLimited,
    OdooTooLarge,
    OdooUnavailable,
    OdooValidationError,
)
from integrations.providers.odoo.payloads import OdooVersion, odoo_move, to_number
from integrations.providers.odoo.provider import OdooProvider, OdooSession
from integrations.providers.odoo.ratelimit import bucket_for_instance, limiter_for_instance

URL = "https://acme.odoo.com"
KEY = "0123456789abcdef-odoo-secret-key"


def ok(result, request_id=1):
    return httpx.Response(200, json={"jsonrpc": "2.0", "id": request_id, "result": result})


def odoo_error(name, message):
    """Odoo's JSON-RPC error envelope: HTTP 200, the exception's class in `data.name`."""
    return httpx.Response(
        200,
        json={
            "jsonrpc": "2.0",
            "id": 1,
            "error": {
                "code": 200,
                "message": "Odoo Server Error",
                "data": {
                    "name": name,
                    "debug": "Traceback (most recent call last):\n  File ...",
                    "message": message,
                    "arguments": [message],
                    "context": {},
                },
            },
        },
    )


def calls(mock):
    return [json.loads(call.request.content)["params"] for call in mock.calls]


@pytest.fixture
def odoo():
    with respx.mock(base_url=URL, assert_all_called=False) as mock:
        yield mock


@pytest.fixture
def client():
    with OdooClient(URL, database="acme", username="bot@acme.sa", api_key=KEY) as odoo_client:
        odoo_client.forget_uid()
        yield odoo_client


def test_every_call_is_one_json_rpc_envelope_posted_to_jsonrpc(odoo, client):
    route = odoo.post("/jsonrpc").mock(side_effect=[ok(7), ok([{"id": 1, "code": "111001"}])])
    rows = client.search_read("account.account", [["code", "=", "111001"]], ["id", "code"])
    assert rows == [{"id": 1, "code": "111001"}]
    first, second = (json.loads(call.request.content) for call in route.calls)
    assert first["jsonrpc"] == "2.0" and first["method"] == "call"
    assert first["params"] == {
        "service": "common",
        "method": "authenticate",
        "args": ["acme", "bot@acme.sa", KEY, {}],
    }
    assert second["params"]["service"] == "object" and second["params"]["method"] == "execute_kw"
    assert second["params"]["args"][:6] == [
        "acme",
        7,
        KEY,
        "account.account",
        "search_read",
        [[["code", "=", "111001"]]],
    ]
    assert second["params"]["args"][6]["fields"] == ["id", "code"]
    assert first["id"] != second["id"]
    request = route.calls.last.request
    assert request.headers["content-type"] == "application/json"
    assert request.headers["user-agent"].startswith("SiFi-Accounting-Sync")


def test_the_uid_is_remembered_between_sessions_of_the_same_login_and_key(odoo):
    OdooClient(URL, database="acme", username="bot@acme.sa", api_key=KEY).forget_uid()
    route = odoo.post("/jsonrpc").mock(side_effect=[ok(7), ok(3), ok(3)])
    for _ in range(2):
        with OdooClient(URL, database="acme", username="bot@acme.sa", api_key=KEY) as odoo_client:
            odoo_client.search_count("account.account", [])
    assert [p["method"] for p in calls(odoo)] == ["authenticate", "execute_kw", "execute_kw"]
    assert route.call_count == 3
    OdooClient(URL, database="acme", username="bot@acme.sa", api_key=KEY).forget_uid()


def test_authenticate_false_is_a_refused_login_and_key(odoo, client):
    odoo.post("/jsonrpc").mock(return_value=ok(False))
    with pytest.raises(OdooAuthError) as refused:
        client.authenticate()
    assert isinstance(refused.value, AuthRefused) and refused.value.field == "api_key"
    assert "Odoo refused this login and API key" in refused.value.message


@pytest.mark.parametrize(
    ("name", "error_class", "neutral"),
    [
        ("odoo.exceptions.AccessDenied", OdooAuthError, AuthRefused),
        ("odoo.exceptions.AccessError", OdooAccessError, AuthRefused),
        ("odoo.exceptions.UserError", OdooValidationError, Rejected),
        ("odoo.exceptions.ValidationError", OdooValidationError, Rejected),
        ("odoo.exceptions.MissingError", OdooValidationError, Rejected),
    ],
)
def test_odoos_exceptions_become_the_neutral_errors_the_engine_branches_on(
    odoo, client, name, error_class, neutral
):
    odoo.post("/jsonrpc").mock(side_effect=[ok(7), odoo_error(name, "The entry is not balanced.")])
    with pytest.raises(error_class) as raised:
        client.create("account.move", {"ref": "X"})
    assert isinstance(raised.value, neutral) and not raised.value.retryable
    assert raised.value.name == name
    if neutral is Rejected:
        assert raised.value.message == "Odoo refused it: The entry is not balanced."
    assert "Traceback" not in raised.value.raw_body  # kept for support, without the trace
    assert odoo.calls.call_count == 2  # never sent again


def test_a_missing_database_says_so_on_the_database_field(odoo, client):
    odoo.post("/jsonrpc").mock(
        return_value=odoo_error(
            "psycopg2.OperationalError",
            'connection to server failed: FATAL:  database "acme" does not exist',
        )
    )
    with pytest.raises(OdooAuthError) as refused:
        client.authenticate()
    assert refused.value.field == "database"


def test_an_unknown_server_exception_is_an_odoo_error_with_its_message(odoo, client):
    odoo.post("/jsonrpc").mock(
        side_effect=[ok(7), odoo_error("builtins.ValueError", "Invalid field 'active'")]
    )
    with pytest.raises(OdooError) as failed:
        client.search_read("account.account", [], ["active"])
    assert type(failed.value) is OdooError and "Invalid field 'active'" in failed.value.message


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_server_errors_are_retried_for_reads(odoo, client, status):
    odoo.post("/jsonrpc").mock(side_effect=[ok(7), httpx.Response(status), ok(42)])
    assert client.search_count("account.move", []) == 42


@pytest.mark.parametrize(
    "failure",
    [
        httpx.Response(502, text="<h1>502 Bad Gateway</h1>"),
        httpx.ReadTimeout("timed out"),
        httpx.ConnectError("refused"),
        httpx.RemoteProtocolError("dropped"),
    ],
)
def test_a_write_with_an_unknown_outcome_is_never_sent_again(odoo, client, failure):
    route = odoo.post("/jsonrpc").mock(side_effect=[ok(7), failure, ok(99)])
    with pytest.raises(OdooUnavailable) as failed:
        client.create("account.move", {"ref": "X"})
    assert isinstance(failed.value, Unavailable) and failed.value.retryable
    assert route.call_count == 2


def test_reads_give_up_after_the_bounded_retries(odoo, client):
    route = odoo.post("/jsonrpc").mock(side_effect=[ok(7)] + [httpx.ReadTimeout("slow")] * 10)
    with pytest.raises(OdooUnavailable, match="did not answer in time"):
        client.search_count("account.move", [])
    assert route.call_count == 1 + 4  # authenticate, then 1 try + 3 retries


def test_a_413_is_a_too_large_refusal(odoo, client):
    odoo.post("/jsonrpc").mock(
        side_effect=[ok(7), httpx.Response(413, text="<h1>Request Entity Too Large</h1>")]
    )
    with pytest.raises(OdooTooLarge) as refused:
        client.create("ir.attachment", {"datas": "AAAA"})
    assert isinstance(refused.value, Rejected) and refused.value.status_code == 413


def test_a_429_is_waited_out_as_told_even_for_writes(odoo, client):
    route = odoo.post("/jsonrpc").mock(
        side_effect=[ok(7), httpx.Response(429, headers={"Retry-After": "0"}), ok(5)]
    )
    assert client.create("account.move", {"ref": "X"}) == 5
    assert route.call_count == 3


def test_a_429_that_does_not_stop_is_rate_limited_with_the_wait(odoo, client):
    odoo.post("/jsonrpc").mock(
        side_effect=[ok(7)] + [httpx.Response(429, headers={"Retry-After": "0"})] * 5
    )
    with pytest.raises(OdooRateLimited) as limited:
        client.create("account.move", {"ref": "X"})
    assert isinstance(limited.value, RateLimited) and limited.value.retry_after == 0


def test_redirects_are_not_followed_and_the_key_stays_home(odoo, client):
    odoo.post("/jsonrpc").mock(
        return_value=httpx.Response(301, headers={"Location": "https://evil.example/jsonrpc"})
    )
    with pytest.raises(OdooNotAnOdoo) as refused:
        client.version()
    assert "https://evil.example/jsonrpc" in refused.value.message
    assert odoo.calls.call_count == 1
    assert all("evil.example" not in str(call.request.url) for call in odoo.calls)


@pytest.mark.parametrize(
    "answer",
    [
        httpx.Response(404, text="<h1>Not Found</h1>"),
        httpx.Response(200, json={"hello": "world"}),
        odoo_error("werkzeug.exceptions.NotFound", "404: Not Found"),
    ],
)
def test_an_address_that_is_not_odoos_external_api_says_so(odoo, client, answer):
    odoo.post("/jsonrpc").mock(return_value=answer)
    with pytest.raises(OdooNotAnOdoo) as refused:
        client.version()
    assert refused.value.field == "url"


def test_an_html_page_instead_of_json_is_unavailable(odoo, client):
    odoo.post("/jsonrpc").mock(return_value=httpx.Response(200, text="<html>maintenance</html>"))
    with pytest.raises(OdooUnavailable, match="not JSON"):
        client.version()


@pytest.mark.parametrize(
    ("answer", "major", "supported"),
    [
        ({"server_version": "17.0", "server_serie": "17.0"}, 17, True),
        ({"server_version": "saas~17.4+e", "server_serie": "saas~17.4"}, 17, True),
        ({"server_version_info": [18, 0, 0, "final", 0, ""]}, 18, True),
        ({"server_serie": "15.0"}, 15, False),
    ],
)
def test_the_version_is_read_from_common_version(answer, major, supported):
    version = OdooVersion.from_wire(answer)
    assert (version.major, version.supported) == (major, supported)


@pytest.mark.parametrize(
    ("serie", "fields", "company_field"),
    [
        ("16.0", {"deprecated"}, "company_id"),
        ("17.0", {"deprecated"}, "company_id"),
        ("18.0", {"deprecated"}, "company_ids"),
        ("19.0", {"active"}, "company_ids"),
    ],
)
def test_the_chart_is_read_with_the_fields_of_each_version(odoo, serie, fields, company_field):
    """16/17: `deprecated`, `company_id`; 18: accounts shared by companies (`company_ids`,
    codes per company in context); 19: `active` instead of `deprecated`."""
    account = {"id": 5, "code": "521001", "name": "Marketing", "account_type": "expense"}
    account |= {"group_id": False, "internal_group": "expense"}
    account |= {"active": False} if "active" in fields else {"deprecated": True}
    odoo.post("/jsonrpc").mock(
        side_effect=[ok({"server_serie": serie}), ok(7), ok([account]), ok([]), ok([])]
    )
    client = OdooClient(URL, database="acme", username="bot@acme.sa", api_key=KEY)
    client.forget_uid()
    with OdooSession(client, company_id=3) as session:
        [chart] = session.read_chart()
    assert (chart.external_id, chart.active) == ("5", False)
    read = calls(odoo)[2]["args"]
    assert read[3:5] == ["account.account", "search_read"]
    assert read[5] == [[[company_field, "in", [3]]]]
    assert fields <= set(read[6]["fields"])
    assert read[6]["context"]["allowed_company_ids"] == [3]
    if serie == "19.0":
        assert read[6]["context"]["active_test"] is False


def test_a_draft_becomes_one_move_with_all_its_lines_in_one_create(odoo):
    draft = JournalEntryDraft(
        reference="SIFI-TXN-1",
        date=datetime.date(2025, 3, 10),
        description="Card expense · Jarir Bookstore",
        currency="SAR",
        lines=(
            JournalLine("1026", DEBIT, Decimal("100.10"), "Receipts: https://x/receipts/t/"),
            JournalLine("1007", DEBIT, Decimal("15.02")),
            JournalLine("1001", CREDIT, Decimal("115.12")),
        ),
    )
    odoo.post("/jsonrpc").mock(side_effect=[ok(7), ok(31)])
    client = OdooClient(URL, database="acme", username="bot@acme.sa", api_key=KEY)
    client.forget_uid()
    with OdooSession(client, company_id=3, journal_id=9) as session:
        created = session.create_draft_entry(draft)
    assert (created.id, created.status) == ("31", "draft")
    create = calls(odoo)[1]["args"]
    assert create[3:5] == ["account.move", "create"]
    [values] = create[5]
    assert values == odoo_move(draft, journal_id=9)
    assert values["move_type"] == "entry" and values["ref"] == "SIFI-TXN-1"
    assert values["journal_id"] == 9 and values["date"] == "2025-03-10"
    assert "state" not in values  # Odoo creates drafts; we never post
    assert [line[:2] for line in values["line_ids"]] == [[0, 0]] * 3
    # Our ids are strings; Odoo's wire takes its integers.
    assert [line[2]["account_id"] for line in values["line_ids"]] == [1026, 1007, 1001]
    amounts = [(line[2]["debit"], line[2]["credit"]) for line in values["line_ids"]]
    assert amounts == [(100.1, 0.0), (15.02, 0.0), (0.0, 115.12)]
    assert "Receipts: https://x/receipts/t/" in values["line_ids"][0][2]["name"]
    assert create[6]["context"] == {"allowed_company_ids": [3]}


def test_amounts_leave_as_numbers_that_read_back_as_the_same_decimal():
    for text in ("0.01", "0.10", "115.12", "999999999.99", "123456789012.34"):
        assert Decimal(repr(to_number(Decimal(text)))) == Decimal(text)


def test_a_receipt_is_an_attachment_sent_as_is(odoo):
    odoo.post("/jsonrpc").mock(side_effect=[ok(7), ok(12)])
    client = OdooClient(URL, database="acme", username="bot@acme.sa", api_key=KEY)
    client.forget_uid()
    with OdooSession(client, company_id=3) as session:
        attached = session.attach_document(
            "31", filename="r.jpg", content=b"\xff\xd8jpeg", content_type="image/jpeg"
        )
    assert attached.id == "12"
    args = calls(odoo)[1]["args"]
    assert args[3:5] == ["ir.attachment", "create"]
    assert args[5] == [
        {
            "name": "r.jpg",
            "datas": "/9hqcGVn",
            "res_model": "account.move",
            "res_id": 31,
            "mimetype": "image/jpeg",
        }
    ]
    assert args[6]["context"] == {"allowed_company_ids": [3], "image_no_postprocess": True}


def test_a_user_without_the_right_to_attach_files_means_no_attachments(odoo):
    odoo.post("/jsonrpc").mock(
        side_effect=[ok(7), odoo_error("odoo.exceptions.AccessError", "not allowed")]
    )
    client = OdooClient(URL, database="acme", username="bot@acme.sa", api_key=KEY)
    client.forget_uid()
    with OdooSession(client, company_id=3) as session, pytest.raises(AttachmentsUnsupported):
        session.attach_document(
            "31", filename="r.pdf", content=b"%PDF", content_type="application/pdf"
        )


def test_the_key_and_the_files_are_never_logged(odoo, caplog):
    caplog.set_level(logging.DEBUG)
    odoo.post("/jsonrpc").mock(
        side_effect=[ok(7), ok(12), odoo_error("odoo.exceptions.AccessDenied", "Access Denied")]
    )
    session = OdooProvider().open_session(
        {
            "url": URL,
            "database": "acme",
            "username": "bot@acme.sa",
            "api_key": KEY,
            "company_id": "3",
        }
    )
    session.client.forget_uid()
    with session:
        session.attach_document(
            "31", filename="r.pdf", content=b"%PDF-secret", content_type="application/pdf"
        )
        with pytest.raises(AuthRefused):
            session.find_entry(reference="R", date=datetime.date(2025, 1, 1))
    assert "ir.attachment.create -> 200" in caplog.text
    assert KEY not in caplog.text and "secret" not in caplog.text
    assert "JVBERi1zZWNyZXQ" not in caplog.text  # the file, base64


def test_the_request_limit_is_one_per_instance_from_the_setting(settings):
    settings.ODOO_RATE_LIMIT_PER_SECOND = 7
    one = limiter_for_instance("https://acme.odoo.com")
    assert (one.limit, one.period_ms) == (7, 1000)
    bucket = bucket_for_instance("https://acme.odoo.com")
    assert bucket == bucket_for_instance("https://ACME.odoo.com/")  # same instance
    assert bucket != bucket_for_instance("https://other.odoo.com")
    assert "acme" not in bucket  # a digest of the address


# --- closed periods (issue 26) ------------------------------------------------------------------


def test_a_refusal_naming_the_lock_date_is_period_closed_with_its_day(odoo, client):
    from accounting.providers import PeriodClosed
    from integrations.providers.odoo.errors import OdooPeriodClosed

    odoo.post("/jsonrpc").mock(
        side_effect=[
            ok(7),
            odoo_error(
                "odoo.exceptions.UserError",
                "You cannot add/modify entries prior to and inclusive of the lock date 10/31/2026.",
            ),
        ]
    )
    with pytest.raises(OdooPeriodClosed) as caught:
        client.create("account.move", {"move_type": "entry"})
    assert isinstance(caught.value, PeriodClosed) and isinstance(caught.value, Rejected)
    assert caught.value.closed_until == datetime.date(2026, 10, 31)


def test_the_lock_date_is_the_latest_of_the_companys_lock_dates_in_one_read(odoo):
    import integrations.providers.odoo.provider as odoo_provider

    odoo_provider._lock_fields_by_url.clear()
    route = odoo.post("/jsonrpc").mock(
        side_effect=[
            ok(7),
            ok([{"id": 3, "period_lock_date": "2026-10-31", "fiscalyear_lock_date": "2025-12-31"}]),
        ]
    )
    client = OdooClient(URL, database="acme", username="bot@acme.sa", api_key=KEY)
    client.forget_uid()
    with OdooSession(client, company_id=3) as session:
        assert session.read_lock_date() == datetime.date(2026, 10, 31)
    read = calls(odoo)[1]["args"]
    assert read[3:5] == ["res.company", "read"]
    assert read[6]["fields"] == ["period_lock_date", "fiscalyear_lock_date"]
    assert route.call_count == 2  # the sign-in, then one read


def test_an_odoo_without_16s_lock_fields_is_read_with_18s_then_once(odoo):
    import integrations.providers.odoo.provider as odoo_provider

    odoo_provider._lock_fields_by_url.clear()
    odoo.post("/jsonrpc").mock(
        side_effect=[
            ok(7),
            odoo_error("builtins.ValueError", "Invalid field 'period_lock_date' on 'res.company'"),
            ok([{"id": 3, "fiscalyear_lock_date": False, "hard_lock_date": "2026-06-30"}]),
            ok([{"id": 3, "fiscalyear_lock_date": False, "hard_lock_date": False}]),
        ]
    )
    client = OdooClient(URL, database="acme", username="bot@acme.sa", api_key=KEY)
    client.forget_uid()
    with OdooSession(client, company_id=3) as session:
        assert session.read_lock_date() == datetime.date(2026, 6, 30)
        assert session.read_lock_date() is None  # remembered: one read, the open books
    assert calls(odoo)[3]["args"][6]["fields"] == ["fiscalyear_lock_date", "hard_lock_date"]
