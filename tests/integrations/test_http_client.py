"""The promises of the HTTP client base (`integrations.http_client.ApiClient`) every provider's
client makes, shown on "Ledgerly", a tiny provider made up for these tests: an OAuth API
whose access token expires, whose accounts server answers its refusals with HTTP 200, and
whose API puts some errors in 200 bodies with a `code` (as Zoho Books does).

No database; the limiter tests use the real Redis."""

import datetime
import email.utils
import logging
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
import respx
from django.conf import settings

from accounting.providers import (
    AuthRefused,
    ProviderError,
    RateLimited,
    Rejected,
    Unavailable,
)
from integrations.http_client import USER_AGENT, ApiClient, ErrorTypes
from integrations.ratelimit import RedisRateLimiter

API = "https://api.ledgerly.test/v1"
ACCOUNTS = "https://accounts.ledgerly.test"
ACCESS_TOKEN = "lg-access-7f3a9c1e5b2d4f60"
NEW_ACCESS_TOKEN = "lg-access-renewed-0c4e8a2f"
REFRESH_TOKEN = "lg-refresh-91b7d3f5a2c6e8d0"
CLIENT_SECRET = "lg-client-secret-5e1a7c3b9d"
SECRETS = (ACCESS_TOKEN, NEW_ACCESS_TOKEN, REFRESH_TOKEN, CLIENT_SECRET)


class LedgerlyError(ProviderError):
    pass


class LedgerlyUnavailable(LedgerlyError, Unavailable):
    pass


class LedgerlyRateLimited(LedgerlyError, RateLimited):
    def __init__(self, message: str, *, retry_after: float, raw_body: str = "") -> None:
        RateLimited.__init__(self, message, retry_after=retry_after, raw_body=raw_body)


class LedgerlyAuthRefused(LedgerlyError, AuthRefused):
    pass


class LedgerlyRejected(LedgerlyError, Rejected):
    pass


LEDGERLY_ERRORS = ErrorTypes(
    base=LedgerlyError,
    unavailable=LedgerlyUnavailable,
    rate_limited=LedgerlyRateLimited,
    auth_refused=LedgerlyAuthRefused,
)


class LedgerlyAccounts(ApiClient):
    """Ledgerly's token endpoint: a refused refresh token is HTTP 200 with an `error`."""

    name = "Ledgerly accounts"
    errors = LEDGERLY_ERRORS

    def __init__(self, **options: Any) -> None:
        super().__init__(ACCOUNTS, timeout=5.0, **options)

    def secrets(self) -> list[str]:
        return [REFRESH_TOKEN, CLIENT_SECRET]

    def read_answer(self, response: httpx.Response) -> Any:
        body = super().read_answer(response)
        if isinstance(body, dict) and "error" in body:
            raise LedgerlyAuthRefused(
                f"Ledgerly refused the refresh token ({body['error']}).",
                status_code=response.status_code,
                raw_body=response.text,
            )
        return body

    def access_token(self) -> str:
        form = {"grant_type": "refresh_token", "refresh_token": REFRESH_TOKEN}
        body = self.request("POST", "oauth/token", data={**form, "client_secret": CLIENT_SECRET})
        return str(body["access_token"])


class Ledgerly(ApiClient):
    """Ledgerly's books API: a bearer token; errors with HTTP 200 and a non-zero `code`."""

    name = "Ledgerly"
    errors = LEDGERLY_ERRORS

    def __init__(
        self,
        access_token: str = ACCESS_TOKEN,
        *,
        accounts: LedgerlyAccounts | None = None,
        **options: Any,
    ) -> None:
        options.setdefault("max_retries", 2)
        super().__init__(API, timeout=5.0, **options)
        self.access_token = access_token
        self.accounts = accounts
        self.refreshes = 0

    def auth_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access_token}"}

    def secrets(self) -> list[str]:
        return [*super().secrets(), REFRESH_TOKEN, CLIENT_SECRET]

    @property
    def retry_base_seconds(self) -> float:
        return 0.5

    def refresh_credentials(self, refusal: AuthRefused) -> bool:
        if self.accounts is None:
            return False
        self.refreshes += 1
        self.access_token = self.accounts.access_token()
        return True

    def read_answer(self, response: httpx.Response) -> Any:
        body = super().read_answer(response)
        code = body.get("code", 0) if isinstance(body, dict) else 0
        if code == 14:
            raise LedgerlyAuthRefused(
                "Ledgerly refused the token.", status_code=response.status_code
            )
        if code:
            raise LedgerlyRejected(
                f"Ledgerly refused it: {body.get('message')}",
                status_code=response.status_code,
                raw_body=response.text,
            )
        return body


