"""The Zoho Books client at the HTTP layer (respx): the token and the organization on every
call, every answer Zoho (or its accounts server) gives and what it becomes, paging, the
refresh of a refused access token (once, never twice), the lookup that checks every row, the
multipart attachment, and what must never be logged."""

import datetime
import json
import logging
from typing import Any

import httpx
import pytest
import respx

from accounting.providers import AuthRefused, RateLimited, Rejected, Unavailable
from integrations.providers.zoho_books.client import (
    ZohoAccountsClient,
    ZohoBooksClient,
    base_url_for,
)
from integrations.providers.zoho_books.errors import (
    ZohoBooksAccountInactive,
    ZohoBooksAuthError,
    ZohoBooksDailyQuotaSpent,
    ZohoBooksMinuteLimit,
    ZohoBooksOrganizationNotFound,
    ZohoBooksPeriodLocked,
    ZohoBooksRateLimited,
    ZohoBooksRefreshRefused,
    ZohoBooksRejected,
    ZohoBooksTokenRejected,
    ZohoBooksTooManyInFlight,
    ZohoBooksUnavailable,
    error_for,
)
from integrations.providers.zoho_books.ratelimit import limiter_for_organization
from tests.providers.zoho_books.conftest import (
    API_DOMAIN,
    FIRST_TOKEN,
    FRESH_TOKEN,
    ORG,
    FakeTokenSource,
)

JOURNAL_ID = "460000000038001"
JOURNAL: dict[str, Any] = {
    "journal_id": JOURNAL_ID,
    "entry_number": "1",
    "reference_number": "SIFI-TX-1",
    "journal_date": "2025-03-02",
    "status": "draft",
    "line_items": [
        {"account_id": "460000000000361", "debit_or_credit": "debit", "amount": 115.0},
        {"account_id": "460000000000388", "debit_or_credit": "credit", "amount": 115.0},
    ],
}


def ok(**body):
    return httpx.Response(200, json={"code": 0, "message": "success", **body})


def zoho_error(status, code, message):
    return httpx.Response(status, json={"code": code, "message": message})


def accounts(page, *, has_more, size=2):
    rows = [
        {"account_id": f"46000000{page:03d}{n:04d}", "account_name": f"A{page}-{n}"}
        for n in range(size)
    ]
    return ok(
        chartofaccounts=rows,
        page_context={"page": page, "per_page": 200, "has_more_page": has_more},
    )


# --- every call ---------------------------------------------------------------------------------


def test_every_call_carries_the_access_token_and_the_organization(zoho, client):
    route = zoho.get("/chartofaccounts").mock(return_value=accounts(1, has_more=False))
    client.chart_of_accounts()
    request = route.calls.last.request
    assert str(request.url).startswith("https://www.zohoapis.sa/books/v3/chartofaccounts?")
    assert request.headers["authorization"] == f"Zoho-oauthtoken {FIRST_TOKEN}"
    assert request.url.params["organization_id"] == ORG
    assert request.headers["user-agent"].startswith("SiFi-Accounting-Sync")


def test_the_organization_list_is_asked_without_an_organization(zoho, tokens):
    route = zoho.get("/organizations").mock(
        return_value=ok(
            organizations=[
                {"organization_id": "10234695", "name": "Acme KSA", "currency_code": "SAR"},
                {"organization_id": "10234696", "name": "Acme UAE", "currency_code": "AED"},
            ]
        )
    )
    with ZohoBooksClient(api_domain=API_DOMAIN, token_source=tokens) as zoho_client:
        organizations = zoho_client.list_organizations()
    assert [row["organization_id"] for row in organizations] == ["10234695", "10234696"]
    assert "organization_id" not in route.calls.last.request.url.params


def test_the_base_url_is_the_api_domain_zoho_gave_and_never_plain_http_elsewhere():
    assert base_url_for("https://www.zohoapis.sa/") == "https://www.zohoapis.sa/books/v3"
    assert base_url_for("http://127.0.0.1:8765") == "http://127.0.0.1:8765/books/v3"
    for refused in ("http://www.zohoapis.sa", "https://www.zohoapis.sa/x", "ftp://zoho", ""):
        with pytest.raises(ValueError):
            base_url_for(refused)


# --- paging -------------------------------------------------------------------------------------


