"""One request budget per provider company, shared by every process (Redis).

A sliding-window log kept in a Redis sorted set and updated by one Lua script, so N Celery
workers together never send more than `limit` requests in any `period_seconds` window. Time
comes from the Redis server (one clock for every process). After a 429 every process waits
(`penalize`).

The limiter is also the ledger's `RequestBudget` (`accounting.providers`): the sync engine
asks it how long until the next slot (`wait_seconds`, taking none) and defers a company's
work rather than sleeping on it; `max_wait` makes `acquire` refuse (RateLimited) instead of
sleeping longer than that.
"""

import hashlib
import itertools
import os
import time
import uuid

import redis

from accounting.providers import RateLimited

_ACQUIRE = """
local now = redis.call('TIME')
local now_ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
local penalty_until = tonumber(redis.call('GET', KEYS[2]) or '0')
if penalty_until > now_ms then
  return penalty_until - now_ms
end
local limit = tonumber(ARGV[1])
local period_ms = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now_ms - period_ms)
if redis.call('ZCARD', KEYS[1]) < limit then
  redis.call('ZADD', KEYS[1], now_ms, ARGV[3])
  redis.call('PEXPIRE', KEYS[1], period_ms)
  return 0
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return math.max(1, tonumber(oldest[2]) + period_ms - now_ms)
"""

# The wait `_ACQUIRE` would answer, without taking a slot; and the requests in the window.
_PEEK = """
local now = redis.call('TIME')
local now_ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
local penalty_until = tonumber(redis.call('GET', KEYS[2]) or '0')
local period_ms = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now_ms - period_ms)
local used = redis.call('ZCARD', KEYS[1])
local wait = 0
if penalty_until > now_ms then
  wait = penalty_until - now_ms
elseif used >= tonumber(ARGV[1]) then
  local nth = used - tonumber(ARGV[1])
  local oldest = redis.call('ZRANGE', KEYS[1], nth, nth, 'WITHSCORES')
  wait = math.max(1, tonumber(oldest[2]) + period_ms - now_ms)
end
return {wait, used}
"""

_PENALIZE = """
local now = redis.call('TIME')
local now_ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
local until_ms = now_ms + tonumber(ARGV[1])
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if until_ms > current then
  redis.call('SET', KEYS[1], until_ms, 'PX', tonumber(ARGV[1]))
end
return until_ms
"""

# Requests leave our process a little before they reach the provider; keep a margin so the
# provider's own window never sees more than the limit.
SAFETY_MARGIN_SECONDS = 0.5

_connections: dict[str, redis.Redis] = {}


def _redis(url: str) -> redis.Redis:
    if url not in _connections:
        _connections[url] = redis.Redis.from_url(url)
    return _connections[url]


class RedisRateLimiter:
    """At most `limit` requests in any `period_seconds` window, across all processes sharing
    `bucket`."""

    def __init__(
        self,
        *,
        redis_url: str,
        bucket: str,
        limit: int,
        period_seconds: float = 60.0,
        namespace: str = "provider",
        provider_name: str = "The accounting system",
        max_wait: float | None = None,
    ) -> None:
        if limit < 1:
            raise ValueError("limit must be at least 1")
        self.limit = limit
        self.period_ms = int(period_seconds * 1000)
        self._redis = _redis(redis_url)
        self.provider_name = provider_name
        self.key = bucket
        # The longest `acquire` sleeps for a slot (None: as long as it takes).
        self.max_wait = max_wait
        self._keys = [f"{namespace}:ratelimit:{bucket}", f"{namespace}:ratelimit:{bucket}:penalty"]
        self._acquire = self._redis.register_script(_ACQUIRE)
        self._penalize = self._redis.register_script(_PENALIZE)
        self._peek = self._redis.register_script(_PEEK)
        self._ids = itertools.count()
        self._process = f"{os.getpid()}-{uuid.uuid4().hex[:8]}"

    def try_acquire(self) -> float:
        """Take a slot now if there is one: 0.0, else the seconds to wait before trying again."""
        member = f"{self._process}-{next(self._ids)}"
        wait_ms = int(self._acquire(keys=self._keys, args=[self.limit, self.period_ms, member]))
        return wait_ms / 1000

    @property
    def period_seconds(self) -> float:
        return self.period_ms / 1000

    def wait_seconds(self) -> float:
        """Seconds until a request may go (0.0: now), taking no slot."""
        wait_ms, _used = self._peek(keys=self._keys, args=[self.limit, self.period_ms])
        return int(wait_ms) / 1000

    def used(self) -> int:
        """Requests sent in the current window, by every process."""
        _wait_ms, used = self._peek(keys=self._keys, args=[self.limit, self.period_ms])
        return int(used)

    def may_wait(self, seconds: float) -> bool:
        """Whether a wait this long is one to sleep through here (within `max_wait`); a
        longer one goes back to the caller, who defers the work instead."""
        return self.max_wait is None or seconds <= self.max_wait

    def acquire(self, timeout: float | None = None) -> None:
        """Block until this process may send one request. Raises RateLimited if that would
        take longer than `timeout` seconds (default: `max_wait`)."""
        timeout = self.max_wait if timeout is None else timeout
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            wait = self.try_acquire()
            if wait <= 0:
                return
            if deadline is not None and time.monotonic() + wait > deadline:
                raise RateLimited(
                    f"{self.provider_name}'s request limit is reached; try again shortly.",
                    retry_after=wait,
                )
            time.sleep(wait)

    def penalize(self, seconds: float) -> None:
        """Make every process sharing this bucket wait `seconds` (the provider answered 429)."""
        if seconds > 0:
            self._penalize(keys=[self._keys[1]], args=[int(seconds * 1000)])

    def reset(self) -> None:
        self._redis.delete(*self._keys)


def bucket_for_credential(credential: str) -> str:
    """Same company, same credential, same bucket. The credential itself never goes to Redis."""
    return hashlib.sha256(credential.encode()).hexdigest()[:24]
