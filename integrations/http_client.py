"""The HTTP client every provider's API client is built on (as Sentry's `BaseApiClient`).

A provider's client subclasses `ApiClient` and keeps only what is its own: its paths and
shapes, its auth header, and `read_answer`, the hook that turns an answer into the result or
into the provider's typed error. The base keeps the promises every client makes to callers:

- one `httpx.Client` per connection: timeouts, no redirects followed (credentials must not
  travel to another host), and for an address a person typed (`typed_url`) every connection
  through `GuardedTransport` (HTTPS, public addresses only) with no proxy from the environment;
- every request takes a slot of the company's request budget first (`rate_limiter`);
- reads are retried on retryable errors with backoff, bounded by `max_retries`; writes are
  never re-sent after an unknown outcome (timeout, 5xx, dropped connection): only a refusal the
  provider did not process (429) is waited out, and only within the limiter's `max_wait`;
- a 429's Retry-After makes every process sharing the budget wait (`penalize`), on the
  budget's window the error names (`RateLimited.window`: a daily quota spent);
- no raw httpx error escapes: a failure is one of the provider's errors, each also one of the
  ledger's neutral errors (`accounting.providers`: Unavailable, RateLimited, AuthRefused, ...);
- on a refusal of our credentials, `refresh_credentials` may renew them (OAuth): the request is
  then sent again, once;
- nothing secret (`secrets()`: keys, tokens, the auth headers' values) is logged or kept in an
  error's message or raw body. Secrets never go in a URL (httpx itself logs URLs).
"""

import datetime
import email.utils
import logging
import threading
import time
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Any, ClassVar, Generic, Protocol, Self, TypeVar

import httpx
from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt

from accounting.providers import AuthRefused, ProviderError, RateLimited, Unavailable
from integrations.provider_urls import GuardedTransport, ProviderUrlError

T = TypeVar("T")

USER_AGENT = "SiFi-Accounting-Sync/1.0 (+https://sifi.sa)"
MAX_BACKOFF_SECONDS = 10.0
REDACTED = "[redacted]"
# Shorter "secrets" are not real credentials (test placeholders); cutting them out of every
# message would only garble words.
MIN_SECRET_LENGTH = 8
# Methods that change nothing: re-sent after an unknown outcome unless a request says otherwise.
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class RequestLimiter(Protocol):
    """What the client asks of a company's request budget (`integrations.ratelimit`)."""

    def acquire(self) -> None:
        """Block until one request may go; RateLimited if that would take too long."""
        ...

    def penalize(self, seconds: float, *, window: str | None = None) -> None:
        """The provider answered 429: nobody sends for `seconds` (on the `window` it said is
        spent; None: the first)."""
        ...

    def may_wait(self, seconds: float) -> bool:
        """Whether a wait this long is one to sleep through here, not the caller's to take."""
        ...


@dataclass(frozen=True)
class ErrorTypes:
    """A provider's error classes for what the base itself recognises. Each is the provider's
    subclass of a neutral error (its `errors.py`), so callers may catch either."""

    base: type[ProviderError]  # every error of this provider; an unknown answer
    unavailable: type[Unavailable]  # timeout, dropped connection, 5xx, not JSON, a redirect
    rate_limited: type[RateLimited]  # 429
    auth_refused: type[AuthRefused]  # 401/403
    unsafe_address: type[ProviderError] | None = None  # a typed URL we will not call


def retry_after_seconds(response: httpx.Response) -> float:
    """A 429's Retry-After (seconds or an HTTP date) in seconds; 1 s when it gives none."""
    value = response.headers.get("Retry-After", "").strip()
    if not value:
        return 1.0
    try:
        return max(0.0, float(value))
    except ValueError:
        parsed = email.utils.parsedate_to_datetime(value)
        if parsed is None:
            return 1.0
        return max(0.0, (parsed - datetime.datetime.now(datetime.UTC)).total_seconds())


def redact(text: str, secrets: list[str]) -> str:
    """`text` with every secret (as is, or URL-encoded) replaced by "[redacted]"."""
    for secret in sorted(secrets, key=len, reverse=True):
        if len(secret) < MIN_SECRET_LENGTH:
            continue
        for variant in {secret, urllib.parse.quote(secret, safe="")}:
            text = text.replace(variant, REDACTED)
    return text


class Closable(Protocol):
    def close(self) -> None: ...


ClientT = TypeVar("ClientT", bound=Closable)


class ClientSession(Generic[ClientT]):
    """A provider session over one client: used as a context manager, it closes the client
    on the way out (every provider's `ProviderSession` is one)."""

    client: ClientT

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.client.close()


