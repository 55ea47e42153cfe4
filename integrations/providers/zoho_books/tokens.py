"""The Zoho access token of a connection, shared by every worker process (SPEC §3a).

An access token lives an hour; Zoho lets a refresh token mint at most 10 in 10 minutes and
blocks it for the rest of those minutes past that. So the token is cached in Redis
(encrypted with the project's field encryption, for a little less than its hour), one worker
at a time refreshes it (a Redis lock; the others wait and take the token it cached), and a
refresh that would be the 11th in 10 minutes is not sent: the caller waits instead
(`ZohoBooksRateLimited`). The refresh token itself stays in the connection's encrypted
secrets; only a digest of it names the Redis keys, and no token is ever logged.
"""

import hashlib
import logging
import time
from collections.abc import Callable

import httpx
import redis
from cryptography.fernet import InvalidToken
from django.conf import settings
from django.utils.translation import gettext as _

from integrations.providers.zoho_books.client import AccessToken, ZohoAccountsClient
from integrations.providers.zoho_books.errors import ZohoBooksRateLimited, ZohoBooksUnavailable
from sifi.fields import decrypt, encrypt

logger = logging.getLogger(__name__)

REFRESHES_ALLOWED = 10  # Zoho: 10 access tokens per refresh token in 10 minutes
REFRESH_WINDOW_SECONDS = 600.0
# The cached token is dropped this long before Zoho's expiry: a request sent with it never
# arrives after the hour.
EXPIRY_MARGIN_SECONDS = 300
LOCK_SECONDS = 30.0  # a refresh holding the lock longer has died; the lock expires
LOCK_WAIT_SECONDS = 35.0  # how long a worker waits for another's refresh

_connections: dict[str, redis.Redis] = {}


def _redis(url: str) -> redis.Redis:
    if url not in _connections:
        _connections[url] = redis.Redis.from_url(url)
    return _connections[url]


def token_key(refresh_token: str) -> str:
    """The Redis keys' name for a connection: a digest of its refresh token (never the token;
    a reconnection, with a new refresh token, starts afresh)."""
    digest = hashlib.sha256(refresh_token.encode()).hexdigest()[:32]
    return f"zoho_books:token:{digest}"


def forget_access_token(refresh_token: str) -> None:
    """Drop a connection's cached access token and its refresh count (it is disconnected)."""
    key = token_key(refresh_token)
    _redis(settings.REDIS_URL).delete(f"{key}:access", f"{key}:refreshes")


class CachedTokenSource:
    """The `TokenSource` of one connection (one refresh token): its access token cached in
    Redis for every worker, refreshed by one worker at a time, at most 10 times in 10
    minutes."""

    def __init__(
        self,
        *,
        refresh_token: str,
        accounts_server: str,
        client_id: str,
        client_secret: str,
        redis_url: str,
        refreshes_allowed: int = REFRESHES_ALLOWED,
        transport: httpx.BaseTransport | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._refresh_token = refresh_token
        self._accounts_server = accounts_server
        self._client_id = client_id
        self._client_secret = client_secret
        self._redis = _redis(redis_url)
        self._refreshes_allowed = refreshes_allowed
        self._transport = transport
        self._clock = clock
        self._key = token_key(refresh_token)

    # --- TokenSource -------------------------------------------------------------------------

    def access_token(self) -> str:
        """The cached access token, or a fresh one if none is cached."""
        return self._cached() or self._refresh(refused=None)

    def renew(self, *, refused: str) -> str:
        """A token in place of `refused`: the one another worker cached since, or a fresh
        one."""
        return self._refresh(refused=refused)

    # --- what tests and the provider look at ---------------------------------------------------

    def refreshes_in_window(self) -> int:
        """Refreshes of this connection in the last 10 minutes (each one sent to Zoho)."""
        now = self._clock()
        self._redis.zremrangebyscore(self._refreshes_key, "-inf", now - REFRESH_WINDOW_SECONDS)
        return int(self._redis.zcard(self._refreshes_key))

    def forget(self) -> None:
        """Drop the cached token (the connection is disconnected)."""
        self._redis.delete(self._cache_key, self._refreshes_key)

    # --- plumbing ------------------------------------------------------------------------------

    @property
    def _cache_key(self) -> str:
        return f"{self._key}:access"

    @property
    def _refreshes_key(self) -> str:
        return f"{self._key}:refreshes"

    def _cached(self) -> str | None:
        stored = self._redis.get(self._cache_key)
        if not stored:
            return None
        try:
            return decrypt(stored.decode() if isinstance(stored, bytes) else str(stored))
        except InvalidToken:  # encrypted with a key no longer configured: refresh
            return None

    def _refresh(self, *, refused: str | None) -> str:
        lock = self._redis.lock(
            f"{self._key}:lock", timeout=LOCK_SECONDS, blocking_timeout=LOCK_WAIT_SECONDS
        )
        if not lock.acquire():
            raise ZohoBooksUnavailable(
                _("Another SiFi worker is renewing the Zoho access token; SiFi tries again."),
                raw_body="",
            )
        try:
            cached = self._cached()
            if cached and cached != refused:
                return cached  # another worker refreshed while this one waited
            self._count_refresh()
            fresh = self._ask_zoho()
            lifetime = max(60, fresh.expires_in - EXPIRY_MARGIN_SECONDS)
            self._redis.set(self._cache_key, encrypt(fresh.access_token), ex=lifetime)
            return fresh.access_token
        finally:
            try:
                lock.release()
            except redis.exceptions.LockError:  # expired meanwhile: another may hold it now
                logger.warning("zoho books token lock expired during a refresh")

    def _count_refresh(self) -> None:
        """Count one refresh, or refuse it if it would be one too many in 10 minutes."""
        now = self._clock()
        count = self.refreshes_in_window()
        if count >= self._refreshes_allowed:
            first = self._redis.zrange(self._refreshes_key, 0, 0, withscores=True)
            oldest = float(first[0][1]) if first else now
            wait = max(1.0, oldest + REFRESH_WINDOW_SECONDS - now)
            raise ZohoBooksRateLimited(
                _(
                    "SiFi renewed the Zoho access token %(count)s times in 10 minutes, as many "
                    "as Zoho allows; it waits and goes on."
                )
                % {"count": count},
                retry_after=wait,
            )
        self._redis.zadd(self._refreshes_key, {f"{now:.6f}": now})
        self._redis.expire(self._refreshes_key, int(REFRESH_WINDOW_SECONDS) + 60)

    def _ask_zoho(self) -> AccessToken:
        with ZohoAccountsClient(
            self._accounts_server,
            client_id=self._client_id,
            client_secret=self._client_secret,
            transport=self._transport,
        ) as accounts:
            fresh = accounts.refresh_access_token(self._refresh_token)
        logger.info("zoho books access token refreshed")
        return fresh
