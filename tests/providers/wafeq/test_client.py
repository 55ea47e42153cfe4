"""The Wafeq client against respx: the key header, paging, every error mapping, the
idempotency key on every write (the same on a retry), lookups that check every row, the
multipart upload, and the key kept out of logs and error text.

No database: the client knows HTTP only."""

import datetime
import json
import logging
from decimal import Decimal

import httpx
import pytest

from accounting.providers import (
    AttachmentsUnsupported,
    AuthRefused,
    PeriodClosed,
    RateLimited,
    Rejected,
    Unavailable,
)
from integrations.providers.wafeq.client import IDEMPOTENCY_HEADER, REPLAYED_HEADER
from integrations.providers.wafeq.errors import (
    WafeqAttachmentsUnsupported,
    WafeqAuthError,
    WafeqBooksClosed,
    WafeqKeyConflict,
    WafeqNotFound,
    WafeqRateLimited,
    WafeqRejected,
    WafeqUnavailable,
)
from integrations.providers.wafeq.idempotency import idempotency_key
from tests.providers.wafeq.conftest import (
    API_KEY,
    WAFEQ,
    account_row,
    expense_row,
    journal_row,
    page,
)

KEY = idempotency_key("org-7", "SIFI-TX-1")
CLOSED = "Your books up to 2025-01-31 are closed. Contact your accountant to reopen them."


def expense_body():
    return {"account": "acc_travel", "paid_through_account": "acc_wallet", "amount": "115.00"}


def sent_keys(route):
    return [call.request.headers.get(IDEMPOTENCY_HEADER) for call in route.calls]


# --- the request we send -------------------------------------------------------------------


def test_requests_carry_the_api_key_header_and_read_the_base_currency(client, wafeq):
    route = wafeq.get("/organization/").respond(
        200,
        json={
            "id": "org_Q1",
            "name": {"en": "Wafeq Demo Co.", "ar": "شركة وافق"},
            "financial_settings": {"base_currency": "SAR", "country": "SA"},
        },
    )
    organization = client.organization()
    assert route.calls.last.request.headers["Authorization"] == f"Api-Key {API_KEY}"
    assert organization.base_currency == "SAR"
    assert organization.name_en == "Wafeq Demo Co."
    assert organization.id == "org_Q1"


# --- paging --------------------------------------------------------------------------------


def test_the_chart_is_read_page_by_page_until_next_is_null(client, wafeq):
    rows = [account_row(f"acc_{n}", str(6000 + n), f"Account {n}") for n in range(5)]
    pages = {"1": page(rows[:2], count=5, next_page=2), "2": page(rows[2:4], count=5, next_page=3)}
    pages["3"] = page(rows[4:], count=5)

    def answer(request):
        return httpx.Response(200, json=pages[request.url.params["page"]])

    route = wafeq.get("/accounts/").mock(side_effect=answer)
    accounts = client.accounts()
    assert [account.id for account in accounts] == [f"acc_{n}" for n in range(5)]
    assert [call.request.url.params["page"] for call in route.calls] == ["1", "2", "3"]
    assert {call.request.url.params["page_size"] for call in route.calls} == {"100"}
    # The next address is never followed (the key stays on the base URL).
    assert all(call.request.url.host == "wafeq.test" for call in route.calls)


def test_a_page_that_repeats_rows_keeps_each_once_and_the_count_ends_the_list(client, wafeq):
    rows = [account_row("acc_1", "6001", "Rent"), account_row("acc_2", "6002", "Fuel")]
    pages = {"1": page(rows, count=3, next_page=2), "2": page([rows[1], rows[0]], count=3)}
    pages["2"]["next"] = f"{WAFEQ}/accounts/?page=3"  # a next that would never end
    pages["2"]["results"].append(account_row("acc_3", "6003", "Tolls"))
    wafeq.get("/accounts/").mock(
        side_effect=lambda request: httpx.Response(200, json=pages[request.url.params["page"]])
    )
    assert [account.id for account in client.accounts()] == ["acc_1", "acc_2", "acc_3"]


