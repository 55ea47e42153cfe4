"""Connecting Zoho Books end to end against the Zoho sandbox over real HTTP: its consent page
(Accept or Deny), our callback, the chart synced, disconnect revoking the grant at the
sandbox's accounts server; and the demo's `seed_demo --connect-zoho`."""

from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest
import redis
from django.conf import settings
from django.core.management import call_command

from accounting.models import Account, Transaction
from integrations.config_sync import run_config_sync
from integrations.jobs import start_config_sync
from integrations.models import ConnectionStatus, Integration
from integrations.providers.zoho_books.sandbox import seed
from integrations.providers.zoho_books.tokens import token_key
from sifi.models import Organization
from tests.factories import api_client_for

API = "/api/v1/integrations/zoho-books/"
PAGE = "/settings/integrations/zoho-books/"


def press_on_consent_page(authorize_url: str, decision: str) -> str:
    """What a person does on the sandbox's consent page: the page, then Accept or Deny.
    The path and query of our callback the sandbox sends the browser to."""
    page = httpx.get(authorize_url, timeout=10.0)
    assert page.status_code == 200 and "SiFi Sandbox would like to access" in page.text
    consent = urlsplit(authorize_url)
    answer = httpx.post(
        f"{consent.scheme}://{consent.netloc}{consent.path}",
        data={**dict(parse_qsl(consent.query)), "decision": decision},
        follow_redirects=False,
        timeout=10.0,
    )
    assert answer.status_code == 302
    back = urlsplit(answer.headers["Location"])
    return f"{back.path}?{back.query}"


@pytest.fixture
def signed_in(admin_a, client, zoho_books_sandbox):
    client.force_login(admin_a)
    api = api_client_for(admin_a)
    api.post(API + "consent/", {"accept": True}, format="json")
    return api, client


def test_connect_through_the_sandboxs_consent_page_and_sync_the_chart(
    signed_in, admin_a, zoho_books_sandbox
):
    api, browser = signed_in
    authorize_url = api.post(API + "connect/", {}, format="json").json()["authorize_url"]
    assert authorize_url.startswith(f"{zoho_books_sandbox.accounts_server}/oauth/v2/auth?")

    callback = press_on_consent_page(authorize_url, "accept")
    assert callback.startswith(PAGE + "callback/?")
    assert browser.get(callback).status_code == 302

    integration = Integration.objects.get(provider="zoho_books")
    assert integration.status == ConnectionStatus.CONNECTED
    assert integration.location == {
        "api_domain": zoho_books_sandbox.api_domain,
        "accounts_server": zoho_books_sandbox.accounts_server,
        "organization_id": seed.DEMO_ORGANIZATION_ID,
    }
    assert integration.company_name == seed.DEMO_ORGANIZATION
    refresh_token = integration.secrets["refresh_token"]
    assert any(g["refresh_token"] == refresh_token for g in zoho_books_sandbox.grants())

    job = start_config_sync(
        actor=admin_a,
        organization=admin_a.organization,
        attributes=["accounts"],
        provider="zoho_books",
    )
    run_config_sync(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == "succeeded", job.error
    chart = Account.objects.filter(organization=admin_a.organization, provider="zoho_books")
    assert chart.filter(code="110101", name_en="Al Rajhi Bank - SiFi Wallet").exists()
    assert chart.count() > 200  # two pages of Zoho's chart

    shared = redis.Redis.from_url(settings.REDIS_URL)
    cached = f"{token_key(refresh_token)}:access"
    assert shared.exists(cached)  # the chart sync's access token, shared by the workers
    assert api.delete(API).status_code == 204
    revoked = next(g for g in zoho_books_sandbox.grants() if g["refresh_token"] == refresh_token)
    assert revoked["revoked"]
    assert not shared.exists(cached)  # disconnected: no access token left in Redis


def test_deny_on_the_sandboxs_consent_page_stores_nothing(signed_in, zoho_books_sandbox):
    api, browser = signed_in
    authorize_url = api.post(API + "connect/", {}, format="json").json()["authorize_url"]
    response = browser.get(press_on_consent_page(authorize_url, "deny"))
    assert response.status_code == 400
    assert "did not grant access (access_denied)" in response.content.decode()
    assert Integration.objects.get(provider="zoho_books").secrets == {}


@pytest.mark.django_db
def test_seed_demo_connects_zoho_demo_co_through_the_consent_page(zoho_books_sandbox, settings):
    settings.ZOHO_SANDBOX_URL = zoho_books_sandbox.root
    for _ in range(2):  # running it again changes nothing
        call_command(
            "seed_demo", "--transactions", "30", "--connect-zoho", "--second-org-transactions", "20"
        )
    zoho = Organization.objects.get(name="Zoho Demo Co.")
    assert zoho.users.get(username="zoho_admin").role == "admin"
    integration = Integration.objects.get(organization=zoho)
    assert (integration.provider, integration.status, integration.company_name) == (
        "zoho_books",
        "connected",
        seed.DEMO_ORGANIZATION,
    )
    assert (integration.source_account.code, integration.input_vat_account.code) == (
        "110101",
        "1104",
    )
    assert Transaction.objects.filter(organization=zoho).count() == 20
    demo_grants = [g for g in zoho_books_sandbox.grants() if not g["revoked"]]
    assert integration.secrets["refresh_token"] in [g["refresh_token"] for g in demo_grants]