@pytest.fixture
def api():
    with respx.mock(assert_all_called=False) as mock:
        yield mock


@pytest.fixture
def waits(monkeypatch):
    """The waits the client asks for, instead of sleeping them."""
    asked: list[float] = []
    monkeypatch.setattr("integrations.http_client.time.sleep", asked.append)
    return asked


@pytest.fixture
def limiter():
    limiter = RedisRateLimiter(
        redis_url=settings.REDIS_URL, bucket=f"test-{uuid.uuid4().hex[:12]}", limit=100, max_wait=5
    )
    yield limiter
    limiter.reset()


def journals(mock):
    return mock.route(host="api.ledgerly.test", path="/v1/journals")


def token_endpoint(mock):
    return mock.post(f"{ACCOUNTS}/oauth/token")


# --- retries ----------------------------------------------------------------------------------


def test_a_read_is_retried_max_retries_times_with_a_doubling_backoff(api, waits):
    route = journals(api).respond(503)
    with Ledgerly(max_retries=3) as ledgerly, pytest.raises(LedgerlyUnavailable) as failed:
        ledgerly.request("GET", "journals")
    assert route.call_count == 4  # one try and three retries
    assert waits == [0.5, 1.0, 2.0]
    assert failed.value.status_code == 503 and "HTTP 503" in failed.value.message


@pytest.mark.parametrize(
    "outcome",
    [httpx.Response(502), httpx.ReadTimeout("timed out"), httpx.RemoteProtocolError("dropped")],
    ids=["502", "timeout", "dropped"],
)
def test_a_write_is_never_sent_again_after_an_unknown_outcome(api, waits, outcome):
    route = journals(api).mock(side_effect=[outcome, httpx.Response(201, json={"id": "J1"})])
    with Ledgerly() as ledgerly, pytest.raises(LedgerlyUnavailable) as failed:
        ledgerly.request("POST", "journals", json={"date": "2025-03-14"})
    assert route.call_count == 1
    assert failed.value.retryable and failed.value.__cause__ is None  # no httpx error leaks


def test_a_write_the_provider_dedupes_by_an_idempotency_key_may_be_sent_again(api, waits):
    route = journals(api).mock(
        side_effect=[httpx.ReadTimeout("timed out"), httpx.Response(201, json={"id": "J1"})]
    )
    with Ledgerly() as ledgerly:
        created = ledgerly.request(
            "POST",
            "journals",
            json={"date": "2025-03-14"},
            headers={"Idempotency-Key": "sifi-push-42"},
            idempotent=True,
        )
    assert created == {"id": "J1"}
    assert [call.request.headers["Idempotency-Key"] for call in route.calls] == ["sifi-push-42"] * 2
    sent = route.calls.last.request
    assert sent.headers["Authorization"] == f"Bearer {ACCESS_TOKEN}"
    assert sent.headers["User-Agent"] == USER_AGENT


def test_an_error_that_is_not_retryable_is_raised_at_once(api, waits):
    route = journals(api).respond(200, json={"code": 1002, "message": "Account does not exist."})
    with Ledgerly() as ledgerly, pytest.raises(LedgerlyRejected) as refused:
        ledgerly.request("GET", "journals")
    assert route.call_count == 1 and waits == []
    assert refused.value.message == "Ledgerly refused it: Account does not exist."


def test_redirects_are_not_followed(api, waits):
    elsewhere = api.get("https://evil.example/journals").respond(200, json={})
    journals(api).respond(302, headers={"Location": "https://evil.example/journals"})
    with Ledgerly() as ledgerly, pytest.raises(LedgerlyUnavailable, match="redirect"):
        ledgerly.request("GET", "journals")
    assert elsewhere.call_count == 0


# --- 429 and the request budget -------------------------------------------------------------