def test_an_unpaged_list_is_taken_whole(client, wafeq):
    wafeq.get("/tax-rates/").respond(
        200, json=[{"id": "tax_std", "name": "Standard rate purchases", "rate": "15.00"}]
    )
    (rate,) = client.tax_rates()
    assert (rate.id, rate.name, rate.rate) == ("tax_std", "Standard rate purchases", Decimal("15"))
    assert rate.rate == Decimal("15.00") and isinstance(rate.rate, Decimal)


def test_list_by_date_range_asks_for_the_range_and_drops_rows_outside_it(client, wafeq):
    route = wafeq.get("/expenses/").respond(
        200,
        json=page(
            [
                expense_row("exp_in", date="2025-03-14"),
                expense_row("exp_out", date="2025-04-02"),  # Wafeq ignored the range
            ]
        ),
    )
    expenses = client.list_expenses(
        date_from=datetime.date(2025, 3, 1), date_to=datetime.date(2025, 3, 31)
    )
    assert [expense.id for expense in expenses] == ["exp_in"]
    params = route.calls.last.request.url.params
    assert (params["date_after"], params["date_before"]) == ("2025-03-01", "2025-03-31")


# --- errors --------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [401, 403])
def test_401_and_403_are_auth_errors_a_person_can_act_on_never_retried(client, wafeq, status):
    route = wafeq.get("/organization/").respond(
        status, json={"detail": "Invalid API key.", "code": "authentication_failed"}
    )
    with pytest.raises(WafeqAuthError) as caught:
        client.organization()
    assert isinstance(caught.value, AuthRefused)
    assert "API Keys" in caught.value.message
    assert caught.value.status_code == status
    assert route.call_count == 1


def test_429_is_waited_out_as_told_then_succeeds(client, wafeq, no_sleep):
    wafeq.get("/tax-rates/").mock(
        side_effect=[
            httpx.Response(429, headers={"Retry-After": "7"}, json={"detail": "Throttled."}),
            httpx.Response(200, json=page([])),
        ]
    )
    assert client.tax_rates() == []
    assert no_sleep == [7.0]


def test_429_past_the_retry_budget_is_rate_limited_with_the_wait(client, wafeq, no_sleep):
    wafeq.get("/tax-rates/").respond(429, headers={"Retry-After": "12"})
    with pytest.raises(WafeqRateLimited) as caught:
        client.tax_rates()
    assert isinstance(caught.value, RateLimited)
    assert caught.value.retry_after == 12.0
    assert "12" in caught.value.message


def test_closed_books_fail_with_wafeqs_sentence_word_for_word(client, wafeq, no_sleep):
    route = wafeq.post("/expenses/").respond(400, json={"detail": CLOSED})
    with pytest.raises(WafeqBooksClosed) as caught:
        client.create_expense(expense_body(), idempotency_key=KEY)
    assert isinstance(caught.value, Rejected)
    assert caught.value.message == CLOSED
    assert caught.value.closed_until == datetime.date(2025, 1, 31)
    assert isinstance(caught.value, PeriodClosed)  # the neutral error the engine moves or fails
    assert route.call_count == 1  # a refusal is not resent, key or not


def test_closed_books_inside_a_list_of_errors_is_still_the_sentence(client, wafeq):
    wafeq.post("/manual-journals/").respond(
        400,
        json={
            "type": "validation_error",
            "errors": [{"code": "invalid", "detail": CLOSED, "attr": "date"}],
        },
    )
    with pytest.raises(WafeqBooksClosed) as caught:
        client.create_manual_journal({"date": "2025-01-15"})
    assert caught.value.message == CLOSED


def test_400_keeps_wafeqs_field_messages(client, wafeq):
    wafeq.post("/expenses/").respond(
        400,
        json={
            "amount": ["A valid number is required."],
            "paid_through_account": ["Account must be payment enabled."],
        },
    )
    with pytest.raises(WafeqRejected) as caught:
        client.create_expense(expense_body())
    error = caught.value
    assert error.field_errors == {
        "amount": ["A valid number is required."],
        "paid_through_account": ["Account must be payment enabled."],
    }
    assert "paid_through_account: Account must be payment enabled." in error.message
    assert error.message.startswith("Wafeq refused it:")


