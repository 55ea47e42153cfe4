"""Bounded retries for the provider clients: when to try again, after how long,
and when a wait is the caller's to take instead.

Each client says which of its errors may be retried (reads: any retryable one; writes: only a
refusal the provider did not process) and its backoff base; the rest is the same for both.
"""

import datetime
import email.utils
import time
from collections.abc import Callable
from typing import TypeVar

import httpx
from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt

from accounting.providers import RateLimited
from integrations.ratelimit import RedisRateLimiter

T = TypeVar("T")

MAX_BACKOFF_SECONDS = 10.0


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


def call_with_retries(
    send: Callable[[], T],
    *,
    should_retry: Callable[[BaseException], bool],
    max_retries: int,
    base_seconds: float,
    rate_limiter: RedisRateLimiter | None,
) -> T:
    """Run `send`, retrying what `should_retry` accepts at most `max_retries` times: a 429
    after its Retry-After, anything else after base, 2*base, 4*base ... (at most 10 s).

    A 429 is waited out here only within the limiter's `max_wait`; a longer wait goes to the
    caller (the sync engine defers the company's work instead of sleeping)."""

    def may_wait(exc: BaseException) -> bool:
        if not isinstance(exc, RateLimited) or rate_limiter is None:
            return True
        return rate_limiter.may_wait(exc.retry_after)

    def wait(state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, RateLimited):
            return exc.retry_after
        return min(MAX_BACKOFF_SECONDS, base_seconds * 2 ** (state.attempt_number - 1))

    retrying = Retrying(
        retry=retry_if_exception(lambda exc: should_retry(exc) and may_wait(exc)),
        stop=stop_after_attempt(max_retries + 1),
        wait=wait,
        reraise=True,
        sleep=time.sleep,
    )
    return retrying(send)