def test_the_chart_is_every_page_of_200_while_zoho_says_there_are_more(zoho, client):
    route = zoho.get("/chartofaccounts").mock(
        side_effect=[
            accounts(1, has_more=True),
            accounts(2, has_more=True),
            accounts(3, has_more=False),
        ]
    )
    rows = client.chart_of_accounts()
    assert len(rows) == 6 and len({row["account_id"] for row in rows}) == 6
    params = [call.request.url.params for call in route.calls]
    assert [p["page"] for p in params] == ["1", "2", "3"]
    assert {p["per_page"] for p in params} == {"200"}
    assert {p["filter_by"] for p in params} == {"AccountType.All"}  # inactive accounts too


def test_a_chart_without_page_context_goes_on_while_pages_are_full(zoho, client):
    full = [{"account_id": str(n), "account_name": f"A{n}"} for n in range(200)]
    short = [{"account_id": str(n), "account_name": f"A{n}"} for n in range(200, 203)]
    route = zoho.get("/chartofaccounts").mock(
        side_effect=[ok(chartofaccounts=full), ok(chartofaccounts=short)]
    )
    assert len(client.chart_of_accounts()) == 203
    assert route.call_count == 2


def test_a_page_that_repeats_the_previous_one_ends_the_listing(zoho, client):
    route = zoho.get("/chartofaccounts").mock(return_value=accounts(1, has_more=True))
    assert len(client.chart_of_accounts()) == 2
    assert route.call_count == 2


def test_journals_of_a_period_are_every_page_with_the_dates(zoho, client):
    def page(number, more, ids):
        rows = [{"journal_id": str(i), "journal_date": "2025-03-01"} for i in ids]
        return ok(journals=rows, page_context={"page": number, "has_more_page": more})

    route = zoho.get("/journals").mock(side_effect=[page(1, True, [30, 10]), page(2, False, [20])])
    rows = client.list_journals(datetime.date(2025, 3, 1), datetime.date(2025, 3, 31))
    assert [row["journal_id"] for row in rows] == ["10", "20", "30"]  # oldest first
    first = route.calls[0].request.url.params
    assert (first["date_start"], first["date_end"]) == ("2025-03-01", "2025-03-31")
    assert first["organization_id"] == ORG


# --- journals -----------------------------------------------------------------------------------


def test_a_journal_is_created_with_the_body_given_and_its_id_is_a_string(zoho, client):
    created = {**JOURNAL, "journal_id": 460000000038001}
    route = zoho.post("/journals").mock(
        return_value=httpx.Response(
            201,
            json={"code": 0, "message": "The journal entry has been created.", "journal": created},
        )
    )
    payload = {"journal_date": "2025-03-02", "reference_number": "SIFI-TX-1", "status": "draft"}
    journal = client.create_journal(payload)
    assert journal["journal_id"] == "460000000038001"
    request = route.calls.last.request
    assert json.loads(request.content) == payload
    assert request.headers["content-type"] == "application/json"
    assert request.url.params["organization_id"] == ORG


def test_a_create_whose_outcome_is_unknown_is_never_sent_again(zoho, tokens):
    route = zoho.post("/journals").mock(side_effect=httpx.ReadTimeout("slow"))
    with (
        ZohoBooksClient(
            api_domain=API_DOMAIN, organization_id=ORG, token_source=tokens, max_retries=3
        ) as zoho_client,
        pytest.raises(ZohoBooksUnavailable),
    ):
        zoho_client.create_journal({"journal_date": "2025-03-02"})
    assert route.call_count == 1


def test_a_read_that_meets_a_server_error_is_tried_again(zoho, tokens):
    route = zoho.get(f"/journals/{JOURNAL_ID}").mock(
        side_effect=[zoho_error(500, 1000, "Internal error"), ok(journal=JOURNAL)]
    )
    with ZohoBooksClient(
        api_domain=API_DOMAIN,
        organization_id=ORG,
        token_source=tokens,
        max_retries=2,
        retry_base_seconds=0.01,
    ) as zoho_client:
        assert zoho_client.get_journal(JOURNAL_ID) == JOURNAL
    assert route.call_count == 2


def test_a_created_journal_without_an_id_is_an_unknown_outcome(zoho, client):
    zoho.post("/journals").mock(return_value=ok(message="The journal entry has been created."))
    with pytest.raises(ZohoBooksUnavailable):
        client.create_journal({"journal_date": "2025-03-02"})


