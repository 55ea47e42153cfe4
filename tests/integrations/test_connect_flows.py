"""Connecting is one flow per provider built on one base, and the wizard's pages and API are
made from the registry: a provider registered with one line gets them all (Paper Books with an
API key, Cloud Books with an OAuth sign-in: tests/integrations/books_for_tests.py)."""

import datetime
import importlib
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import clear_url_caches
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator

from integrations.models import ConnectionStatus, Integration, OAuthState
from sifi.models import AuditEvent, Role
from tests.factories import api_client_for, make_user
from tests.integrations import books_for_tests
from tests.integrations.books_for_tests import (
    GOOD_CODE,
    GOOD_KEY,
    ONE_COMPANY_CODE,
    ONE_FOREIGN_COMPANY_CODE,
    TEST_PROVIDERS,
)

PAPER = "/api/v1/integrations/paper-books/"
CLOUD = "/api/v1/integrations/cloud-books/"
CLOUD_PAGE = "/settings/integrations/cloud-books/"


def _reload_routes() -> None:
    for module in ("integrations.urls", "integrations.page_urls", "sifi.urls"):
        importlib.reload(importlib.import_module(module))
    clear_url_caches()


@pytest.fixture
def registered_test_books(settings):
    """Paper Books and Cloud Books registered beside the real providers: one line each."""
    original = dict(settings.ACCOUNTING_PROVIDERS)
    settings.ACCOUNTING_PROVIDERS = {**original, **TEST_PROVIDERS}
    _reload_routes()
    books_for_tests.REVOKED.clear()
    yield
    settings.ACCOUNTING_PROVIDERS = original
    _reload_routes()


@pytest.fixture
def page_client(client, admin_a):
    client.force_login(admin_a)
    return client


def test_a_registered_provider_gets_the_whole_api_key_wizard(registered_test_books, admin_a):
    api = api_client_for(admin_a)
    listed = [row["provider"] for row in api.get("/api/v1/integrations/").json()]
    assert "paper_books" in listed and "cloud_books" in listed

    assert api.post(PAPER + "connect/", {"api_key": GOOD_KEY}, format="json").status_code == 409
    consent = api.post(PAPER + "consent/", {"accept": True}, format="json")
    assert consent.json()["consented_scopes"] == ["entries:write"]

    refused = api.post(PAPER + "connect/", {"api_key": "wrong-key-0000"}, format="json")
    assert refused.status_code == 400
    assert refused.json() == {"api_key": ["Paper Books does not know this key."]}
    assert Integration.objects.get(provider="paper_books").secrets == {}

    connected = api.post(PAPER + "connect/", {"api_key": GOOD_KEY}, format="json")
    assert connected.status_code == 200
    body = connected.json()
    assert (body["state"], body["api_key_hint"], body["accounts_found"]) == ("connected", "1234", 3)
    assert GOOD_KEY not in connected.content.decode()
    integration = Integration.objects.get(provider="paper_books")
    assert integration.secrets == {"api_key": GOOD_KEY}
    assert integration.location == {"ledger": "main"}


def test_the_pages_of_a_registered_provider_come_from_its_flow(
    registered_test_books, admin_a, page_client
):
    page = page_client.get("/settings/integrations/paper-books/")
    assert page.status_code == 200 and "Write journal entries" in page.content.decode()
    page_client.post("/settings/integrations/paper-books/consent/", {"accept": "1"})
    credentials = page_client.get("/settings/integrations/paper-books/").content.decode()
    assert "Paste the key Paper Books shows under Settings." in credentials
    refused = page_client.post(
        "/settings/integrations/paper-books/connect/", {"api_key": "wrong-key-0000"}
    )
    assert "Paper Books does not know this key." in refused.content.decode()
    page_client.post("/settings/integrations/paper-books/connect/", {"api_key": GOOD_KEY})
    assert Integration.objects.get(provider="paper_books").status == ConnectionStatus.CONNECTED


def test_the_schema_names_each_registered_providers_endpoints(registered_test_books):
    schema = SchemaGenerator().get_schema(request=None, public=True)
    body = schema["paths"][PAPER + "connect/"]["post"]["requestBody"]
    ref = body["content"]["application/json"]["schema"]["$ref"]
    assert ref.endswith("/PaperBooksConnectInputRequest")
    answer = schema["paths"][CLOUD + "connect/"]["post"]["responses"]["200"]
    assert answer["content"]["application/json"]["schema"]["$ref"].endswith(
        "/CloudBooksConnectOutput"
    )


def test_disconnect_removes_every_secret_and_tells_the_provider(registered_test_books, admin_a):
    api = api_client_for(admin_a)
    api.post(PAPER + "consent/", {"accept": True}, format="json")
    api.post(PAPER + "connect/", {"api_key": GOOD_KEY}, format="json")
    assert api.delete(PAPER).status_code == 204
    integration = Integration.objects.get(provider="paper_books")
    assert (integration.secrets, integration.secret_hint) == ({}, "")
    assert integration.location == {"ledger": "main"}  # where the books are is kept
    assert books_for_tests.REVOKED == [{"api_key": GOOD_KEY}]


# --- OAuth 2.0 -----------------------------------------------------------------------------------


def start_sign_in(api) -> str:
    api.post(CLOUD + "consent/", {"accept": True}, format="json")
    response = api.post(CLOUD + "connect/", {}, format="json")
    assert response.status_code == 200, response.content
    url = urlsplit(response.json()["authorize_url"])
    assert f"{url.scheme}://{url.netloc}{url.path}" == (
        "https://accounts.cloudbooks.test/oauth/v2/auth"
    )
    query = parse_qs(url.query)
    assert query["redirect_uri"] == [f"http://127.0.0.1:8000{CLOUD_PAGE}callback/"]
    return query["state"][0]


