"""The shared rate limiter (Qoyod's, Odoo's, and budgets of several windows), on the real
Redis, across real processes."""

import json
import subprocess
import sys
import textwrap
import threading
import uuid
from pathlib import Path

import pytest
from django.conf import settings

from accounting.providers import RateLimited
from integrations.providers.qoyod.ratelimit import bucket_for_api_key
from integrations.ratelimit import RedisRateLimiter, Window

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
    windows = [Window(1, 86_400.0, "day"), Window(1, 60.0, "minute")]
    RedisRateLimiter(redis_url=settings.REDIS_URL, bucket=name, windows=windows).reset()


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


# --- budgets of several windows (Zoho Books: 100 a minute and a daily quota) --------------------

MINUTE, DAY = 60.0, 86_400.0


def two_windows(bucket, *, per_minute, per_day):
    return RedisRateLimiter(
        redis_url=settings.REDIS_URL,
        bucket=bucket,
        windows=[Window(per_day, DAY, "day"), Window(per_minute, MINUTE, "minute")],
    )


def test_a_request_takes_a_slot_in_every_window_and_the_longest_wait_is_the_budgets(bucket):
    budget = two_windows(bucket, per_minute=100, per_day=3)
    assert (budget.limit, budget.period_seconds) == (100, MINUTE)  # the shortest paces
    assert [budget.try_acquire() for _ in range(3)] == [0, 0, 0]
    wait = budget.try_acquire()  # the day is spent; the minute is not
    assert DAY - 5 < wait <= DAY
    assert DAY - 5 < budget.wait_seconds() <= DAY
    minute, day = budget.windows()
    assert (minute.name, minute.used, minute.wait_seconds) == ("minute", 3, 0)
    assert (day.name, day.used, day.limit) == ("day", 3, 3) and day.wait_seconds > DAY - 5
    assert budget.used() == 3  # the binding window's: the day


def test_a_window_that_refuses_leaves_no_slot_taken_in_the_others(bucket):
    budget = two_windows(bucket, per_minute=2, per_day=10)
    assert [budget.try_acquire() for _ in range(2)] == [0, 0]
    assert MINUTE - 5 < budget.try_acquire() <= MINUTE
    assert MINUTE - 5 < budget.try_acquire() <= MINUTE
    minute, day = budget.windows()
    assert (minute.used, day.used) == (2, 2)  # the refused requests took no day slot


def test_processes_racing_for_the_last_slots_of_the_day_never_overspend_any_window(bucket):
    budget = two_windows(bucket, per_minute=1_000, per_day=20)
    granted: list[int] = []

    def take() -> None:
        mine = two_windows(bucket, per_minute=1_000, per_day=20)
        granted.append(sum(1 for _ in range(40) if mine.try_acquire() == 0))

    threads = [threading.Thread(target=take) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(granted) == 20
    assert [window.used for window in budget.windows()] == [20, 20]


def test_the_provider_saying_the_daily_quota_is_spent_defers_on_the_day_window(bucket):
    budget = two_windows(bucket, per_minute=100, per_day=1_000)
    assert budget.try_acquire() == 0
    budget.penalize(900, window="day")  # Zoho's 429 code 45: probe again in 15 minutes
    assert 895 < budget.wait_seconds() <= 900
    minute, day = budget.windows()
    assert minute.wait_seconds == 0 and 895 < day.wait_seconds <= 900
    assert 895 < budget.try_acquire() <= 900  # nothing taken meanwhile
    assert [window.used for window in budget.windows()] == [1, 1]
    with pytest.raises(ValueError):
        budget.penalize(60, window="hour")


def test_a_budget_that_gains_a_window_keeps_what_its_first_window_counted(bucket):
    one = RedisRateLimiter(redis_url=settings.REDIS_URL, bucket=bucket, limit=100)
    assert [one.try_acquire() for _ in range(4)] == [0, 0, 0, 0]
    both = two_windows(bucket, per_minute=100, per_day=1_000)
    minute, day = both.windows()
    assert (minute.used, day.used) == (4, 0)
    assert [(w.name, w.limit, w.used) for w in one.windows()] == [("", 100, 4)]


def test_a_budget_is_one_window_or_named_windows():
    with pytest.raises(TypeError):
        RedisRateLimiter(redis_url=settings.REDIS_URL, bucket="b")
    with pytest.raises(TypeError):
        RedisRateLimiter(
            redis_url=settings.REDIS_URL, bucket="b", limit=1, windows=[Window(1, 1.0, "s")]
        )
    with pytest.raises(ValueError):
        RedisRateLimiter(
            redis_url=settings.REDIS_URL, bucket="b", windows=[Window(1, 1.0), Window(2, 60.0)]
        )
