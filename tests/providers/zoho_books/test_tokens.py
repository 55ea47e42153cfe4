"""The connection's Zoho access token, against the sandbox over real HTTP: cached (encrypted)
in Redis for every worker, refreshed by one at a time, at most 10 times in 10 minutes, a
refused one renewed once and the request sent again once, a refused refresh token a reason to
reconnect; never sent to an accounts server outside ZOHO_ACCOUNTS_SERVERS, never logged."""

import logging
import threading

import pytest
import redis
from django.conf import settings

from accounting.providers import AuthRefused, RateLimited, provider_for
from integrations.providers.zoho_books.tokens import CachedTokenSource, token_key
from sifi.fields import decrypt


def token_source(sandbox, refresh_token=None):
    """What one worker process builds for the connection (each its own object; Redis shared)."""
    return CachedTokenSource(
        refresh_token=refresh_token or sandbox.refresh_token,
        accounts_server=sandbox.accounts_server,
        client_id=settings.ZOHO_CLIENT_ID,
        client_secret=settings.ZOHO_CLIENT_SECRET,
        redis_url=settings.REDIS_URL,
    )


def session(sandbox, **changes):
    return provider_for("zoho_books").open_session({**sandbox.credentials, **changes})


def all_at_once(count, work):
    """`work()` in `count` threads released together; their answers (or errors)."""
    barrier = threading.Barrier(count)
    answers: list[object] = []

    def one():
        barrier.wait()
        try:
            answers.append(work())
        except Exception as exc:  # the assertion names it
            answers.append(exc)

    threads = [threading.Thread(target=one) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return answers


def test_workers_asking_at_once_share_one_access_token_from_one_refresh(zoho_books_sandbox):
    tokens = all_at_once(8, lambda: token_source(zoho_books_sandbox).access_token())
    assert len(set(map(str, tokens))) == 1 and str(tokens[0]).startswith("1000.")
    assert zoho_books_sandbox.refreshes() == 1


def test_the_cached_access_token_is_encrypted_in_redis_and_expires_before_zohos_hour(
    zoho_books_sandbox,
):
    access = token_source(zoho_books_sandbox).access_token()
    key = f"{token_key(zoho_books_sandbox.refresh_token)}:access"
    raw = redis.Redis.from_url(settings.REDIS_URL)
    stored = raw.get(key)
    assert stored and access.encode() not in stored
    keys = " ".join(str(key) for key in raw.keys("zoho_books:*"))
    assert "zoho_books:token:" in keys and zoho_books_sandbox.refresh_token not in keys
    assert decrypt(stored.decode()) == access
    assert 3000 <= raw.ttl(key) <= 3300  # Zoho's hour, less a margin


def test_sessions_of_many_workers_refresh_an_expired_token_once_and_each_retries_once(
    zoho_books_sandbox,
):
    with session(zoho_books_sandbox) as first:
        first.read_chart()
    served = zoho_books_sandbox.stats()["served"]
    zoho_books_sandbox.expire_access_tokens()  # what an hour does

    def read():
        with session(zoho_books_sandbox) as worker:
            return len(worker.read_chart())

    counts = all_at_once(6, read)
    assert counts == [counts[0]] * 6 and isinstance(counts[0], int)
    assert zoho_books_sandbox.refreshes() == 2  # the first token, and one renewal for all
    # Each session's first page was refused once (401, not counted) and sent again once.
    assert zoho_books_sandbox.stats()["served"] - served == 6 * 2


def test_never_more_than_10_refreshes_in_10_minutes(zoho_books_sandbox):
    source = token_source(zoho_books_sandbox)
    current = source.access_token()
    for _ in range(9):
        current = source.renew(refused=current)
    assert source.refreshes_in_window() == 10
    with pytest.raises(RateLimited) as held:
        source.renew(refused=current)
    assert 500 < held.value.retry_after <= 600
    assert zoho_books_sandbox.refreshes() == 10  # the 11th never reached Zoho
    # Another worker's renewal of a token already replaced costs nothing.
    assert token_source(zoho_books_sandbox).renew(refused="1000.an-older-token") == current


def test_a_refused_refresh_token_is_auth_refused_saying_reconnect(zoho_books_sandbox):
    with (
        session(zoho_books_sandbox, refresh_token="1000.revoked-long-ago") as books,
        pytest.raises(AuthRefused) as refused,
    ):
        books.read_chart()
    assert "Reconnect Zoho Books" in refused.value.message
    assert zoho_books_sandbox.stats()["served"] == 0


def test_the_refresh_token_goes_only_to_a_listed_accounts_server(zoho_books_sandbox, settings):
    settings.ZOHO_ACCOUNTS_SERVERS = ["https://accounts.zoho.sa"]
    with pytest.raises(AuthRefused) as refused:
        session(zoho_books_sandbox)
    assert "Reconnect Zoho Books" in refused.value.message
    assert zoho_books_sandbox.refreshes() == 0


def test_no_token_is_ever_logged(zoho_books_sandbox, caplog):
    caplog.set_level(logging.DEBUG)
    with session(zoho_books_sandbox) as books:
        books.read_chart()
    zoho_books_sandbox.expire_access_tokens()
    with session(zoho_books_sandbox) as books:
        books.read_chart()
    access = token_source(zoho_books_sandbox).access_token()
    assert "refreshed" in caplog.text
    assert access not in caplog.text and zoho_books_sandbox.refresh_token not in caplog.text
    assert settings.ZOHO_CLIENT_SECRET not in caplog.text