def test_a_sign_in_comes_back_connected_and_asks_for_the_company(
    registered_test_books, admin_a, page_client, org_a
):
    api = api_client_for(admin_a)
    state = start_sign_in(api)
    assert OAuthState.objects.get().state_hash != state  # only its hash is kept

    back = page_client.get(CLOUD_PAGE + "callback/", {"code": GOOD_CODE, "state": state})
    assert back.status_code == 302 and back["Location"] == CLOUD_PAGE
    integration = Integration.objects.get(provider="cloud_books")
    assert integration.secrets == {"refresh_token": "refresh-1"}
    assert 'data-testid="company-step"' in page_client.get(CLOUD_PAGE).content.decode()
    assert [c["id"] for c in api.get(CLOUD).json()["companies"]] == ["111", "222"]
    not_yet = api.post(CLOUD + "sync/", {"attributes": ["accounts"]}, format="json")
    assert not_yet.status_code == 409
    assert "Choose the company Cloud Books keeps your books in" in not_yet.json()["detail"]

    other_currency = api.patch(CLOUD, {"organization_id": "222"}, format="json")
    assert other_currency.status_code == 400
    assert "Acme AE keeps its books in AED; SiFi sends amounts in SAR" in str(other_currency.json())
    chosen = api.patch(CLOUD, {"organization_id": "111"}, format="json")
    assert chosen.status_code == 200 and chosen.json()["company"] == "Acme SA"
    integration.refresh_from_db()
    assert integration.location == {"organization_id": "111"}
    assert AuditEvent.objects.filter(action="integration.choose_company").count() == 1
    assert api.post(CLOUD + "connect/", {}, format="json").status_code == 409  # connected


def refused_page(page_client, **params):
    response = page_client.get(CLOUD_PAGE + "callback/", params)
    assert response.status_code == 400
    assert Integration.objects.get(provider="cloud_books").secrets == {}
    return response.content.decode()


def test_a_state_works_once(registered_test_books, admin_a, page_client):
    state = start_sign_in(api_client_for(admin_a))
    page_client.get(CLOUD_PAGE + "callback/", {"code": "not-the-code", "state": state})
    text = refused_page(page_client, code=GOOD_CODE, state=state)
    assert "This sign-in link is not valid any more" in text


def test_a_refused_code_stores_nothing(registered_test_books, admin_a, page_client):
    state = start_sign_in(api_client_for(admin_a))
    text = refused_page(page_client, code="not-the-code", state=state)
    assert "Cloud Books refused the code (invalid_code)." in text


def test_a_denied_sign_in_stores_nothing(registered_test_books, admin_a, page_client):
    state = start_sign_in(api_client_for(admin_a))
    text = refused_page(page_client, error="access_denied", state=state)
    assert "did not grant access (access_denied)" in text


def test_an_expired_state_is_refused(registered_test_books, admin_a, page_client):
    state = start_sign_in(api_client_for(admin_a))
    OAuthState.objects.update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    assert "not valid any more" in refused_page(page_client, code=GOOD_CODE, state=state)


def test_a_state_is_bound_to_the_user_who_asked(registered_test_books, admin_a, org_a, client):
    state = start_sign_in(api_client_for(admin_a))
    colleague = make_user(org_a, Role.FINANCE_MANAGER)
    client.force_login(colleague)
    assert "not valid any more" in refused_page(client, code=GOOD_CODE, state=state)


def test_a_state_is_bound_to_the_organization(registered_test_books, admin_a, admin_b, client):
    state = start_sign_in(api_client_for(admin_a))
    client.force_login(admin_b)
    response = client.get(CLOUD_PAGE + "callback/", {"code": GOOD_CODE, "state": state})
    assert response.status_code == 400
    assert not Integration.objects.filter(secrets__isnull=False).exclude(secrets="").exists()


def test_a_callback_without_a_state_is_refused(registered_test_books, admin_a, page_client):
    api_client_for(admin_a).post(CLOUD + "consent/", {"accept": True}, format="json")
    assert "not valid any more" in refused_page(page_client, code=GOOD_CODE)


def test_an_accountant_cannot_finish_a_sign_in(registered_test_books, users_a, client):
    client.force_login(users_a[Role.ACCOUNTANT])
    assert client.get(CLOUD_PAGE + "callback/", {"code": GOOD_CODE}).status_code == 403


def test_a_grant_that_reaches_one_company_keeps_the_books_in_it(
    registered_test_books, admin_a, page_client
):
    state = start_sign_in(api_client_for(admin_a))
    page_client.get(CLOUD_PAGE + "callback/", {"code": ONE_COMPANY_CODE, "state": state})
    integration = Integration.objects.get(provider="cloud_books")
    assert (integration.location, integration.company_name) == (
        {"organization_id": "111"},
        "Acme SA",
    )
    assert 'data-testid="company-step"' not in page_client.get(CLOUD_PAGE).content.decode()


def test_a_grant_that_reaches_one_company_in_another_currency_is_refused(
    registered_test_books, admin_a, page_client
):
    state = start_sign_in(api_client_for(admin_a))
    text = refused_page(page_client, code=ONE_FOREIGN_COMPANY_CODE, state=state)
    assert "Acme AE keeps its books in AED; SiFi sends amounts in SAR" in text
    assert books_for_tests.REVOKED == [{"refresh_token": "refresh-1"}]
