"""Odoo's request limit. Odoo documents none (providers-api.md §1.8): an instance is limited
by its workers. Ours is one shared budget per instance (its URL: several databases on one
server share its workers), every worker process together, of
`settings.ODOO_RATE_LIMIT_PER_SECOND` requests in any second (default 10)."""

from django.conf import settings

from integrations.ratelimit import RedisRateLimiter, bucket_for_credential


def bucket_for_instance(url: str) -> str:
    """Same instance, same bucket (a digest of its URL)."""
    return bucket_for_credential(url.rstrip("/").lower())


def limiter_for_instance(url: str, *, max_wait: float | None = None) -> RedisRateLimiter:
    # No margin on the window: the limit is ours, not a provider's window to stay inside.
    return RedisRateLimiter(
        redis_url=settings.REDIS_URL,
        bucket=bucket_for_instance(url),
        limit=max(1, int(settings.ODOO_RATE_LIMIT_PER_SECOND)),
        period_seconds=1.0,
        namespace="odoo",
        provider_name="Odoo",
        max_wait=max_wait,
    )