def test_find_keeps_only_the_rows_that_carry_exactly_our_reference(zoho, client):
    route = zoho.get("/journals").mock(
        return_value=ok(
            journals=[
                {"journal_id": "460000000038009", "reference_number": "SIFI-TX-1"},
                {"journal_id": "460000000038002", "reference_number": "SIFI-TX-10"},
                {"journal_id": "460000000038003", "reference_number": "sifi-tx-1"},
                {"journal_id": "460000000038004", "reference_number": None},
                {"journal_id": "460000000038001", "reference_number": "SIFI-TX-1"},
            ],
            page_context={"page": 1, "has_more_page": False},
        )
    )
    found = client.find_journals("SIFI-TX-1")
    assert [row["journal_id"] for row in found] == ["460000000038001", "460000000038009"]
    assert route.calls.last.request.url.params["reference_number"] == "SIFI-TX-1"


def test_find_finds_nothing_when_zoho_ignores_the_filter(zoho, client):
    zoho.get("/journals").mock(
        return_value=ok(
            journals=[{"journal_id": str(n), "reference_number": f"OTHER-{n}"} for n in range(5)],
            page_context={"page": 1, "has_more_page": False},
        )
    )
    assert client.find_journals("SIFI-TX-1") == []


def test_a_journal_zoho_does_not_have_is_none(zoho, client):
    zoho.get("/journals/460000000038001").mock(
        return_value=zoho_error(404, 1002, "Journal does not exist.")
    )
    zoho.get("/journals/460000000038002").mock(
        return_value=zoho_error(200, 1002, "Journal does not exist.")
    )
    assert client.get_journal("460000000038001") is None
    assert client.get_journal("460000000038002") is None
    assert client.get_journal("../organizations") is None  # not an id: never sent


def test_a_receipt_is_attached_as_the_multipart_part_attachment(zoho, client):
    route = zoho.post("/journals/460000000038001/attachment").mock(
        return_value=ok(message="Your file has been successfully attached to the journal.")
    )
    client.attach_to_journal(
        "460000000038001",
        filename="receipt.pdf",
        content=b"%PDF-1.4 x",
        content_type="application/pdf",
    )
    request = route.calls.last.request
    assert request.url.params["organization_id"] == ORG
    assert request.headers["content-type"].startswith("multipart/form-data; boundary=")
    body = request.content
    assert b'name="attachment"; filename="receipt.pdf"' in body
    assert b"Content-Type: application/pdf" in body and b"%PDF-1.4 x" in body


# --- errors -------------------------------------------------------------------------------------

LIMIT_44 = (
    "For security reasons your organization has been blocked as it have exceeded the maximum "
    "number of requests per minute that can originate from an organization."
)
LIMIT_45 = "The API call for this organization has exceeded the maximum call rate limit of 1000."


@pytest.mark.parametrize(
    ("answer", "error_class", "neutral", "code"),
    [
        (zoho_error(429, 44, LIMIT_44), ZohoBooksMinuteLimit, RateLimited, 44),
        (zoho_error(429, 45, LIMIT_45), ZohoBooksDailyQuotaSpent, RateLimited, 45),
        (
            zoho_error(429, 1070, "You have reached the maximum number of in process requests."),
            ZohoBooksTooManyInFlight,
            RateLimited,
            1070,
        ),
        (httpx.Response(429, text="slow down"), ZohoBooksRateLimited, RateLimited, None),
        (
            zoho_error(400, 2, "Invalid value passed for account_id"),
            ZohoBooksRejected,
            Rejected,
            2,
        ),
        (
            zoho_error(400, 12345, "Transactions before 31/01/2025 are locked. Unlock to proceed."),
            ZohoBooksPeriodLocked,
            Rejected,
            12345,
        ),
        (
            zoho_error(400, 4321, "The account Petty Cash is inactive."),
            ZohoBooksAccountInactive,
            Rejected,
            4321,
        ),
        (
            zoho_error(200, 2, "Invalid value passed for reference_number"),
            ZohoBooksRejected,
            Rejected,
            2,
        ),
        (
            zoho_error(400, 6041, "This organization does not exist."),
            ZohoBooksOrganizationNotFound,
            AuthRefused,
            6041,
        ),
        (zoho_error(403, 57, "You are not authorized"), ZohoBooksAuthError, AuthRefused, 57),
        (zoho_error(403, 99, "Forbidden"), ZohoBooksAuthError, AuthRefused, 99),
        (zoho_error(500, 1000, "Internal error"), ZohoBooksUnavailable, Unavailable, 1000),
        (
            httpx.Response(502, text="<html>Bad gateway</html>"),
            ZohoBooksUnavailable,
            Unavailable,
            None,
        ),
        (httpx.Response(200, text="<html>login</html>"), ZohoBooksUnavailable, Unavailable, None),
        (
            httpx.Response(302, headers={"Location": "https://x"}),
            ZohoBooksUnavailable,
            Unavailable,
            None,
        ),
    ],
)
def test_each_answer_becomes_the_typed_error_it_means_with_zohos_code(
    zoho, client, tokens, answer, error_class, neutral, code
):
    tokens.refuse = True  # a 403 is never a reason to refresh; any refresh here would raise
    zoho.post("/journals").mock(return_value=answer)
    with pytest.raises(error_class) as raised:
        client.create_journal({"journal_date": "2025-03-02"})
    error = raised.value
    assert type(error) is error_class and isinstance(error, neutral)
    assert error.code == code
    assert error.message and "Traceback" not in error.message
    assert tokens.renewals == []