def test_a_429_is_waited_out_for_its_retry_after_even_for_a_write(api, waits):
    route = journals(api).mock(
        side_effect=[
            httpx.Response(429, headers={"Retry-After": "3"}),
            httpx.Response(201, json={"id": "J1"}),
        ]
    )
    with Ledgerly() as ledgerly:
        assert ledgerly.request("POST", "journals", json={}) == {"id": "J1"}
    assert route.call_count == 2
    assert waits == [3.0]


def test_a_retry_after_given_as_an_http_date_is_honoured(api, waits):
    later = datetime.datetime.now(datetime.UTC) + datetime.timedelta(seconds=30)
    journals(api).mock(
        side_effect=[
            httpx.Response(429, headers={"Retry-After": email.utils.format_datetime(later)}),
            httpx.Response(200, json={}),
        ]
    )
    with Ledgerly() as ledgerly:
        ledgerly.request("GET", "journals")
    assert len(waits) == 1 and 25 <= waits[0] <= 30


def test_a_429_longer_than_max_wait_goes_back_to_the_caller_at_once(api, waits, limiter):
    route = journals(api).respond(429, headers={"Retry-After": "60"})
    with Ledgerly(rate_limiter=limiter) as ledgerly, pytest.raises(LedgerlyRateLimited) as limited:
        ledgerly.request("GET", "journals")
    assert limited.value.retry_after == 60
    assert route.call_count == 1 and waits == []  # not slept on: the caller defers instead
    assert limiter.used() == 1  # the send took a slot of the budget
    assert limiter.wait_seconds() > 55  # and every process sharing the budget now waits


def test_a_budget_with_no_slot_within_max_wait_sends_nothing(api, waits, limiter):
    route = journals(api).respond(200, json={})
    limiter.penalize(30)
    with Ledgerly(rate_limiter=limiter) as ledgerly, pytest.raises(RateLimited) as limited:
        ledgerly.request("GET", "journals")
    assert limited.value.retry_after > 25
    assert route.call_count == 0 and waits == []


# --- credentials that can be renewed --------------------------------------------------------


def test_a_refused_token_is_renewed_once_and_the_request_sent_again(api, waits):
    route = journals(api).mock(
        side_effect=[
            httpx.Response(401, json={"code": 57, "message": "You are not authorized."}),
            httpx.Response(201, json={"id": "J1"}),
        ]
    )
    token_endpoint(api).respond(200, json={"access_token": NEW_ACCESS_TOKEN, "expires_in": 3600})
    with LedgerlyAccounts() as accounts, Ledgerly(accounts=accounts) as ledgerly:
        # A write too: a refused request was not processed.
        assert ledgerly.request("POST", "journals", json={}) == {"id": "J1"}
    assert ledgerly.refreshes == 1
    sent = [call.request.headers["Authorization"] for call in route.calls]
    assert sent == [f"Bearer {ACCESS_TOKEN}", f"Bearer {NEW_ACCESS_TOKEN}"]
    token_request = next(c.request for c in api.calls if c.request.url.host in ACCOUNTS)
    assert "Authorization" not in token_request.headers  # the token endpoint has no bearer
    assert b"grant_type=refresh_token" in token_request.content


def test_a_token_refused_in_a_200_body_is_renewed_too(api, waits):
    route = journals(api).mock(
        side_effect=[
            httpx.Response(200, json={"code": 14, "message": "Invalid value passed for authtoken"}),
            httpx.Response(200, json={"code": 0, "journals": []}),
        ]
    )
    token_endpoint(api).respond(200, json={"access_token": NEW_ACCESS_TOKEN})
    with LedgerlyAccounts() as accounts, Ledgerly(accounts=accounts) as ledgerly:
        assert ledgerly.request("GET", "journals") == {"code": 0, "journals": []}
    assert route.call_count == 2 and ledgerly.refreshes == 1


def test_a_token_refused_again_after_renewal_is_a_refusal_not_a_loop(api, waits):
    route = journals(api).respond(401, json={"code": 57, "message": "Missing scope."})
    token_endpoint(api).respond(200, json={"access_token": NEW_ACCESS_TOKEN})
    with (
        LedgerlyAccounts() as accounts,
        Ledgerly(accounts=accounts) as ledgerly,
        pytest.raises(LedgerlyAuthRefused) as refused,
    ):
        ledgerly.request("GET", "journals")
    assert route.call_count == 2 and ledgerly.refreshes == 1
    assert refused.value.status_code == 401