class ApiClient:
    """A connection to one provider company's API. Use as a context manager.

    A subclass sets `name` and `errors`, passes its base URL and timeout, and overrides the
    hooks it needs: `auth_headers`, `read_answer`, `refresh_credentials`, `secrets`,
    `retry_base_seconds`. Its methods call `request`."""

    name: ClassVar[str]  # the provider, in messages ("<name> did not answer in time.")
    errors: ClassVar[ErrorTypes]
    # The base URL is a person's input (an instance address), not the provider's own host.
    typed_url: ClassVar[bool] = False

    def __init__(
        self,
        base_url: str,
        *,
        timeout: float,
        rate_limiter: RequestLimiter | None = None,
        max_retries: int = 3,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.rate_limiter = rate_limiter
        self.max_retries = max_retries
        self.logger = logging.getLogger(type(self).__module__)
        base_url = base_url.rstrip("/")
        if transport is None and self.typed_url:
            transport = GuardedTransport(scheme=httpx.URL(base_url).scheme)
        self._http = httpx.Client(
            base_url=base_url + "/",
            headers={"User-Agent": USER_AGENT, "Accept": "application/json"},
            timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
            follow_redirects=False,
            # A proxy would connect for us, unchecked.
            trust_env=not self.typed_url,
            transport=transport,
        )
        # Bumped on every renewal of the credentials: a request refused with older ones is
        # sent again without renewing twice (several threads may share a client).
        self._credentials_generation = 0
        self._refresh_lock = threading.Lock()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    # --- hooks ------------------------------------------------------------------------------

    def auth_headers(self) -> dict[str, str]:
        """Headers that carry the credentials, asked for every request (they may change)."""
        return {}

    def secrets(self) -> list[str]:
        """Every secret this client holds, never to be logged or kept in an error. The
        default: the auth headers' values and their credential part (after "Bearer ")."""
        values = [value for value in self.auth_headers().values() if value]
        return [*values, *(value.split()[-1] for value in values)]

    def refresh_credentials(self, refusal: AuthRefused) -> bool:
        """The provider refused our credentials: renew them (OAuth: a new access token) and
        say True to send the request again, once. False (the default): the refusal stands.
        Called under a lock (one renewal for requests refused together): renew through
        another client (the token endpoint is another API), never through this one."""
        return False

    @property
    def retry_base_seconds(self) -> float:
        """The first backoff before a retry; then twice as long each time (at most 10 s)."""
        return 0.5

    def read_answer(self, response: httpx.Response) -> Any:
        """What an answer gives the caller, or the provider's typed error it means. A
        subclass handles its own cases (errors that come with HTTP 200, special statuses) and
        leaves the rest here: 3xx, 401/403, 429, 5xx and other statuses as errors; a 2xx its
        JSON (None when empty)."""
        status = response.status_code
        if 300 <= status < 400:
            raise self.errors.unavailable(
                f"{self.name} answered with a redirect; it was not followed, to keep the key safe.",
                status_code=status,
                raw_body=response.headers.get("Location", ""),
            )
        if status in (401, 403):
            raise self.errors.auth_refused(
                f"{self.name} refused the request (HTTP {status}).",
                status_code=status,
                raw_body=response.text,
            )
        if status == 429:
            retry_after = retry_after_seconds(response)
            raise self.errors.rate_limited(
                f"{self.name} asked us to slow down (retry after {retry_after:g} s).",
                retry_after=retry_after,
                raw_body=response.text,
            )
        if status >= 500:
            raise self.errors.unavailable(
                f"{self.name} had a problem on its side (HTTP {status}).",
                status_code=status,
                raw_body=response.text,
            )
        if not 200 <= status < 300:
            raise self.errors.base(
                f"{self.name} answered HTTP {status}.", status_code=status, raw_body=response.text
            )
        return self.json_body(response) if response.content else None

    # --- for subclasses ---------------------------------------------------------------------

    def json_body(self, response: httpx.Response) -> Any:
        """The answer's JSON; Unavailable if it is not JSON (a login page, a proxy's error)."""
        try:
            return response.json()
        except ValueError:
            raise self.errors.unavailable(
                f"{self.name} answered with something that is not JSON.",
                status_code=response.status_code,
                raw_body=response.text,
            ) from None

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        json: Any = None,
        data: Mapping[str, str] | None = None,
        files: Mapping[str, tuple[str, bytes, str]] | None = None,
        headers: Mapping[str, str] | None = None,
        idempotent: bool | None = None,
        label: str | None = None,
    ) -> Any:
        """Send one request within the budget, with bounded retries; what `read_answer` makes
        of the answer. Raises only the provider's errors (or the limiter's RateLimited).

        `idempotent`: whether sending it again after an unknown outcome is safe (None: GET,
        HEAD and OPTIONS are, other methods are not; a read over POST, or a write the provider
        dedupes by an idempotency key in `headers`, says True). `files` are sent as multipart,
        as bytes (a retry sends them again). `label` names the request in the log (default:
        the method and path)."""
        method = method.upper()
        if idempotent is None:
            idempotent = method in IDEMPOTENT_METHODS
        may_retry = self._may_retry_read if idempotent else self._may_retry_write
        arguments = {"params": params, "json": json, "data": data, "files": files}
        what = label or f"{method} /{path}"

        def attempt() -> Any:
            return self._attempt(method, path, what, headers or {}, arguments)

        return self._with_retries(attempt, should_retry=may_retry)

    # --- plumbing ---------------------------------------------------------------------------

    def _may_retry_read(self, exc: BaseException) -> bool:
        # The limiter's own refusal (past `max_wait`) is not the provider's: never retried.
        return isinstance(exc, self.errors.base) and exc.retryable

    def _may_retry_write(self, exc: BaseException) -> bool:
        return isinstance(exc, self.errors.rate_limited)

    def _with_retries(
        self, send: Callable[[], T], *, should_retry: Callable[[BaseException], bool]
    ) -> T:
        """Run `send`, retrying what `should_retry` accepts at most `max_retries` times: a 429
        after its Retry-After, anything else after base, 2*base, 4*base ... (at most 10 s).

        A 429 is waited out here only within the limiter's `max_wait`; a longer wait goes to
        the caller (the sync engine defers the company's work instead of sleeping)."""
        base_seconds = self.retry_base_seconds

        def may_wait(exc: BaseException) -> bool:
            if not isinstance(exc, RateLimited) or self.rate_limiter is None:
                return True
            return self.rate_limiter.may_wait(exc.retry_after)

        def wait(state: RetryCallState) -> float:
            exc = state.outcome.exception() if state.outcome else None
            if isinstance(exc, RateLimited):
                return exc.retry_after
            return min(MAX_BACKOFF_SECONDS, base_seconds * 2 ** (state.attempt_number - 1))

        retrying = Retrying(
            retry=retry_if_exception(lambda exc: should_retry(exc) and may_wait(exc)),
            stop=stop_after_attempt(self.max_retries + 1),
            wait=wait,
            reraise=True,
            sleep=time.sleep,
        )
        return retrying(send)

    def _attempt(
        self, method: str, path: str, what: str, headers: Mapping[str, str], arguments: Any
    ) -> Any:
        """One try; sent a second time only if the credentials were renewed after the
        provider refused them."""
        try:
            generation = self._credentials_generation
            response = self._exchange(method, path, what, headers, arguments)
            try:
                return self._read(response)
            except AuthRefused as refusal:
                if not self._renewed(refusal, generation):
                    raise
            return self._read(self._exchange(method, path, what, headers, arguments))
        except ProviderError as error:
            self._redact(error)
            raise

    def _exchange(
        self, method: str, path: str, what: str, headers: Mapping[str, str], arguments: Any
    ) -> httpx.Response:
        """Send once, within the budget; a transport failure becomes the provider's error."""
        if self.rate_limiter is not None:
            self.rate_limiter.acquire()
        started = time.monotonic()
        try:
            response = self._http.request(
                method, path, headers={**self.auth_headers(), **headers}, **arguments
            )
        except ProviderUrlError as exc:
            self._log(what, "refused address", started)
            refused = self.errors.unsafe_address or self.errors.auth_refused
            raise refused(exc.message) from None
        except httpx.TimeoutException:
            self._log(what, "timeout", started)
            raise self.errors.unavailable(f"{self.name} did not answer in time.") from None
        except httpx.HTTPError as exc:
            self._log(what, "connection error", started)
            raise self.errors.unavailable(
                f"Could not reach {self.name} ({type(exc).__name__})."
            ) from None
        self._log(what, response.status_code, started)
        return response

    def _read(self, response: httpx.Response) -> Any:
        try:
            return self.read_answer(response)
        except RateLimited as limited:
            if self.rate_limiter is not None:
                self.rate_limiter.penalize(limited.retry_after, window=limited.window)
            raise

    def _renewed(self, refusal: AuthRefused, generation: int) -> bool:
        """Whether credentials newer than those of a refused request are there to use."""
        with self._refresh_lock:
            if self._credentials_generation != generation:
                return True  # another thread renewed them meanwhile
            if not self.refresh_credentials(refusal):
                return False
            self._credentials_generation += 1
        self.logger.info("%s credentials renewed after a refusal", self.name.lower())
        return True

    def _redact(self, error: ProviderError) -> None:
        secrets = self.secrets()
        error.message = redact(error.message, secrets)
        error.args = (error.message, *error.args[1:])
        error.raw_body = redact(error.raw_body, secrets)

    def _log(self, what: str, outcome: object, started: float) -> None:
        elapsed_ms = (time.monotonic() - started) * 1000
        what = redact(what, self.secrets())
        self.logger.info("%s %s -> %s in %.0f ms", self.name.lower(), what, outcome, elapsed_ms)