def test_a_validation_error_says_what_zoho_said(zoho, client):
    zoho.post("/journals").mock(
        return_value=zoho_error(400, 2, "Invalid value passed for account_id")
    )
    with pytest.raises(ZohoBooksRejected) as raised:
        client.create_journal({"journal_date": "2025-03-02"})
    assert raised.value.message == (
        "Zoho Books refused it: Invalid value passed for account_id (code 2)."
    )
    assert raised.value.status_code == 400


def test_the_limits_say_how_long_to_wait_and_which_window(zoho, client):
    zoho.get("/journals/1").mock(
        side_effect=[zoho_error(429, 44, LIMIT_44), zoho_error(429, 45, LIMIT_45)]
    )
    with pytest.raises(ZohoBooksMinuteLimit) as minute:
        client.get_journal("1")
    assert minute.value.retry_after == 60 and minute.value.window is None
    with pytest.raises(ZohoBooksDailyQuotaSpent) as day:
        client.get_journal("1")
    assert day.value.retry_after == 900 and day.value.window == "day"
    assert "daily API limit" in day.value.message


def test_a_spent_daily_quota_makes_every_worker_wait_on_the_day_window(zoho, tokens, bucket_org):
    limiter = limiter_for_organization(bucket_org, daily_quota=2_000, max_wait=0)
    zoho.get("/journals/1").mock(return_value=zoho_error(429, 45, LIMIT_45))
    with (
        ZohoBooksClient(
            api_domain=API_DOMAIN,
            organization_id=ORG,
            token_source=tokens,
            rate_limiter=limiter,
            quota_probe_seconds=600,
        ) as zoho_client,
        pytest.raises(ZohoBooksDailyQuotaSpent),
    ):
        zoho_client.get_journal("1")
    minute, day = limiter.windows()
    assert (minute.name, day.name) == ("minute", "day")
    assert minute.wait_seconds == 0 and 595 < day.wait_seconds <= 600
    assert 595 < limiter.wait_seconds() <= 600


def test_the_minute_limit_makes_every_worker_wait_on_the_minute_window(zoho, tokens, bucket_org):
    limiter = limiter_for_organization(bucket_org, max_wait=0)
    zoho.get("/journals/1").mock(return_value=zoho_error(429, 44, LIMIT_44))
    with (
        ZohoBooksClient(
            api_domain=API_DOMAIN, organization_id=ORG, token_source=tokens, rate_limiter=limiter
        ) as zoho_client,
        pytest.raises(ZohoBooksMinuteLimit),
    ):
        zoho_client.get_journal("1")
    minute, day = limiter.windows()
    assert 55 < minute.wait_seconds <= 60 and day.wait_seconds == 0


def test_a_timeout_is_unavailable(zoho, client):
    zoho.get("/journals/1").mock(side_effect=httpx.ConnectTimeout("no"))
    with pytest.raises(ZohoBooksUnavailable) as raised:
        client.get_journal("1")
    assert raised.value.message == "Zoho Books did not answer in time."


# --- the access token: refreshed once, never twice ----------------------------------------------


