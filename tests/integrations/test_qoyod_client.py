"""Unit tests of the Qoyod client against respx: every error class, retries, pagination.

No database: the client knows HTTP only. Backoff is shortened by the `fast_tests` fixture.
"""

import datetime
import email.utils
import json
import logging
from decimal import Decimal

import httpx
import pytest
import respx

from integrations.http_client import USER_AGENT
from integrations.providers.qoyod import (
    JournalEntryDraft,
    JournalEntryLine,
    QoyodAttachmentsUnsupported,
    QoyodAuthError,
    QoyodClient,
    QoyodError,
    QoyodNotFound,
    QoyodRateLimited,
    QoyodUnavailable,
    QoyodValidationError,
)
from tests.integrations.qoyod_payloads import QOYOD, account_row, accounts_body, small_chart

KEY = "qk_live_4f9c2a7e1b3d5f60"


@pytest.fixture
def qoyod():
    with respx.mock(base_url=QOYOD, assert_all_called=False) as mock:
        yield mock


@pytest.fixture
def client():
    with QoyodClient(KEY, base_url=QOYOD, max_retries=2) as c:
        yield c


@pytest.fixture
def no_sleep(monkeypatch):
    """Record the waits the client asks for instead of sleeping them."""
    waits: list[float] = []
    monkeypatch.setattr("integrations.http_client.time.sleep", waits.append)
    return waits


def draft(amount="115.00", reference="SIFI-TX-1"):
    return JournalEntryDraft(
        description=f"Card expense, Jarir Bookstore [{reference}]",
        date=datetime.date(2025, 3, 14),
        debit_lines=(JournalEntryLine(account_id=1038, amount=Decimal(amount)),),
        credit_lines=(JournalEntryLine(account_id=1003, amount=Decimal(amount)),),
    )


# --- the request we send -------------------------------------------------------------------


def test_requests_carry_the_key_header_user_agent_and_json(client, qoyod):
    route = qoyod.get("/accounts").respond(200, json=accounts_body(small_chart()))
    accounts = client.list_accounts()
    sent = route.calls.last.request
    assert sent.headers["API-KEY"] == KEY
    assert sent.headers["User-Agent"] == USER_AGENT
    assert sent.headers["Accept"] == "application/json"
    assert [a.code for a in accounts][:3] == ["1", "11", "1101"]
    assert accounts[2].receive_payments is True
    assert accounts[5].name_ar == "مصاريف تسويق"


def test_create_journal_entry_sends_a_balanced_draft_and_reads_back_status(client, qoyod):
    route = qoyod.post("/journal_entries").respond(
        201,
        json={
            "journal_entry": {
                "id": 901,
                "status": "Draft",
                "total_debit": "115.0",
                "total_credit": 115,
            }
        },
    )
    created = client.create_journal_entry(draft())
    sent = json.loads(route.calls.last.request.read())["journal_entry"]
    assert sent["status"] == "Draft"
    assert sent["debit_amounts"] == [{"account_id": 1038, "amount": "115.00"}]
    assert sent["credit_amounts"] == [{"account_id": 1003, "amount": "115.00"}]
    assert created.id == 901
    assert created.status == "Draft"
    assert created.total_debit == created.total_credit == Decimal("115.00")


def test_an_unbalanced_draft_cannot_even_be_built():
    with pytest.raises(ValueError, match="Unbalanced"):
        JournalEntryDraft(
            description="x",
            date=datetime.date(2025, 1, 1),
            debit_lines=(JournalEntryLine(account_id=1, amount=Decimal("10.00")),),
            credit_lines=(JournalEntryLine(account_id=2, amount=Decimal("9.99")),),
        )


# --- every error class -----------------------------------------------------------------------


@pytest.mark.parametrize("status", [401, 403])
def test_401_and_403_are_auth_errors_and_never_retried(client, qoyod, status):
    route = qoyod.get("/accounts").respond(status, json={"message": "Unauthorized"})
    with pytest.raises(QoyodAuthError) as caught:
        client.list_accounts()
    assert route.call_count == 1
    assert caught.value.status_code == status
    assert KEY not in caught.value.message


def test_404_on_an_object_is_not_found(client, qoyod):
    qoyod.get("/vendors").respond(404, json={"message": "Record not found"})
    with pytest.raises(QoyodNotFound):
        client.list_vendors()


def test_404_found_nothing_on_a_filtered_list_is_an_empty_list(client, qoyod):
    qoyod.get("/journal_entries").respond(404, json={"message": "found nothing"})
    assert client.find_journal_entry(reference="SIFI-TX-1", date=datetime.date(2025, 3, 14)) is None