def test_400_messages_of_nested_lines_name_the_line(client, wafeq):
    wafeq.post("/manual-journals/").respond(
        400,
        json={"line_items": [{}, {"account": ['Invalid pk "acc_gone" - object does not exist.']}]},
    )
    with pytest.raises(WafeqRejected) as caught:
        client.create_manual_journal({"date": "2025-03-15"})
    assert caught.value.field_errors == {
        "line_items.1.account": ['Invalid pk "acc_gone" - object does not exist.']
    }


def test_the_errors_envelope_keeps_each_detail_by_attribute(client, wafeq):
    wafeq.post("/expenses/").respond(
        400,
        json={
            "type": "validation_error",
            "errors": [
                {"code": "invalid", "detail": "Tax rate not found.", "attr": "tax_rate"},
                {"code": "invalid", "detail": "Something is wrong.", "attr": None},
            ],
        },
    )
    with pytest.raises(WafeqRejected) as caught:
        client.create_expense(expense_body())
    assert caught.value.field_errors == {"tax_rate": ["Tax rate not found."]}
    assert caught.value.errors == ["Something is wrong."]


def test_a_create_naming_an_object_wafeq_lacks_is_not_found_and_rejected(client, wafeq):
    wafeq.post("/expenses/").respond(404, json={"detail": "Account not found."})
    with pytest.raises(WafeqNotFound) as caught:
        client.create_expense(expense_body(), idempotency_key=KEY)
    assert isinstance(caught.value, Rejected)
    assert caught.value.message == "Wafeq refused it: Account not found."


@pytest.mark.parametrize("status", [402, 409, 422])
def test_other_refusals_are_rejected_with_wafeqs_words(client, wafeq, status):
    wafeq.post("/expenses/").respond(status, json={"detail": "The request failed."})
    with pytest.raises(WafeqRejected) as caught:
        client.create_expense(expense_body())
    assert caught.value.errors == ["The request failed."]
    assert caught.value.status_code == status


def test_a_refusal_without_a_body_still_says_what_to_do(client, wafeq):
    wafeq.post("/expenses/").respond(400, text="")
    with pytest.raises(WafeqRejected) as caught:
        client.create_expense(expense_body())
    assert "Check the entry in Wafeq" in caught.value.message


@pytest.mark.parametrize("status", [500, 502, 503])
def test_reads_are_retried_on_5xx(client, wafeq, no_sleep, status):
    route = wafeq.get("/tax-rates/").mock(
        side_effect=[httpx.Response(status), httpx.Response(200, json=page([]))]
    )
    assert client.tax_rates() == []
    assert route.call_count == 2


def test_reads_give_up_after_the_retry_budget_unavailable(client, wafeq, no_sleep):
    route = wafeq.get("/tax-rates/").respond(503)
    with pytest.raises(WafeqUnavailable) as caught:
        client.tax_rates()
    assert isinstance(caught.value, Unavailable)
    assert route.call_count == 3  # max_retries=2


@pytest.mark.parametrize(
    "outcome", [httpx.Response(502), httpx.ReadTimeout("slow"), httpx.RemoteProtocolError("cut")]
)
def test_a_write_without_a_key_is_never_resent_after_an_unknown_outcome(
    client, wafeq, no_sleep, outcome
):
    route = wafeq.post("/expenses/").mock(side_effect=[outcome])
    with pytest.raises(WafeqUnavailable):
        client.create_expense(expense_body())
    assert route.call_count == 1


# --- the idempotency key -------------------------------------------------------------------