@pytest.mark.parametrize(
    "refusal",
    [
        zoho_error(401, 57, "You are not authorized to perform this operation"),
        zoho_error(401, 14, "Invalid value passed for authtoken."),
        zoho_error(200, 14, "Invalid value passed for authtoken."),  # an error with HTTP 200
    ],
)
def test_a_refused_access_token_is_renewed_once_and_the_request_sent_again(
    zoho, client, tokens, refusal
):
    route = zoho.get("/journals/460000000038001").mock(side_effect=[refusal, ok(journal=JOURNAL)])
    assert client.get_journal("460000000038001") == JOURNAL
    assert tokens.renewals == [FIRST_TOKEN]
    first, second = (call.request for call in route.calls)
    assert first.headers["authorization"] == f"Zoho-oauthtoken {FIRST_TOKEN}"
    assert second.headers["authorization"] == f"Zoho-oauthtoken {FRESH_TOKEN}"


def test_a_token_refused_again_after_renewal_is_not_renewed_twice(zoho, client, tokens):
    refusal = zoho_error(401, 57, "You are not authorized to perform this operation")
    route = zoho.post("/journals").mock(return_value=refusal)
    with pytest.raises(ZohoBooksTokenRejected) as raised:
        client.create_journal({"journal_date": "2025-03-02"})
    assert isinstance(raised.value, AuthRefused) and raised.value.code == 57
    assert tokens.renewals == [FIRST_TOKEN]
    assert route.call_count == 2


def test_the_next_request_uses_the_renewed_token_without_renewing_again(zoho, client, tokens):
    zoho.get("/journals/1").mock(
        side_effect=[
            zoho_error(401, 57, "not authorized"),
            ok(journal=JOURNAL),
            ok(journal=JOURNAL),
        ]
    )
    client.get_journal("1")
    client.get_journal("1")
    assert tokens.renewals == [FIRST_TOKEN]


def test_a_refused_refresh_token_stops_with_reconnect(zoho, client, tokens):
    tokens.refuse = True
    route = zoho.post("/journals").mock(return_value=zoho_error(401, 57, "not authorized"))
    with pytest.raises(ZohoBooksRefreshRefused) as raised:
        client.create_journal({"journal_date": "2025-03-02"})
    assert isinstance(raised.value, AuthRefused)
    assert route.call_count == 1


def test_an_accounts_server_error_with_http_200_is_a_refused_authorization(zoho, client):
    zoho.get("/journals/1").mock(return_value=httpx.Response(200, json={"error": "invalid_code"}))
    with pytest.raises(ZohoBooksRefreshRefused) as raised:
        client.get_journal("1")
    assert "Reconnect Zoho Books" in raised.value.message


# --- the accounts server ------------------------------------------------------------------------

ACCOUNTS = "https://accounts.zoho.sa"
REFRESH_TOKEN = "1000.refresh-token-5566778899aabbcc"
CLIENT_SECRET = "client-secret-00112233445566"


def test_a_refresh_posts_the_refresh_grant_and_reads_the_new_token():
    with respx.mock(base_url=ACCOUNTS) as mock:
        route = mock.post("/oauth/v2/token").mock(
            return_value=httpx.Response(
                200,
                json={
                    "access_token": FRESH_TOKEN,
                    "expires_in": 3600,
                    "api_domain": "https://www.zohoapis.sa",
                    "token_type": "Bearer",
                },
            )
        )
        with ZohoAccountsClient(
            ACCOUNTS, client_id="1000.CLIENT", client_secret=CLIENT_SECRET
        ) as c:
            token = c.refresh_access_token(REFRESH_TOKEN)
    assert (token.access_token, token.expires_in, token.api_domain) == (
        FRESH_TOKEN,
        3600,
        "https://www.zohoapis.sa",
    )
    form = dict(httpx.QueryParams(route.calls.last.request.content.decode()))
    assert form == {
        "grant_type": "refresh_token",
        "refresh_token": REFRESH_TOKEN,
        "client_id": "1000.CLIENT",
        "client_secret": CLIENT_SECRET,
    }
    assert REFRESH_TOKEN not in str(route.calls.last.request.url)


