"""The registered Zoho Books provider: what it reads from a connection, where a person opens a
journal, and the session's answers that need no Zoho call."""

import pytest

from accounting.providers import AuthRefused, provider_for
from integrations.providers.zoho_books.provider import (
    ZohoBooksProvider,
    books_web_url,
    organization_of,
)

SAUDI = {"api_domain": "https://www.zohoapis.sa", "organization_id": "10234695"}


def test_zoho_books_is_registered_with_its_oauth_connect_flow():
    provider = provider_for("zoho_books")
    assert isinstance(provider, ZohoBooksProvider)
    assert str(provider.name) == "Zoho Books"
    assert provider.connect_flow == "integrations.providers.zoho_books.connect.ZohoBooksConnect"


@pytest.mark.parametrize(
    ("api_domain", "web"),
    [
        ("https://www.zohoapis.sa", "https://books.zoho.sa"),
        ("https://www.zohoapis.com", "https://books.zoho.com"),
        ("https://www.zohoapis.com.au", "https://books.zoho.com.au"),
        ("https://www.zohoapis.ca", "https://books.zohocloud.ca"),
        ("https://api.example.com", ""),
    ],
)
def test_the_web_app_is_the_api_domains_data_centre(api_domain, web):
    assert books_web_url(api_domain) == web


def test_a_journal_opens_in_the_organizations_zoho_books():
    provider = ZohoBooksProvider()
    assert (
        provider.entry_url("460000000038001", credentials=SAUDI)
        == "https://books.zoho.sa/app/10234695#/journals/460000000038001"
    )
    assert provider.entry_url("not-an-id", credentials=SAUDI) == ""
    assert provider.entry_url("460000000038001", credentials={}) == ""


def test_the_organization_is_the_chosen_one_under_either_name():
    assert organization_of({"organization_id": "1"}) == "1"
    assert organization_of({"company_id": "2"}) == "2"
    with pytest.raises(AuthRefused):
        organization_of({})


def test_an_id_zoho_never_gives_is_not_asked_for(zoho_books_sandbox):
    with provider_for("zoho_books").open_session(zoho_books_sandbox.credentials) as books:
        assert books.get_entries(["acc_9f2", "jou-1"]) == {"acc_9f2": None, "jou-1": None}
    assert zoho_books_sandbox.stats()["served"] == 0