@pytest.mark.parametrize(
    "outcome", [httpx.Response(502), httpx.ReadTimeout("slow"), httpx.RemoteProtocolError("cut")]
)
def test_a_keyed_write_is_resent_after_an_unknown_outcome_with_the_same_key_and_body(
    client, wafeq, no_sleep, outcome
):
    route = wafeq.post("/expenses/").mock(
        side_effect=[outcome, httpx.Response(201, json=expense_row(status="POSTED"))]
    )
    expense = client.create_expense(expense_body(), idempotency_key=KEY)
    assert expense.id == "exp_7Kq2" and expense.status == "POSTED"
    assert sent_keys(route) == [KEY, KEY]
    assert route.calls[0].request.content == route.calls[1].request.content


def test_a_key_still_in_use_is_an_unknown_outcome_resent_until_wafeq_replays(
    client, wafeq, no_sleep
):
    route = wafeq.post("/expenses/").mock(
        side_effect=[
            httpx.Response(409, json={"detail": "A request with this key is in progress."}),
            httpx.Response(201, json=expense_row(), headers={REPLAYED_HEADER: "true"}),
        ]
    )
    expense = client.create_expense(expense_body(), idempotency_key=KEY)
    assert expense.replayed is True
    assert sent_keys(route) == [KEY, KEY]


@pytest.mark.parametrize(
    "status, detail",
    [
        (409, "Conflict."),
        (400, "Idempotency key was already used with a different request body."),
        (422, "The idempotency key does not match the original request."),
    ],
)
def test_a_keyed_write_refused_for_its_key_may_exist_so_it_is_no_refusal(
    client, wafeq, no_sleep, status, detail
):
    wafeq.post("/manual-journals/").respond(status, json={"detail": detail})
    with pytest.raises(WafeqKeyConflict) as caught:
        client.create_manual_journal({"date": "2025-03-15"}, idempotency_key=KEY)
    assert isinstance(caught.value, Unavailable)
    assert not isinstance(caught.value, Rejected)  # the engine looks it up before a new try
    assert "look the entry up" in caught.value.message


def test_every_write_carries_the_idempotency_key(client, wafeq):
    routes = [
        wafeq.post("/files/").respond(201, json={"id": "att_1", "original_filename": "r.pdf"}),
        wafeq.post("/expenses/").respond(201, json=expense_row()),
        wafeq.post("/manual-journals/").respond(201, json=journal_row()),
    ]
    client.upload_file("r.pdf", b"%PDF-1.4", "application/pdf", idempotency_key=KEY)
    client.create_expense(expense_body(), idempotency_key=KEY)
    client.create_manual_journal({"date": "2025-03-15"}, idempotency_key=KEY)
    assert [route.calls.last.request.headers[IDEMPOTENCY_HEADER] for route in routes] == [KEY] * 3


def test_a_write_without_a_key_sends_no_key_header(client, wafeq):
    route = wafeq.post("/expenses/").respond(201, json=expense_row())
    client.create_expense(expense_body())
    assert IDEMPOTENCY_HEADER not in route.calls.last.request.headers


def test_a_replayed_answer_is_reported(client, wafeq):
    wafeq.post("/expenses/").respond(201, json=expense_row(), headers={REPLAYED_HEADER: "true"})
    assert client.create_expense(expense_body(), idempotency_key=KEY).replayed is True


def test_a_key_that_is_no_uuid_is_refused_before_anything_is_sent(client, wafeq):
    route = wafeq.post("/expenses/").respond(201, json=expense_row())
    with pytest.raises(ValueError):
        client.create_expense(expense_body(), idempotency_key="SIFI-TX-1")
    assert route.call_count == 0


def test_a_created_expense_without_an_id_is_unavailable_not_success(client, wafeq):
    wafeq.post("/expenses/").respond(201, json={"status": "DRAFT"})
    with pytest.raises(WafeqUnavailable):
        client.create_expense(expense_body(), idempotency_key=KEY)


# --- lookups -------------------------------------------------------------------------------