@pytest.mark.parametrize("error", ["invalid_code", "invalid_client"])
def test_a_refresh_token_zoho_refuses_with_http_200_needs_a_reconnect(error, caplog):
    caplog.set_level(logging.DEBUG)
    with respx.mock(base_url=ACCOUNTS) as mock:
        route = mock.post("/oauth/v2/token").mock(
            return_value=httpx.Response(200, json={"error": error})
        )
        with (
            ZohoAccountsClient(ACCOUNTS, client_id="1000.CLIENT", client_secret=CLIENT_SECRET) as c,
            pytest.raises(ZohoBooksRefreshRefused) as raised,
        ):
            c.refresh_access_token(REFRESH_TOKEN)
    assert route.call_count == 1
    assert isinstance(raised.value, AuthRefused) and "Reconnect Zoho Books" in raised.value.message
    for secret in (REFRESH_TOKEN, CLIENT_SECRET):
        assert secret not in caplog.text and secret not in raised.value.message


def test_too_many_refreshes_wait_rather_than_disconnect():
    with respx.mock(base_url=ACCOUNTS) as mock:
        mock.post("/oauth/v2/token").mock(
            return_value=httpx.Response(
                400,
                json={
                    "error": "Access Denied",
                    "error_description": "You have made too many requests continuously.",
                },
            )
        )
        with (
            ZohoAccountsClient(ACCOUNTS, client_id="1000.CLIENT", client_secret=CLIENT_SECRET) as c,
            pytest.raises(ZohoBooksRateLimited) as raised,
        ):
            c.refresh_access_token(REFRESH_TOKEN)
    assert raised.value.retry_after == 600 and not isinstance(raised.value, AuthRefused)


# --- secrets ------------------------------------------------------------------------------------


def test_tokens_are_never_in_the_log_or_in_an_error(zoho, caplog):
    caplog.set_level(logging.DEBUG)
    tokens = FakeTokenSource()
    echo = f"Invalid value passed for authtoken {FIRST_TOKEN} / {FRESH_TOKEN}"
    zoho.post("/journals").mock(side_effect=[zoho_error(401, 14, echo), zoho_error(400, 2, echo)])
    with (
        ZohoBooksClient(
            api_domain=API_DOMAIN, organization_id=ORG, token_source=tokens, max_retries=0
        ) as zoho_client,
        pytest.raises(ZohoBooksRejected) as raised,
    ):
        zoho_client.create_journal({"journal_date": "2025-03-02"})
    error = raised.value
    for secret in (FIRST_TOKEN, FRESH_TOKEN):
        assert secret not in caplog.text
        assert secret not in error.message and secret not in error.raw_body
        assert secret not in str(error)
    assert "[redacted]" in error.message
    assert "zoho books POST /journals -> 401" in caplog.text  # the log says what happened


@pytest.mark.parametrize(
    ("message", "error_class"),
    [
        ("Transactions dated on or before the lock date cannot be added", ZohoBooksPeriodLocked),
        ("Your account has been blocked for a while", ZohoBooksRejected),
        ("Invalid value passed for organization_id", ZohoBooksOrganizationNotFound),
        ("Invalid currency for this organization", ZohoBooksRejected),
        ("Account 'Old bank' is inactive", ZohoBooksAccountInactive),
    ],
)
def test_zohos_words_are_read_narrowly(message, error_class):
    error = error_for(status=400, code=9, message=message, raw_body="")
    assert type(error) is error_class


@pytest.mark.parametrize(
    ("message", "closed_until"),
    [
        # the sandbox's words: the lock date itself is closed
        (
            "You cannot create transactions dated on or before the lock date 2026-10-31 in the "
            "Accountant module.",
            datetime.date(2026, 10, 31),
        ),
        # Zoho's help: dated *before* the lock date
        ("Transactions before 14/11/2026 are locked.", datetime.date(2026, 11, 13)),
        ("Transactions before 14 Nov 2026 are locked.", datetime.date(2026, 11, 13)),
        ("Transactions before 03/04/2026 are locked.", None),  # day or month first? not guessed
    ],
)
def test_a_transaction_lock_refusal_is_period_closed_with_the_last_closed_day(
    zoho, client, message, closed_until
):
    from accounting.providers import PeriodClosed

    zoho.post("/journals").mock(return_value=zoho_error(400, 4020, message))
    with pytest.raises(ZohoBooksPeriodLocked) as raised:
        client.create_journal({"journal_date": "2026-10-14"})
    assert isinstance(raised.value, PeriodClosed)
    assert raised.value.closed_until == closed_until
