"""The shared Qoyod rate limiter, on the real Redis, across real processes."""

import json
import subprocess
import sys
import textwrap
import uuid
from pathlib import Path

import pytest
from django.conf import settings

from accounting.providers import RateLimited
from integrations.providers.qoyod.ratelimit import bucket_for_api_key
from integrations.ratelimit import RedisRateLimiter

ROOT = Path(__file__).resolve().parents[2]

# Each worker process takes slots as fast as the limiter allows for `seconds`, and prints the
# wall-clock instants at which it was allowed to send.
WORKER = textwrap.dedent(
    """
    import json, sys, time
    from integrations.ratelimit import RedisRateLimiter

    url, bucket, limit, period, seconds = sys.argv[1:6]
    limiter = RedisRateLimiter(
        redis_url=url, bucket=bucket, limit=int(limit), period_seconds=float(period)
    )
    print("ready", flush=True)
    sys.stdin.readline()  # start together
    granted = []
    end = time.time() + float(seconds)
    while time.time() < end:
        limiter.acquire()
        now = time.time()
        if now >= end:
            break
        granted.append(now)
    print(json.dumps(granted), flush=True)
    """
)


@pytest.fixture
def bucket():
    name = f"test-{uuid.uuid4().hex[:12]}"
    yield name
    RedisRateLimiter(redis_url=settings.REDIS_URL, bucket=name, limit=1).reset()


def _most_in_any_window(instants: list[float], window: float) -> int:
    instants = sorted(instants)
    most, start = 0, 0
    for end, t in enumerate(instants):
        while t - instants[start] >= window:
            start += 1
        most = max(most, end - start + 1)
    return most


def test_two_processes_sharing_the_limiter_together_stay_within_the_limit(bucket):
    limit, period, seconds = 10, 1.0, 3.2
    args = [settings.REDIS_URL, bucket, str(limit), str(period), str(seconds)]
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, *args],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    for worker in workers:
        assert worker.stdout is not None and worker.stdout.readline().strip() == "ready"
    for worker in workers:
        assert worker.stdin is not None
        worker.stdin.write("go\n")
        worker.stdin.flush()
    per_process = [json.loads(worker.communicate(timeout=30)[0]) for worker in workers]

    everything = [t for granted in per_process for t in granted]
    # Both processes got a share (the bucket really is shared, not one per process) ...
    assert all(len(granted) >= 3 for granted in per_process)
    # ... together they used the budget (about limit per period, not far less) ...
    assert len(everything) >= limit * 3
    # ... and never more than `limit` in any window of `period` (a few ms of slack for the
    # time between Redis granting a slot and the process reading its clock).
    assert _most_in_any_window(everything, period - 0.05) <= limit
    # Alone, each process would have taken `limit` per period: twice as many in total.
    assert len(everything) <= limit * (int(seconds / period) + 1)


def test_a_429_penalty_makes_every_process_wait(bucket):
    first = RedisRateLimiter(redis_url=settings.REDIS_URL, bucket=bucket, limit=100)
    second = RedisRateLimiter(redis_url=settings.REDIS_URL, bucket=bucket, limit=100)
    assert first.try_acquire() == 0
    first.penalize(5)
    wait = second.try_acquire()
    assert 4 < wait <= 5
    with pytest.raises(RateLimited) as caught:
        second.acquire(timeout=0.1)
    assert caught.value.retry_after > 4


def test_a_full_window_tells_how_long_to_wait(bucket):
    limiter = RedisRateLimiter(
        redis_url=settings.REDIS_URL, bucket=bucket, limit=2, period_seconds=2
    )
    assert limiter.try_acquire() == 0
    assert limiter.try_acquire() == 0
    assert 1.5 < limiter.try_acquire() <= 2


def test_the_bucket_is_per_key_and_never_holds_the_key_itself():
    key = "qk_live_secret_1234"
    assert bucket_for_api_key(key) == bucket_for_api_key(key)
    assert bucket_for_api_key(key) != bucket_for_api_key(key + "5")
    assert key not in bucket_for_api_key(key)
