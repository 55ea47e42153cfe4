"""One request budget per provider company, shared by every process (Redis).

A sliding-window log per window, kept in Redis sorted sets and updated by one Lua script, so
N Celery workers together never send more than a window's `limit` requests in any of its
`period_seconds`. A budget is one window (300 a minute) or several at once (100 a minute
and 1,000 a day): a request takes a slot in every window or in none, in
the same script, so a window that refuses never leaves a slot taken in another. Time comes
from the Redis server (one clock for every process). After a 429 every process waits
(`penalize`), on the window the provider named (a daily quota spent: the day window).

The limiter is also the ledger's `RequestBudget` (`accounting.providers`): the sync engine
asks it how long until the next slot (`wait_seconds`, taking none: the longest wait among
its windows) and defers a company's work rather than sleeping on it; `max_wait` makes
`acquire` refuse (RateLimited) instead of sleeping longer than that.
"""

import hashlib
import itertools
import math
import os
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

import redis

from accounting.providers import BudgetWindow, RateLimited, binding_window

# KEYS: per window, its log (a sorted set) then its penalty ("no request before" in ms).
# ARGV: the member to add, 1 to take a slot (0: only look), then per window limit, period_ms.
# A slot is taken in every window or in none. Returns the longest wait (ms), then per window
# its wait and the requests in it (after the take).
_WINDOWS = """
local now = redis.call('TIME')
local now_ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
local windows = #KEYS / 2
local longest = 0
local waits = {}
local used = {}
for i = 1, windows do
  local log, penalty = KEYS[2 * i - 1], KEYS[2 * i]
  local limit = tonumber(ARGV[2 * i + 1])
  local period_ms = tonumber(ARGV[2 * i + 2])
  redis.call('ZREMRANGEBYSCORE', log, '-inf', now_ms - period_ms)
  local count = redis.call('ZCARD', log)
  local penalty_until = tonumber(redis.call('GET', penalty) or '0')
  local wait = 0
  if penalty_until > now_ms then
    wait = penalty_until - now_ms
  elseif count >= limit then
    local nth = count - limit
    local oldest = redis.call('ZRANGE', log, nth, nth, 'WITHSCORES')
    wait = math.max(1, tonumber(oldest[2]) + period_ms - now_ms)
  end
  waits[i] = wait
  used[i] = count
  if wait > longest then
    longest = wait
  end
end
if ARGV[2] == '1' and longest == 0 then
  for i = 1, windows do
    local log = KEYS[2 * i - 1]
    redis.call('ZADD', log, now_ms, ARGV[1])
    redis.call('PEXPIRE', log, tonumber(ARGV[2 * i + 2]))
    used[i] = used[i] + 1
  end
end
local answer = {longest}
for i = 1, windows do
  table.insert(answer, waits[i])
  table.insert(answer, used[i])
end
return answer
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


@dataclass(frozen=True)
class Window:
    """At most `limit` requests in any `period_seconds`; `name` says which ("minute", "day")
    where a budget has several, and picks the window a penalty goes to."""

    limit: int
    period_seconds: float
    name: str = ""

    def __post_init__(self) -> None:
        if self.limit < 1:
            raise ValueError("limit must be at least 1")
        if self.period_seconds <= 0:
            raise ValueError("period_seconds must be positive")

    @property
    def period_ms(self) -> int:
        return int(self.period_seconds * 1000)


class RedisRateLimiter:
    """At most `limit` requests in any `period_seconds` window — or in each of several
    `windows` at once —, across all processes sharing `bucket`."""

    def __init__(
        self,
        *,
        redis_url: str,
        bucket: str,
        limit: int | None = None,
        period_seconds: float = 60.0,
        windows: Sequence[Window] = (),
        namespace: str = "provider",
        provider_name: str = "The accounting system",
        max_wait: float | None = None,
    ) -> None:
        if (limit is None) == (not windows):
            raise TypeError("give either limit (and period_seconds) or windows")
        if limit is not None:
            windows = [Window(limit, period_seconds)]
        # Shortest first: the first window paces requests (`limit`, `period_seconds`).
        self.configured_windows = tuple(sorted(windows, key=lambda window: window.period_seconds))
        names = [window.name for window in self.configured_windows]
        if len(self.configured_windows) > 1 and (not all(names) or len(set(names)) != len(names)):
            raise ValueError("the windows of a budget have distinct names")
        self.limit = self.configured_windows[0].limit
        self.period_ms = self.configured_windows[0].period_ms
        self._redis = _redis(redis_url)
        self.provider_name = provider_name
        self.key = bucket
        # The longest `acquire` sleeps for a slot (None: as long as it takes).
        self.max_wait = max_wait
        # The first window keeps the keys of a one-window budget: a budget that gains a window
        # keeps what its first window counted.
        base = f"{namespace}:ratelimit:{bucket}"
        self._keys: list[str] = []
        for index, window in enumerate(self.configured_windows):
            log = base if index == 0 else f"{base}:{window.name}"
            self._keys += [log, f"{log}:penalty"]
        self._limits: list[int] = []
        for window in self.configured_windows:
            self._limits += [window.limit, window.period_ms]
        self._windows = self._redis.register_script(_WINDOWS)
        self._penalize = self._redis.register_script(_PENALIZE)
        self._ids = itertools.count()
        self._process = f"{os.getpid()}-{uuid.uuid4().hex[:8]}"

    def _run(self, *, take: bool) -> tuple[int, list[BudgetWindow]]:
        member = f"{self._process}-{next(self._ids)}" if take else ""
        answer = self._windows(keys=self._keys, args=[member, int(take), *self._limits])
        longest_ms, rest = int(answer[0]), [int(value) for value in answer[1:]]
        states = [
            BudgetWindow(
                limit=window.limit,
                period_seconds=window.period_seconds,
                used=rest[2 * index + 1],
                wait_seconds=rest[2 * index] / 1000,
                name=window.name,
            )
            for index, window in enumerate(self.configured_windows)
        ]
        return longest_ms, states

    def try_acquire(self) -> float:
        """Take a slot in every window now if each has one: 0.0, else the seconds to wait
        before trying again (the longest among the windows); all or nothing."""
        longest_ms, _states = self._run(take=True)
        return longest_ms / 1000

    @property
    def period_seconds(self) -> float:
        return self.period_ms / 1000

    def wait_seconds(self) -> float:
        """Seconds until a request may go (0.0: now): the longest wait among the windows,
        taking no slot."""
        longest_ms, _states = self._run(take=False)
        return longest_ms / 1000

    def windows(self) -> list[BudgetWindow]:
        """Every window as it stands now, shortest first."""
        _longest_ms, states = self._run(take=False)
        return states

    def used(self) -> int:
        """Requests sent, by every process, in the binding window: the one that waits
        longest, else the fullest (the only one, for a budget of one window)."""
        return binding_window(self.windows()).used

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
            longest_ms, states = self._run(take=True)
            wait = longest_ms / 1000
            if wait <= 0:
                return
            if deadline is not None and time.monotonic() + wait > deadline:
                spent = binding_window(states).name or None
                raise RateLimited(self._refusal(wait), retry_after=wait, window=spent)
            time.sleep(wait)

    def _refusal(self, wait: float) -> str:
        if wait < 120:
            return f"{self.provider_name}'s request limit is reached; try again shortly."
        hours, minutes = divmod(math.ceil(wait / 60), 60)
        later = f"{hours} h {minutes:02d} min" if hours else f"{minutes} min"
        return f"{self.provider_name}'s request limit is reached; try again in about {later}."

    def penalize(self, seconds: float, *, window: str | None = None) -> None:
        """Make every process sharing this bucket wait `seconds`: the provider answered 429.
        `window` names the window the provider said is spent (a daily quota used up: "day";
        None: the first window, as for a plain 429)."""
        if seconds <= 0:
            return
        names = [each.name for each in self.configured_windows]
        if window is not None and window not in names:
            raise ValueError(f"this budget has no window {window!r} (it has {names})")
        index = names.index(window) if window is not None else 0
        self._penalize(keys=[self._keys[2 * index + 1]], args=[int(seconds * 1000)])

    def reset(self) -> None:
        self._redis.delete(*self._keys)


def bucket_for_credential(credential: str) -> str:
    """Same company, same credential, same bucket. The credential itself never goes to Redis."""
    return hashlib.sha256(credential.encode()).hexdigest()[:24]