def test_422_is_a_validation_error_with_qoyods_field_messages(client, qoyod):
    route = qoyod.post("/journal_entries").respond(
        422,
        json={"errors": {"date": ["is not a valid date"], "debit_amounts": "can't be blank"}},
    )
    with pytest.raises(QoyodValidationError) as caught:
        client.create_journal_entry(draft())
    error = caught.value
    assert route.call_count == 1
    assert error.field_errors == {
        "date": ["is not a valid date"],
        "debit_amounts": ["can't be blank"],
    }
    assert "date: is not a valid date" in error.message
    assert error.retryable is False


def test_400_with_a_list_of_messages_is_a_validation_error(client, qoyod):
    qoyod.post("/journal_entries").respond(400, json={"errors": ["Entry is not balanced"]})
    with pytest.raises(QoyodValidationError) as caught:
        client.create_journal_entry(draft())
    assert caught.value.errors == ["Entry is not balanced"]
    assert caught.value.status_code == 400


def test_429_with_retry_after_seconds_is_waited_out_then_succeeds(client, qoyod, no_sleep):
    route = qoyod.get("/accounts").mock(
        side_effect=[
            httpx.Response(429, headers={"Retry-After": "7"}, json={"message": "slow down"}),
            httpx.Response(200, json=accounts_body(small_chart())),
        ]
    )
    assert len(client.list_accounts()) == 8
    assert route.call_count == 2
    assert no_sleep == [7.0]


def test_429_with_retry_after_as_an_http_date(client, qoyod, no_sleep):
    later = datetime.datetime.now(datetime.UTC) + datetime.timedelta(seconds=30)
    qoyod.get("/accounts").mock(
        side_effect=[
            httpx.Response(429, headers={"Retry-After": email.utils.format_datetime(later)}),
            httpx.Response(200, json=accounts_body(small_chart())),
        ]
    )
    client.list_accounts()
    assert len(no_sleep) == 1
    assert 25 <= no_sleep[0] <= 30


def test_429_past_the_retry_budget_raises_rate_limited_with_the_wait(client, qoyod, no_sleep):
    route = qoyod.get("/accounts").respond(429, headers={"Retry-After": "3"})
    with pytest.raises(QoyodRateLimited) as caught:
        client.list_accounts()
    assert caught.value.retry_after == 3.0
    assert route.call_count == 3  # max_retries=2: one try and two retries
    assert no_sleep == [3.0, 3.0]


def test_a_write_is_retried_on_429_because_qoyod_did_not_process_it(client, qoyod, no_sleep):
    route = qoyod.post("/journal_entries").mock(
        side_effect=[
            httpx.Response(429, headers={"Retry-After": "1"}),
            httpx.Response(201, json={"journal_entry": {"id": 5, "status": "Draft"}}),
        ]
    )
    assert client.create_journal_entry(draft()).id == 5
    assert route.call_count == 2


@pytest.mark.parametrize("status", [500, 502, 503])
def test_reads_are_retried_on_5xx_with_growing_backoff(client, qoyod, no_sleep, status):
    route = qoyod.get("/accounts").mock(
        side_effect=[
            httpx.Response(status),
            httpx.Response(status),
            httpx.Response(200, json=accounts_body(small_chart())),
        ]
    )
    assert len(client.list_accounts()) == 8
    assert route.call_count == 3
    assert no_sleep[1] == 2 * no_sleep[0] > 0


def test_reads_give_up_after_the_retry_budget_with_unavailable(client, qoyod, no_sleep):
    route = qoyod.get("/accounts").respond(503, text="<html>maintenance</html>")
    with pytest.raises(QoyodUnavailable) as caught:
        client.list_accounts()
    assert route.call_count == 3
    assert caught.value.status_code == 503
    assert "HTTP 503" in caught.value.message


@pytest.mark.parametrize(
    "failure",
    [
        httpx.ReadTimeout("read timed out"),
        httpx.ConnectTimeout("connect timed out"),
        httpx.ConnectError("connection refused"),
        httpx.RemoteProtocolError("Server disconnected without sending a response."),
    ],
    ids=["read-timeout", "connect-timeout", "connect-error", "dropped"],
)
def test_network_failures_become_unavailable_and_reads_retry(client, qoyod, no_sleep, failure):
    route = qoyod.get("/accounts").mock(
        side_effect=[failure, httpx.Response(200, json=accounts_body(small_chart()))]
    )
    assert len(client.list_accounts()) == 8
    assert route.call_count == 2


@pytest.mark.parametrize(
    "outcome",
    [httpx.Response(500), httpx.ReadTimeout("timed out"), httpx.RemoteProtocolError("dropped")],
    ids=["500", "timeout", "dropped"],
)
def test_a_write_with_unknown_outcome_is_never_resent(client, qoyod, no_sleep, outcome):
    route = qoyod.post("/journal_entries").mock(side_effect=[outcome])
    with pytest.raises(QoyodUnavailable) as caught:
        client.create_journal_entry(draft())
    assert route.call_count == 1
    assert caught.value.retryable is True
    # No raw httpx error escapes: the cause chain is cut.
    assert caught.value.__cause__ is None


