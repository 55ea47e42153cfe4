"""Wafeq's request limit: one shared budget per Wafeq API key (one organization), every worker
process together. Wafeq publishes no numbers (providers-api.md §3.6): 60 requests a minute by
default, configurable; a 429 makes every process wait as long as Wafeq says
(`RedisRateLimiter.penalize`, through the client)."""

from django.conf import settings

from integrations.ratelimit import SAFETY_MARGIN_SECONDS, RedisRateLimiter, bucket_for_credential

DEFAULT_REQUESTS_PER_MINUTE = 60


def bucket_for_api_key(api_key: str) -> str:
    """Same key, same bucket: a digest of the key; the key itself never goes to Redis."""
    return bucket_for_credential(api_key)


def limiter_for_api_key(
    api_key: str,
    *,
    per_minute: int = DEFAULT_REQUESTS_PER_MINUTE,
    redis_url: str | None = None,
    max_wait: float | None = None,
) -> RedisRateLimiter:
    """The budget every client of this key shares: at most `per_minute` requests in any
    minute (and a half-second margin, so Wafeq's own window never sees more)."""
    return RedisRateLimiter(
        redis_url=redis_url or settings.REDIS_URL,
        bucket=bucket_for_api_key(api_key),
        limit=per_minute,
        period_seconds=60.0 + SAFETY_MARGIN_SECONDS,
        namespace="wafeq",
        provider_name="Wafeq",
        max_wait=max_wait,
    )