def test_find_expenses_checks_every_row_and_ignores_another_external_id(client, wafeq):
    # Wafeq ignores a filter it does not know: the whole list comes back.
    route = wafeq.get("/expenses/").respond(
        200,
        json=page(
            [
                expense_row("exp_other", external_id="SIFI-TX-10", created_ts="2025-03-01T00:00Z"),
                expense_row("exp_late", created_ts="2025-03-14T10:00:00Z"),
                expense_row("exp_first", created_ts="2025-03-14T09:00:00Z"),
                expense_row("exp_blank", external_id="", reference="SIFI-TX-1"),
            ]
        ),
    )
    found = client.find_expenses("SIFI-TX-1")
    assert [expense.id for expense in found] == ["exp_first", "exp_late"]
    assert route.calls.last.request.url.params["external_id"] == "SIFI-TX-1"


def test_find_manual_journals_checks_every_row(client, wafeq):
    wafeq.get("/manual-journals/").respond(
        200, json=page([journal_row("jou_x", external_id="SIFI-TX-22"), journal_row("jou_ours")])
    )
    assert [each.id for each in client.find_manual_journals("SIFI-TX-2")] == ["jou_ours"]


def test_find_nothing_is_an_empty_list(client, wafeq):
    wafeq.get("/manual-journals/").respond(200, json=page([]))
    assert client.find_manual_journals("SIFI-TX-2") == []


def test_an_entry_wafeq_no_longer_has_is_none(client, wafeq):
    wafeq.get("/expenses/exp_gone/").respond(404, json={"detail": "Not found."})
    wafeq.get("/manual-journals/jou_gone/").respond(404, json={"detail": "Not found."})
    assert client.get_expense("exp_gone") is None
    assert client.get_manual_journal("jou_gone") is None


def test_get_reads_the_entry(client, wafeq):
    wafeq.get("/expenses/exp_7Kq2/").respond(200, json=expense_row(amount="115.00"))
    wafeq.get("/manual-journals/jou_3Zp9/").respond(200, json=journal_row())
    expense = client.get_expense("exp_7Kq2")
    assert expense is not None and expense.amount == Decimal("115.00")
    manual_journal = client.get_manual_journal("jou_3Zp9")
    assert manual_journal is not None
    assert [line.amount for line in manual_journal.line_items] == [Decimal("50"), Decimal("-50")]


# --- mark as draft -------------------------------------------------------------------------


def test_mark_as_draft_moves_a_posted_expense_back(client, wafeq):
    route = wafeq.post("/expenses/exp_7Kq2/mark-as-draft/").respond(200, json=expense_row())
    assert client.mark_expense_as_draft("exp_7Kq2").status == "DRAFT"
    assert IDEMPOTENCY_HEADER not in route.calls.last.request.headers  # Wafeq declares none


def test_mark_as_draft_refused_for_a_draft_already_answers_the_draft(client, wafeq):
    wafeq.post("/expenses/exp_7Kq2/mark-as-draft/").respond(
        400, json={"detail": "Expense is already a draft."}
    )
    wafeq.get("/expenses/exp_7Kq2/").respond(200, json=expense_row(status="DRAFT"))
    assert client.mark_expense_as_draft("exp_7Kq2").status == "DRAFT"


def test_mark_as_draft_refused_for_a_posted_expense_stands(client, wafeq):
    wafeq.post("/expenses/exp_7Kq2/mark-as-draft/").respond(400, json={"detail": "Not allowed."})
    wafeq.get("/expenses/exp_7Kq2/").respond(200, json=expense_row(status="POSTED"))
    with pytest.raises(WafeqRejected):
        client.mark_expense_as_draft("exp_7Kq2")


def test_mark_as_draft_in_closed_books_fails_with_the_sentence(client, wafeq):
    wafeq.post("/expenses/exp_7Kq2/mark-as-draft/").respond(400, json={"detail": CLOSED})
    with pytest.raises(WafeqBooksClosed) as caught:
        client.mark_expense_as_draft("exp_7Kq2")
    assert caught.value.message == CLOSED


def test_mark_as_draft_after_an_unknown_outcome_is_resent(client, wafeq, no_sleep):
    route = wafeq.post("/expenses/exp_7Kq2/mark-as-draft/").mock(
        side_effect=[httpx.ReadTimeout("slow"), httpx.Response(200, json=expense_row())]
    )
    assert client.mark_expense_as_draft("exp_7Kq2").is_draft
    assert route.call_count == 2


