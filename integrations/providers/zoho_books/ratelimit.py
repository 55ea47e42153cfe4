"""Zoho Books' request budget: one per Zoho organization, every worker process together, of
two windows at once (providers-api.md §2.6): 100 requests in any minute, and the daily quota
of the organization's plan (Free 1,000 … Premium 10,000; set on the configuration page).

The day is a sliding 24 hours: when Zoho resets its count is not documented, and at most N in
any 24 hours is also at most N in any calendar day, wherever Zoho draws the line. Zoho saying
the quota is spent anyway (code 45) penalizes the "day" window (`ZohoBooksDailyQuotaSpent`).
"""

import re

from django.conf import settings

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


def limiter_for_organization(
    organization_id: str,
    *,
    daily_quota: int = DEFAULT_DAILY_QUOTA,
    max_wait: float | None = None,
    redis_url: str | None = None,
) -> RedisRateLimiter:
    """The organization's budget (`ZOHO_RATE_LIMIT_PER_MINUTE`, Zoho's 100, a minute and
    `daily_quota` a day), shared with every process that talks to the same Zoho
    organization."""
    per_minute = settings.ZOHO_RATE_LIMIT_PER_MINUTE
    return RedisRateLimiter(
        redis_url=redis_url or settings.REDIS_URL,
        bucket=bucket_for_organization(organization_id),
        windows=budget_windows(daily_quota, per_minute=per_minute),
        namespace="zoho_books",
        provider_name="Zoho Books",
        max_wait=max_wait,
    )
