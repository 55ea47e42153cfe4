"""The Zoho Books sandbox as a pytest fixture: a real server process spoken to over real HTTP,
playing both Zoho's accounts server and the Books API.

One sandbox process per test session (started on a free port); each test that asks for
`zoho_books_sandbox` gets it reset (the demo organization and the demo grant, default knobs),
the product pointed at it (its OAuth client, its address among the accounts servers, plain
HTTP to 127.0.0.1 allowed), and no Zoho state of an earlier test left in Redis (cached access
tokens, refresh counts, request budgets).
"""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis

from integrations.providers.zoho_books.sandbox import seed
from tests.fakes.sandbox_process import SandboxProcess


class ZohoBooksSandbox(SandboxProcess):
    key = "zoho_books"
    books_param = "organization_id"
    default_books = seed.DEMO_ORGANIZATION_ID
    organization_id = seed.DEMO_ORGANIZATION_ID
    refresh_token = seed.DEMO_REFRESH_TOKEN
    client_id = seed.CLIENT_ID
    client_secret = seed.CLIENT_SECRET

    def __init__(self, port: int, data: Path) -> None:
        super().__init__(port, data)
        self.accounts_server = self.root
        self.api_domain = self.root

    @property
    def credentials(self) -> dict[str, str]:
        """What a connection to the demo organization stores."""
        return {
            "refresh_token": self.refresh_token,
            "api_domain": self.api_domain,
            "accounts_server": self.accounts_server,
            "organization_id": self.organization_id,
        }

    def inject(self, *faults: dict[str, Any]) -> None:
        """Faults consumed in order by matching requests, e.g.
        {"kind": "502_after_commit", "path": "journals$", "method": "POST"}."""
        super().inject(*faults)

    def journals(self, organization_id: str = seed.DEMO_ORGANIZATION_ID) -> list[dict[str, Any]]:
        """Every journal, with its lines and documents."""
        params = {"organization_id": organization_id}
        return list(self._control("GET", "journals", params=params)["journals"])

    def delete_journal(self, journal_id: str, organization_id: str = seed.DEMO_ORGANIZATION_ID):
        self._control(
            "DELETE", f"journals/{journal_id}", params={"organization_id": organization_id}
        )

    def change_journal(
        self, journal_id: str, organization_id: str = seed.DEMO_ORGANIZATION_ID, **changes: Any
    ) -> None:
        params = {"organization_id": organization_id}
        self._control("PATCH", f"journals/{journal_id}", params=params, json=changes)

    def revoke(self, refresh_token: str | None = None) -> None:
        """The grant is revoked in Zoho (every grant if None): its access tokens die too."""
        self._control("POST", "grants/revoke", json={"refresh_token": refresh_token})

    def grants(self) -> list[dict[str, Any]]:
        return list(self._control("GET", "grants")["grants"])

    def refreshes(self, refresh_token: str = seed.DEMO_REFRESH_TOKEN) -> int:
        """How many times Zoho was asked for an access token with this refresh token."""
        return next(g["refreshes"] for g in self.grants() if g["refresh_token"] == refresh_token)

    def new_grant(self) -> str:
        """A refresh token for the demo user (what the consent page gives)."""
        return str(self._control("POST", "grants")["refresh_token"])

    def expire_access_tokens(self) -> None:
        self._control("POST", "tokens/expire")

    def spend_quota(self, used: int, organization_id: str = seed.DEMO_ORGANIZATION_ID) -> None:
        """The organization has made `used` requests of its daily quota."""
        self._control(
            "POST", "quota", params={"organization_id": organization_id}, json={"used": used}
        )

    def add_organization(self, organization_id: str, **options: Any) -> None:
        self._control("POST", "organizations", json={"organization_id": organization_id, **options})

    def change_accounts(
        self, organization_id: str = seed.DEMO_ORGANIZATION_ID, **changes: Any
    ) -> None:
        self._control("PATCH", f"organizations/{organization_id}/accounts", json=changes)


def forget_zoho_state(redis_url: str) -> None:
    """No access token, refresh count or request budget of an earlier test in Redis."""
    connection = redis.Redis.from_url(redis_url)
    keys = list(connection.scan_iter("zoho_books:*", count=1000))
    if keys:
        connection.delete(*keys)


@pytest.fixture(scope="session")
def _zoho_books_sandbox_process(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[ZohoBooksSandbox]:
    data = tmp_path_factory.mktemp("zoho_books") / "zoho_books.sqlite3"
    with ZohoBooksSandbox.running(data) as sandbox:
        yield sandbox


@pytest.fixture
def zoho_books_sandbox(
    _zoho_books_sandbox_process: ZohoBooksSandbox, settings: Any
) -> ZohoBooksSandbox:
    """A fresh Zoho Books sandbox, the product pointed at it."""
    sandbox = _zoho_books_sandbox_process
    sandbox.fresh()
    forget_zoho_state(settings.REDIS_URL)
    settings.ALLOW_PRIVATE_PROVIDER_URLS = True
    settings.ZOHO_CLIENT_ID = sandbox.client_id
    settings.ZOHO_CLIENT_SECRET = sandbox.client_secret
    settings.ZOHO_ACCOUNTS_URL = sandbox.accounts_server
    settings.ZOHO_ACCOUNTS_SERVERS = [sandbox.accounts_server]
    return sandbox