def test_redirects_are_never_followed(client, qoyod):
    elsewhere = respx.get("https://evil.example/accounts").respond(200, json={"accounts": []})
    qoyod.get("/accounts").respond(302, headers={"Location": "https://evil.example/accounts"})
    with pytest.raises(QoyodUnavailable, match="redirect"):
        client.list_accounts()
    assert elsewhere.call_count == 0


def test_an_answer_that_is_not_json_is_unavailable(client, qoyod, no_sleep):
    qoyod.get("/accounts").respond(200, text="<html>login</html>")
    with pytest.raises(QoyodUnavailable, match="not JSON"):
        client.list_accounts()


def test_a_created_entry_without_an_id_is_unavailable_not_success(client, qoyod):
    qoyod.post("/journal_entries").respond(201, json={"journal_entry": {"status": "Draft"}})
    with pytest.raises(QoyodUnavailable, match="did not return its id"):
        client.create_journal_entry(draft())


def test_an_unexpected_status_is_still_a_qoyod_error(client, qoyod):
    qoyod.get("/accounts").respond(418, text="teapot")
    with pytest.raises(QoyodError) as caught:
        client.list_accounts()
    assert caught.value.status_code == 418


# --- pagination --------------------------------------------------------------------------------


def test_pagination_follows_total_pages(client, qoyod):
    pages = {
        None: [account_row(1, "1", "Assets"), account_row(2, "11", "Cash")],
        "2": [account_row(3, "12", "Receivables")],
        "3": [account_row(4, "5", "Expenses")],
    }

    def answer(request):
        page = request.url.params.get("page")
        return httpx.Response(
            200,
            json={"accounts": pages[page], "pagination": {"total_pages": 3, "current_page": 1}},
        )

    route = qoyod.get("/accounts").mock(side_effect=answer)
    assert [a.id for a in client.list_accounts()] == [1, 2, 3, 4]
    assert route.call_count == 3


def test_pagination_accepts_camel_case_total_pages(client, qoyod):
    def answer(request):
        page = int(request.url.params.get("page", "1"))
        return httpx.Response(
            200,
            json={
                "accounts": [account_row(page, str(page), f"A{page}")],
                "pagination": {"totalPages": 2},
            },
        )

    qoyod.get("/accounts").mock(side_effect=answer)
    assert [a.id for a in client.list_accounts()] == [1, 2]


def test_pagination_stops_when_a_page_repeats_the_previous_one(client, qoyod):
    # A Qoyod list that ignores ?page= answers the same rows forever: no endless loop.
    route = qoyod.get("/accounts").respond(
        200, json={"accounts": [account_row(1, "1", "Assets")], "pagination": {"total_pages": 50}}
    )
    assert [a.id for a in client.list_accounts()] == [1]
    assert route.call_count == 2


def test_a_list_without_pagination_is_one_request(client, qoyod):
    route = qoyod.get("/accounts").respond(200, json=accounts_body(small_chart()))
    client.list_accounts()
    assert route.call_count == 1


# --- exactly-once lookup ------------------------------------------------------------------------


def test_find_journal_entry_matches_the_exact_reference_tag(client, qoyod):
    route = qoyod.get("/journal_entries").respond(
        200,
        json={
            "journal_entries": [
                {"id": 40, "date": "2025-03-14", "description": "Card expense [SIFI-TX-10]"},
                {"id": 41, "date": "2025-03-14", "description": "Card expense [SIFI-TX-1]"},
                {"id": 42, "date": "2025-03-14", "description": "Manual SIFI-TX-1 note"},
            ]
        },
    )
    found = client.find_journal_entry(reference="SIFI-TX-1", date=datetime.date(2025, 3, 14))
    assert found is not None and found.id == 41
    params = route.calls.last.request.url.params
    assert params["q[date_eq]"] == "2025-03-14"
    assert params["q[description_cont]"] == "SIFI-TX-1"


def test_find_journal_entry_returns_the_oldest_of_duplicates(client, qoyod):
    qoyod.get("/journal_entries").respond(
        200,
        json={
            "journal_entries": [
                {"id": 77, "description": "x [SIFI-TX-1]"},
                {"id": 12, "description": "x [SIFI-TX-1]"},
            ]
        },
    )
    found = client.find_journal_entry(reference="SIFI-TX-1", date=datetime.date(2025, 3, 14))
    assert found is not None and found.id == 12


# --- attachments ---------------------------------------------------------------------------------


