"""Wafeq's request budget on the real Redis: 60 requests a minute per API key by default
(configurable), a bucket named by a digest of the key, and a 429 that makes every process
sharing the key wait."""

import uuid

import httpx
import pytest
import redis
from django.conf import settings

from accounting.providers import RateLimited
from integrations.providers.wafeq.client import WafeqClient
from integrations.providers.wafeq.ratelimit import bucket_for_api_key, limiter_for_api_key
from tests.providers.wafeq.conftest import WAFEQ, page


@pytest.fixture
def api_key():
    key = f"wafeq_live_{uuid.uuid4().hex}"
    yield key
    limiter_for_api_key(key).reset()


def test_sixty_requests_a_minute_by_default(api_key):
    limiter = limiter_for_api_key(api_key)
    assert (limiter.limit, limiter.period_seconds) == (60, 60.5)
    assert all(limiter.try_acquire() == 0 for _ in range(60))
    assert limiter.try_acquire() > 0  # the 61st waits for the window
    assert limiter.used() == 60


def test_the_limit_is_an_argument(api_key):
    limiter = limiter_for_api_key(api_key, per_minute=5)
    assert [limiter.try_acquire() == 0 for _ in range(6)] == [True] * 5 + [False]


def test_a_full_budget_refuses_past_max_wait_instead_of_sleeping(api_key):
    limiter = limiter_for_api_key(api_key, per_minute=1, max_wait=0.1)
    limiter.acquire()
    with pytest.raises(RateLimited) as caught:
        limiter.acquire()
    assert "Wafeq" in caught.value.message


def test_the_bucket_is_a_digest_never_the_key(api_key):
    limiter = limiter_for_api_key(api_key)
    limiter.acquire()
    bucket = bucket_for_api_key(api_key)
    assert bucket == bucket_for_api_key(api_key) != bucket_for_api_key(api_key + "x")
    assert api_key not in bucket
    names = [name.decode() for name in redis.Redis.from_url(settings.REDIS_URL).keys("wafeq:*")]
    assert f"wafeq:ratelimit:{bucket}" in names
    assert not any(api_key in name for name in names)


def test_every_request_takes_a_slot_and_a_429_makes_everyone_wait(api_key, respx_mock):
    limiter = limiter_for_api_key(api_key)
    respx_mock.get(f"{WAFEQ}/tax-rates/").mock(
        side_effect=[
            httpx.Response(200, json=page([])),
            httpx.Response(429, headers={"Retry-After": "30"}),
        ]
    )
    with WafeqClient(api_key, base_url=WAFEQ, rate_limiter=limiter, max_retries=0) as client:
        client.tax_rates()
        assert limiter.used() == 1
        with pytest.raises(RateLimited):
            client.tax_rates()
    # Another process sharing the key sees the penalty.
    assert 25 < limiter_for_api_key(api_key).wait_seconds() <= 30
