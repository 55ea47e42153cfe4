import uuid

import pytest
import respx

from integrations.providers.zoho_books.client import ZohoBooksClient
from integrations.providers.zoho_books.errors import ZohoBooksRefreshRefused

API_DOMAIN = "https://www.zohoapis.sa"
BASE = f"{API_DOMAIN}/books/v3"
ORG = "10234695"
FIRST_TOKEN = "1000.first-access-token-0a1b2c3d4e5f"
FRESH_TOKEN = "1000.fresh-access-token-9f8e7d6c5b4a"


class FakeTokenSource:
    """The provider's token source as the client sees it: a cached token, and a renewal that
    says how often it was asked."""

    def __init__(self, *, refuse: bool = False) -> None:
        self.current = FIRST_TOKEN
        self.fresh = [FRESH_TOKEN, "1000.third-access-token-aaaabbbbcccc"]
        self.refuse = refuse
        self.renewals: list[str] = []

    def access_token(self) -> str:
        return self.current

    def renew(self, *, refused: str) -> str:
        self.renewals.append(refused)
        if self.refuse:
            raise ZohoBooksRefreshRefused("Zoho refused SiFi's saved authorization.")
        if refused != self.current:
            return self.current  # another worker renewed it
        self.current = self.fresh.pop(0)
        return self.current


@pytest.fixture
def tokens():
    return FakeTokenSource()


@pytest.fixture
def zoho():
    with respx.mock(base_url=BASE, assert_all_called=False) as mock:
        yield mock


@pytest.fixture
def client(tokens):
    with ZohoBooksClient(
        api_domain=API_DOMAIN,
        organization_id=ORG,
        token_source=tokens,
        max_retries=0,
        retry_base_seconds=0.01,
    ) as zoho_client:
        yield zoho_client


@pytest.fixture
def bucket_org():
    """A Zoho organization id of its own for each limiter test (its Redis keys removed)."""
    from integrations.providers.zoho_books.ratelimit import limiter_for_organization

    organization_id = str(uuid.uuid4().int)[:12]
    yield organization_id
    limiter_for_organization(organization_id).reset()