# --- files ---------------------------------------------------------------------------------


def test_upload_sends_the_file_as_the_multipart_part_file(client, wafeq):
    route = wafeq.post("/files/").respond(
        201,
        json={
            "id": "att_MB8QxUoUQtFKYLjVShWfpC",
            "original_filename": "receipt.pdf",
            "mime_type": "application/pdf",
            "file_size": 8,
        },
    )
    uploaded = client.upload_file("receipt.pdf", b"%PDF-1.4", "application/pdf")
    assert uploaded.id == "att_MB8QxUoUQtFKYLjVShWfpC"
    request = route.calls.last.request
    assert request.headers["Content-Type"].startswith("multipart/form-data; boundary=")
    body = request.content
    assert b'Content-Disposition: form-data; name="file"; filename="receipt.pdf"' in body
    assert b"Content-Type: application/pdf" in body
    assert b"%PDF-1.4" in body


def test_a_keyed_upload_resent_is_the_same_bytes(client, wafeq, no_sleep):
    route = wafeq.post("/files/").mock(
        side_effect=[httpx.Response(503), httpx.Response(201, json={"id": "att_1"})]
    )
    client.upload_file("r.jpg", b"\xff\xd8\xff", "image/jpeg", idempotency_key=KEY)
    first, second = (call.request for call in route.calls)
    assert first.content == second.content
    assert sent_keys(route) == [KEY, KEY]


@pytest.mark.parametrize("status", [404, 405])
def test_an_organization_without_file_uploads_is_unsupported(client, wafeq, status):
    wafeq.post("/files/").respond(status, json={"detail": "Not found."})
    with pytest.raises(WafeqAttachmentsUnsupported) as caught:
        client.upload_file("r.pdf", b"%PDF", "application/pdf")
    assert isinstance(caught.value, AttachmentsUnsupported)


def test_an_upload_refused_for_its_content_stays_a_refusal(client, wafeq):
    wafeq.post("/files/").respond(400, json={"file": ["Unsupported file type."]})
    with pytest.raises(WafeqRejected) as caught:
        client.upload_file("r.exe", b"MZ", "application/octet-stream")
    assert not isinstance(caught.value, WafeqAttachmentsUnsupported)
    assert caught.value.field_errors == {"file": ["Unsupported file type."]}


# --- secrets -------------------------------------------------------------------------------


def test_the_key_is_never_in_logs_nor_in_error_text(client, wafeq, caplog, no_sleep):
    caplog.set_level(logging.DEBUG)
    echo = {"detail": f"Invalid key {API_KEY}", "header": f"Api-Key {API_KEY}"}
    wafeq.get("/organization/").respond(401, json=echo)
    wafeq.get("/tax-rates/").respond(500, text=f"upstream said Api-Key {API_KEY}")
    wafeq.post("/expenses/").respond(400, json={"detail": f"bad {API_KEY}"})
    caught = []
    for call in (
        client.organization,
        client.tax_rates,
        lambda: client.create_expense(expense_body()),
    ):
        with pytest.raises((WafeqAuthError, WafeqUnavailable, WafeqRejected)) as raised:
            call()
        caught.append(raised.value)
    assert caplog.records  # the client does log its requests
    assert API_KEY not in caplog.text
    for error in caught:
        assert API_KEY not in error.message
        assert API_KEY not in error.raw_body
        assert API_KEY not in str(error)
    assert "[redacted]" in caught[2].message


def test_receipt_bytes_and_bodies_are_not_logged(client, wafeq, caplog):
    caplog.set_level(logging.DEBUG)
    wafeq.post("/files/").respond(201, json={"id": "att_1"})
    client.upload_file("r.pdf", b"SECRET-RECEIPT-BYTES", "application/pdf")
    assert "SECRET-RECEIPT-BYTES" not in caplog.text
    assert json.dumps(expense_body()) not in caplog.text
