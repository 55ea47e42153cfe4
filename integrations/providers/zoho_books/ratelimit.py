"""Zoho Books' request budget: one per Zoho organization, every worker process together, of
two windows at once (providers-api.md §2.6): 100 requests in any minute, and the daily quota
of the organization's plan (Free 1,000 … Premium 10,000; set on the configuration page).

The day is a sliding 24 hours: when Zoho resets its count is not documented, and at most N in
any 24 hours is also at most N in any calendar day, wherever Zoho draws the line. Zoho saying
the quota is spent anyway (code 45) penalizes the "day" window (`ZohoBooksDailyQuotaSpent`)
for ZOHO_QUOTA_PROBE_SECONDS, and from then on until Zoho answers again the budget lets one
request at a time through, the probe: every other worker's request waits for its outcome
(Zoho answered: they go on; code 45 again: they are deferred with it), so the organization's
workers ask Zoho once per probe period, not once each.
"""

import re
import threading
import time

from django.conf import settings

from accounting.providers import RateLimited
from integrations.ratelimit import (
    SAFETY_MARGIN_SECONDS,
    RedisRateLimiter,
    Window,
    bucket_for_credential,
)

PER_MINUTE = 100
DEFAULT_DAILY_QUOTA = 1_000
MINUTE = "minute"
DAY = "day"

# A spent quota is remembered at most this long without a probe answering (then forgotten).
SPENT_REMEMBERED_SECONDS = 2 * 86_400
# How long the probe may take before another worker may probe instead (a timeout, a crash).
PROBE_HOLD_SECONDS = 60.0
PROBE_POLL_SECONDS = 0.05

_PLAIN_ID = re.compile(r"^[0-9A-Za-z_-]{1,64}$")


def bucket_for_organization(organization_id: str) -> str:
    """Same Zoho organization, same bucket, whichever connection asks: the organization id
    itself (a digit string, not a secret; it keeps Redis keys readable), or a digest of it if
    it is anything else."""
    organization_id = organization_id.strip()
    if not organization_id:
        raise ValueError("a Zoho organization id is needed for its request budget")
    if _PLAIN_ID.match(organization_id):
        return f"org-{organization_id}"
    return bucket_for_credential(organization_id)


def budget_windows(
    daily_quota: int = DEFAULT_DAILY_QUOTA, *, per_minute: int = PER_MINUTE
) -> list[Window]:
    """The two windows; each a little longer than Zoho's, so requests on their way never make
    Zoho count more than its limit."""
    return [
        Window(per_minute, 60.0 + SAFETY_MARGIN_SECONDS, MINUTE),
        Window(daily_quota, 86_400.0 + SAFETY_MARGIN_SECONDS, DAY),
    ]


class OrganizationBudget(RedisRateLimiter):
    """The organization's two windows, and after a code 45 one probe at a time until Zoho
    answers again (see the module's docstring). The client tells it of every answer Zoho gave
    (`answered`)."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self._spent_key = f"zoho_books:quota:{self.key}:spent"
        self._probe_key = f"zoho_books:quota:{self.key}:probe"
        self._probing = threading.local()  # whether this thread's request is the probe

    def acquire(self, timeout: float | None = None) -> None:
        # This thread's probe sent again (a renewed token, a retry) stays the probe.
        if getattr(self._probing, "on", False) or not self._redis.exists(self._spent_key):
            return super().acquire(timeout)
        timeout = self.max_wait if timeout is None else timeout
        deadline = time.monotonic() + (PROBE_HOLD_SECONDS if timeout is None else timeout)
        while True:
            if self.wait_seconds() > 0:  # the probe was refused: the day window waits again
                return super().acquire(timeout)
            if not self._redis.exists(self._spent_key):  # the probe was answered
                return super().acquire(timeout)
            if self._redis.set(self._probe_key, "1", nx=True, px=int(PROBE_HOLD_SECONDS * 1000)):
                self._probing.on = True
                return super().acquire(timeout)
            if time.monotonic() >= deadline:
                left = max(self._redis.pttl(self._probe_key), 50) / 1000
                raise RateLimited(self._refusal(left), retry_after=left, window=DAY)
            time.sleep(PROBE_POLL_SECONDS)

    def penalize(self, seconds: float, *, window: str | None = None) -> None:
        super().penalize(seconds, window=window)
        if window == DAY:
            self._redis.set(self._spent_key, "1", ex=SPENT_REMEMBERED_SECONDS)
            self._redis.delete(self._probe_key)  # the next probe, once the day window opens
            self._probing.on = False

    def answered(self) -> None:
        """Zoho answered a request of this thread (not a code 45): if it was the probe, the
        quota is back for every worker."""
        if getattr(self._probing, "on", False):
            self._redis.delete(self._spent_key, self._probe_key)
            self._probing.on = False

    def reset(self) -> None:
        super().reset()
        self._redis.delete(self._spent_key, self._probe_key)


def limiter_for_organization(
    organization_id: str,
    *,
    daily_quota: int = DEFAULT_DAILY_QUOTA,
    max_wait: float | None = None,
    redis_url: str | None = None,
) -> OrganizationBudget:
    """The organization's budget (`ZOHO_RATE_LIMIT_PER_MINUTE`, Zoho's 100, a minute and
    `daily_quota` a day), shared with every process that talks to the same Zoho
    organization."""
    per_minute = settings.ZOHO_RATE_LIMIT_PER_MINUTE
    return OrganizationBudget(
        redis_url=redis_url or settings.REDIS_URL,
        bucket=bucket_for_organization(organization_id),
        windows=budget_windows(daily_quota, per_minute=per_minute),
        namespace="zoho_books",
        provider_name="Zoho Books",
        max_wait=max_wait,
    )
