"""SPEC §3b and §8 for Wafeq: consent, connect with an API key (checked with GET
/organization/, another base currency refused), the chart and the tax rates synced with it,
the configuration (a Source Account that takes payments, an input VAT tax rate from the synced
ones, the manual journals switch) — against the Wafeq sandbox over real HTTP."""

import pytest

from accounting.models import Account
from integrations.config_sync import run_config_sync
from integrations.models import ConnectionStatus, Integration, TaxRate
from integrations.providers.wafeq.connect import WafeqConnect
from integrations.providers.wafeq.sandbox.seed import DEMO_KEY, DEMO_NAME, INPUT_VAT_RATE
from tests.factories import api_client_for

BASE = "/api/v1/integrations/wafeq/"


def consent(client):
    return client.post(f"{BASE}consent/", {"accept": True}, format="json")


def connect(client, api_key=DEMO_KEY):
    return client.post(f"{BASE}connect/", {"api_key": api_key}, format="json")


@pytest.fixture
def synced(admin_a, wafeq_sandbox):
    """Organization A connected to the demo organization, its chart and tax rates synced."""
    client = api_client_for(admin_a)
    consent(client)
    assert connect(client).status_code == 200
    response = client.post(f"{BASE}sync/", {}, format="json")
    assert response.status_code == 202
    job = run_config_sync(job_id=response.json()["id"])
    assert job is not None and job.status == "succeeded", job and job.error
    return client


def account(org, code):
    return Account.objects.get(organization=org, provider="wafeq", code=code)


def test_consent_says_plainly_that_manual_journals_are_posted_at_once(admin_a, wafeq_sandbox):
    response = consent(api_client_for(admin_a))
    assert response.status_code == 200
    scopes = {row["scope"]: row["label"] for row in response.json()["scopes"]}
    assert list(scopes) == list(WafeqConnect.scopes)
    assert "tax_rates:read" in scopes and "files:write" in scopes
    assert "posts manual journals at once" in scopes["manual_journals:write"]
    assert wafeq_sandbox.stats()["served"] == 0  # consent calls nothing


def test_a_good_key_connects_and_is_never_returned(admin_a, wafeq_sandbox):
    client = api_client_for(admin_a)
    consent(client)
    response = connect(client)
    assert response.status_code == 200, response.content
    integration = Integration.objects.get(provider="wafeq")
    assert integration.status == ConnectionStatus.CONNECTED
    assert integration.company_name == DEMO_NAME
    assert integration.secrets == {"api_key": DEMO_KEY}
    assert DEMO_KEY not in client.get(BASE).content.decode()


def test_a_refused_key_is_a_form_error_and_nothing_is_stored(admin_a, wafeq_sandbox):
    client = api_client_for(admin_a)
    consent(client)
    response = connect(client, "not-a-wafeq-key-0000")
    assert response.status_code == 400
    assert "Wafeq refused this API key" in response.json()["api_key"][0]
    assert (
        not Integration.objects.filter(provider="wafeq", secrets__isnull=False)
        .exclude(secrets={})
        .exists()
    )


def test_books_in_another_base_currency_are_refused_with_a_sentence(admin_a, wafeq_sandbox):
    wafeq_sandbox.add_organization("wafeq-uae-key-0001", name="Dubai Books", currency="AED")
    client = api_client_for(admin_a)
    consent(client)
    response = connect(client, "wafeq-uae-key-0001")
    assert response.status_code == 400
    [message] = response.json()["api_key"]
    assert "Dubai Books" in message and "AED" in message and "SAR" in message


def test_the_chart_and_the_tax_rates_are_synced_together(synced, org_a):
    heading, wallet = account(org_a, "5000"), account(org_a, "1101")
    assert not heading.active  # Wafeq's non-posting account: not assignable
    assert wallet.receive_payments and wallet.external_id == "acc_1101"
    rates = synced.get(f"{BASE}tax-rates/").json()
    assert {"id": INPUT_VAT_RATE, "name": "VAT 15% (purchases)", "rate": "15.00"} in rates
    assert TaxRate.objects.filter(organization=org_a, provider="wafeq").count() == len(rates)


def test_the_source_account_must_take_payments(synced, org_a):
    refused = synced.patch(BASE, {"source_account": account(org_a, "5101").pk}, format="json")
    assert refused.status_code == 400
    assert "bank, cash or card" in refused.json()["source_account"][0]
    taken = synced.patch(BASE, {"source_account": account(org_a, "1101").pk}, format="json")
    assert taken.status_code == 200


def test_the_source_account_picker_offers_only_accounts_that_take_payments(
    synced, org_a, client, admin_a
):
    client.force_login(admin_a)
    found = client.get("/api/v1/accounting/accounts/search/?purpose=source&q=").json()
    rows = found["results"] if isinstance(found, dict) else found
    codes = {row["code"] for row in rows}
    assert codes and codes <= {"1101", "1102", "1201"}
    assigned = client.get("/api/v1/accounting/accounts/search/?purpose=assign&q=5").json()
    rows = assigned["results"] if isinstance(assigned, dict) else assigned
    assert "5101" in {row["code"] for row in rows}


def test_the_input_vat_tax_rate_is_one_of_the_synced_ones_and_the_switch_is_off_by_default(
    synced,
):
    body = synced.get(BASE).json()
    assert body["post_credits_as_manual_journals"] is False
    assert body["input_vat_tax_rate"] is None
    refused = synced.patch(BASE, {"input_vat_tax_rate": "tax_Unknown"}, format="json")
    assert refused.status_code == 400 and "input_vat_tax_rate" in refused.json()
    changed = synced.patch(
        BASE,
        {"input_vat_tax_rate": INPUT_VAT_RATE, "post_credits_as_manual_journals": True},
        format="json",
    )
    assert changed.status_code == 200, changed.content
    integration = Integration.objects.get(provider="wafeq")
    assert integration.options == {
        "input_vat_tax_rate": INPUT_VAT_RATE,
        "post_credits_as_manual_journals": True,
    }


def test_the_configuration_page_shows_the_switch_sentence_and_the_tax_rates(
    synced, client, admin_a
):
    client.force_login(admin_a)
    page = client.get("/settings/integrations/wafeq/").content.decode()
    assert "Post refunds and money received as manual journals" in page
    assert "a manual journal that Wafeq posts at once" in page
    assert "VAT 15% (purchases)" in page
    assert 'name="input_vat_account"' not in page  # a tax rate replaces the account
