"""Qoyod's request limit: one shared budget per Qoyod company (per API key), every worker
process together (settings.QOYOD_RATE_LIMIT_PER_MINUTE, 300 by Qoyod's documentation)."""

from django.conf import settings

from integrations.ratelimit import SAFETY_MARGIN_SECONDS, RedisRateLimiter, bucket_for_credential


def bucket_for_api_key(api_key: str) -> str:
    """Same Qoyod tenant, same key, same bucket. The key itself never goes to Redis."""
    return bucket_for_credential(api_key)


def limiter_for_api_key(api_key: str, *, max_wait: float | None = None) -> RedisRateLimiter:
    return RedisRateLimiter(
        redis_url=settings.REDIS_URL,
        bucket=bucket_for_api_key(api_key),
        limit=settings.QOYOD_RATE_LIMIT_PER_MINUTE,
        period_seconds=60.0 + SAFETY_MARGIN_SECONDS,
        namespace="qoyod",
        provider_name="Qoyod",
        max_wait=max_wait,
    )
