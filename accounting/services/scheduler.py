"""Who may push for a company now: the turns of the fair sync scheduler.

Celery's queue is the scheduler's order; this module only bounds what each company has in it.
A company's pending pushes are worked by at most `turns_for(budget)` *turns* at once (a turn
is one Celery message, `tasks.push_turn`): a turn pushes a few transactions, then goes to the
back of the queue (or, when the company's request budget is spent, comes back with a
countdown when its window opens). Every company having a turn or two in one FIFO queue is
round-robin across companies; within a company, runs go first come first served.

Each turn holds a *lease* in Redis: `sync:turn:<organization>:<stripe>` → "<token>:<step>". A
turn message carries the lease it was published with and does its work only while Redis holds
exactly that value; before publishing the next message it moves the lease one step. A message
delivered twice (acks late, a worker killed after publishing) finds the lease moved on and
does nothing; a turn whose worker died leaves a lease that expires, and the reaper starts a
new one. Turns split a company's transactions by stripe (`transaction_id % turns`), so two
turns of one company never reach for the same one; the per-transaction advisory lock and the
"about to create" mark keep pushes exactly once whatever happens to leases.
"""

import math
import uuid
from functools import cache

import redis
from django.conf import settings
from redis.commands.core import Script

from accounting.providers import RequestBudget

_ADVANCE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[2], 'PX', tonumber(ARGV[3]))
  return 1
end
return 0
"""

_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""


@cache
def _redis(url: str) -> redis.Redis:
    return redis.Redis.from_url(url, decode_responses=True)


def _client() -> redis.Redis:
    return _redis(settings.REDIS_URL)


@cache
def _scripts(url: str) -> tuple[Script, Script]:
    client = _redis(url)
    return client.register_script(_ADVANCE), client.register_script(_RELEASE)


def _advance(key: str, lease: str, following: str, ttl_ms: int) -> bool:
    advance_script, _release = _scripts(settings.REDIS_URL)
    return bool(advance_script(keys=[key], args=[lease, following, ttl_ms]))


def _key(organization_id: int, stripe: int) -> str:
    return f"sync:turn:{organization_id}:{stripe}"


def _ttl_ms(extra_seconds: float = 0.0) -> int:
    return int((settings.SYNC_TURN_LEASE_SECONDS + extra_seconds) * 1000)


def turns_for(budget: RequestBudget | None) -> int:
    """How many turns of one company may be in flight: what its limit keeps busy (requests
    per second x the seconds one request takes a worker), at least one, at most
    SYNC_MAX_TURNS_PER_COMPANY. A company allowed 300 requests a minute gets one; 600, two."""
    most = max(1, int(settings.SYNC_MAX_TURNS_PER_COMPANY))
    if budget is None:
        return most
    per_second = budget.limit / max(budget.period_seconds, 0.001)
    return max(1, min(most, math.ceil(per_second * settings.SYNC_SECONDS_PER_REQUEST)))


def claim(organization_id: int, stripe: int, *, extra_seconds: float = 0.0) -> str | None:
    """Take the stripe's lease if nobody holds it: the lease for the first message, or None."""
    lease = f"{uuid.uuid4().hex}:0"
    key, ttl_ms = _key(organization_id, stripe), _ttl_ms(extra_seconds)
    return lease if _client().set(key, lease, nx=True, px=ttl_ms) else None


def holds(organization_id: int, stripe: int, lease: str) -> bool:
    return _client().get(_key(organization_id, stripe)) == lease


def renew(organization_id: int, stripe: int, lease: str) -> bool:
    """Keep the lease (the turn is alive)."""
    return _advance(_key(organization_id, stripe), lease, lease, _ttl_ms())


def advance(
    organization_id: int, stripe: int, lease: str, *, extra_seconds: float = 0.0
) -> str | None:
    """Move the lease one step, for the next message of this turn; None if another turn
    holds the stripe now."""
    token, step = lease.rsplit(":", 1)
    following = f"{token}:{int(step) + 1}"
    if _advance(_key(organization_id, stripe), lease, following, _ttl_ms(extra_seconds)):
        return following
    # The lease expired under a slow turn: take it again, unless another turn holds it now.
    return claim(organization_id, stripe, extra_seconds=extra_seconds)


def release(organization_id: int, stripe: int, lease: str) -> None:
    _advance_script, release_script = _scripts(settings.REDIS_URL)
    release_script(keys=[_key(organization_id, stripe)], args=[lease])


def turns_held(organization_id: int) -> int:
    """Turns of the company alive now (leases held)."""
    return sum(1 for _ in _client().scan_iter(match=f"sync:turn:{organization_id}:*", count=100))


def forget_all() -> None:
    """Drop every lease (tests, and a broker that lost its messages: the reaper restarts)."""
    client = _client()
    keys = list(client.scan_iter(match="sync:turn:*", count=500))
    if keys:
        client.delete(*keys)