def test_a_refresh_token_refused_with_http_200_is_a_refusal(api, waits):
    route = journals(api).respond(401, json={"code": 57, "message": "Expired."})
    token_endpoint(api).respond(200, json={"error": "invalid_code"})
    with (
        LedgerlyAccounts() as accounts,
        Ledgerly(accounts=accounts) as ledgerly,
        pytest.raises(LedgerlyAuthRefused, match="invalid_code"),
    ):
        ledgerly.request("POST", "journals", json={})
    assert route.call_count == 1  # nothing sent again with credentials we do not have


def test_without_a_way_to_renew_a_refusal_stands_at_once(api, waits):
    route = journals(api).respond(401)
    with Ledgerly() as ledgerly, pytest.raises(LedgerlyAuthRefused):
        ledgerly.request("GET", "journals")
    assert route.call_count == 1


def test_requests_refused_together_renew_the_token_once(api, waits):
    both_refused = threading.Barrier(2, timeout=5)

    def answer(request: httpx.Request) -> httpx.Response:
        if request.headers["Authorization"] == f"Bearer {ACCESS_TOKEN}":
            both_refused.wait()  # both requests are refused before either renews
            return httpx.Response(401, json={"code": 57, "message": "Expired."})
        return httpx.Response(200, json={"journals": []})

    route = journals(api).mock(side_effect=answer)
    token_endpoint(api).respond(200, json={"access_token": NEW_ACCESS_TOKEN})
    with (
        LedgerlyAccounts() as accounts,
        Ledgerly(accounts=accounts) as ledgerly,
        ThreadPoolExecutor(max_workers=2) as pool,
    ):
        answers = list(pool.map(lambda _: ledgerly.request("GET", "journals"), range(2)))
    assert answers == [{"journals": []}] * 2
    assert ledgerly.refreshes == 1 and route.call_count == 4


# --- uploads ----------------------------------------------------------------------------------


def test_a_file_goes_as_multipart_and_again_after_a_429(api, waits):
    route = api.post(f"{API}/files").mock(
        side_effect=[
            httpx.Response(429, headers={"Retry-After": "1"}),
            httpx.Response(201, json={"id": "file_1"}),
        ]
    )
    with Ledgerly() as ledgerly:
        uploaded = ledgerly.request(
            "POST", "files", files={"file": ("r.pdf", b"%PDF-1.4 receipt", "application/pdf")}
        )
    assert uploaded == {"id": "file_1"}
    for call in route.calls:
        assert call.request.headers["Content-Type"].startswith("multipart/form-data")
        assert b"%PDF-1.4 receipt" in call.request.read()


# --- secrets ----------------------------------------------------------------------------------


def echo(request: httpx.Request) -> str:
    """A careless server's error page: it repeats what we sent, credentials included."""
    return f"{request.headers.get('Authorization')} {request.content.decode()} {request.url}"


@pytest.mark.parametrize(
    "answer",
    [
        lambda request: httpx.Response(401, text=f"bad token: {echo(request)}"),
        lambda request: httpx.Response(500, text=f"<pre>{echo(request)}</pre>"),
        lambda request: httpx.Response(418, text=echo(request)),
        lambda request: httpx.Response(200, text=f"<html>{echo(request)}</html>"),
        lambda request: httpx.Response(200, json={"code": 2, "message": echo(request)}),
    ],
    ids=["401", "500", "418", "not-json", "error-in-200"],
)
def test_no_key_or_token_is_ever_logged_or_kept_in_an_error(api, waits, caplog, answer):
    caplog.set_level(logging.DEBUG)
    journals(api).mock(side_effect=answer)
    token_endpoint(api).mock(
        side_effect=lambda request: httpx.Response(
            200, json={"error": f"invalid_code for {request.content.decode()}"}
        )
    )
    with (
        LedgerlyAccounts() as accounts,
        Ledgerly(accounts=accounts) as ledgerly,
        pytest.raises(LedgerlyError) as failed,
    ):
        ledgerly.request("POST", "journals", json={"note": f"echo {ACCESS_TOKEN}"})
    error = failed.value
    told = " ".join([str(error), repr(error), error.message, error.raw_body, caplog.text])
    assert "[redacted]" in told
    for secret in SECRETS:
        assert secret not in told
    assert "ledgerly POST /journals ->" in caplog.text