def test_attach_document_uploads_multipart(client, qoyod):
    route = qoyod.post("/journal_entries/901/attachments").respond(
        201, json={"attachment": {"id": 3, "file_name": "receipt.pdf"}}
    )
    result = client.attach_document(
        901, filename="receipt.pdf", content=b"%PDF-1.4 ...", content_type="application/pdf"
    )
    assert result.id == 3
    sent = route.calls.last.request
    assert sent.headers["Content-Type"].startswith("multipart/form-data")
    assert b'filename="receipt.pdf"' in sent.read()


@pytest.mark.parametrize("status", [404, 405])
def test_attach_on_a_tenant_without_the_endpoint_is_unsupported(client, qoyod, status):
    qoyod.post("/journal_entries/901/attachments").respond(status, json={"message": "No route"})
    with pytest.raises(QoyodAttachmentsUnsupported):
        client.attach_document(901, filename="r.png", content=b"png", content_type="image/png")


def test_attach_failing_on_qoyods_side_is_unavailable_not_unsupported(client, qoyod):
    route = qoyod.post("/journal_entries/901/attachments").respond(500)
    with pytest.raises(QoyodUnavailable):
        client.attach_document(901, filename="r.png", content=b"png", content_type="image/png")
    assert route.call_count == 1


# --- secrets ------------------------------------------------------------------------------


def test_neither_the_key_nor_a_receipts_bytes_are_logged(client, qoyod, caplog, no_sleep):
    caplog.set_level(logging.DEBUG)
    secret_bytes = b"RECEIPT-CONTENT-7d1f"
    qoyod.get("/accounts").respond(200, json=accounts_body(small_chart()))
    qoyod.post("/journal_entries").respond(500)
    qoyod.post("/journal_entries/9/attachments").respond(201, json={"attachment": {"id": 1}})
    client.list_accounts()
    with pytest.raises(QoyodUnavailable):
        client.create_journal_entry(draft())
    client.attach_document(
        9, filename="r.pdf", content=secret_bytes, content_type="application/pdf"
    )
    assert caplog.records, "the client logs each request"
    assert KEY not in caplog.text
    assert secret_bytes.decode() not in caplog.text
    assert "qoyod GET /accounts -> 200" in caplog.text


def test_a_date_range_listing_reads_every_page_once_a_few_at_a_time(client, qoyod):
    def page(request):
        number = int(request.url.params.get("page", "1"))
        assert request.url.params["q[date_gteq]"] == "2025-03-01"
        assert request.url.params["q[date_lteq]"] == "2025-03-31"
        assert request.url.params["per_page"] == "100"
        rows = [{"id": number * 10 + i, "description": f"[R{number}-{i}]"} for i in range(2)]
        rows.append({"id": 11, "description": "[R1-1]"})  # a row repeated across pages
        return httpx.Response(
            200,
            json={"journal_entries": rows, "pagination": {"totalPages": 5, "currentPage": number}},
        )

    route = qoyod.get("/journal_entries").mock(side_effect=page)
    rows = client.list_journal_entries(
        date_from=datetime.date(2025, 3, 1), date_to=datetime.date(2025, 3, 31)
    )
    assert route.call_count == 5
    assert sorted(row["id"] for row in rows) == sorted(
        {n * 10 + i for n in range(1, 6) for i in range(2)} | {11}
    )


def test_entries_by_id_say_none_for_a_deleted_one(client, qoyod):
    entry = {"id": 7, "date": "2025-03-10"}
    qoyod.get("/journal_entries/7").respond(200, json={"journal_entry": entry})
    qoyod.get("/journal_entries/8").respond(404, json={"message": "Not Found"})
    assert client.get_journal_entries([7, 8]) == {7: entry, 8: None}


def test_a_closed_period_refusal_is_period_closed_with_the_day_it_names(client, qoyod):
    """Qoyod documents no closed-period refusal (qoyod-api.md): we assume a 422 on `date`
    saying it is closed, as the sandbox answers."""
    from accounting.providers import PeriodClosed
    from integrations.providers.qoyod.errors import QoyodPeriodClosed

    route = qoyod.post("/journal_entries").respond(
        422,
        json={"errors": {"date": ["is in a closed period: the books are closed up to 2026-10-31"]}},
    )
    with pytest.raises(QoyodPeriodClosed) as caught:
        client.create_journal_entry(draft())
    assert isinstance(caught.value, PeriodClosed) and isinstance(caught.value, QoyodValidationError)
    assert caught.value.closed_until == datetime.date(2026, 10, 31)
    assert route.call_count == 1


def test_a_date_refusal_that_is_not_about_closed_books_stays_a_validation_error(client, qoyod):
    from accounting.providers import PeriodClosed

    qoyod.post("/journal_entries").respond(422, json={"errors": {"date": ["is not a valid date"]}})
    with pytest.raises(QoyodValidationError) as caught:
        client.create_journal_entry(draft())
    assert not isinstance(caught.value, PeriodClosed)
