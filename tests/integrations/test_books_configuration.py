"""The configuration a finance team sets for its books (SPEC §3.5): the Input VAT account
beside the Source Account, posting accounts only, and what a re-sync does when an account
becomes a heading."""

import pytest
import respx

from accounting.models import Account, TransactionStatus
from accounting.services.verification import assign_account
from integrations.config_sync import run_config_sync
from integrations.jobs import start_config_sync
from integrations.models import ConnectionStatus, Integration
from sifi.models import Role
from tests.factories import api_client_for, make_account, make_transaction
from tests.integrations.qoyod_payloads import QOYOD, account_row, accounts_body, small_chart
from tests.integrations.test_chart_sync import chart_by_code, connected_integration

URL = "/api/v1/integrations/qoyod/"


@pytest.fixture
def chart_a(org_a):
    connected_integration(org_a)
    heading = make_account(org_a, code="11", name_en="Current Assets", is_heading=True)
    return {
        "bank": make_account(
            org_a, code="1101", name_en="Al Rajhi Bank", type="Asset", parent=heading
        ),
        "vat": make_account(
            org_a, code="1104", name_en="Input VAT", type="Asset", group_type="tax"
        ),
        "heading": heading,
        "inactive": make_account(org_a, code="1199", active=False),
    }


def test_the_input_vat_account_is_set_beside_the_source_account_and_cleared(
    admin_a, org_a, chart_a
):
    api = api_client_for(admin_a)
    body = {"source_account": chart_a["bank"].pk, "input_vat_account": chart_a["vat"].pk}
    response = api.patch(URL, body, format="json")
    assert response.status_code == 200
    assert response.json()["input_vat_account"] == chart_a["vat"].pk
    assert response.json()["input_vat_account_name"] == "1104 · Input VAT"
    response = api.patch(URL, {"input_vat_account": None}, format="json")
    assert response.status_code == 200 and response.json()["input_vat_account"] is None
    integration = Integration.objects.get(organization=org_a)
    assert (integration.source_account_id, integration.input_vat_account_id) == (
        chart_a["bank"].pk,
        None,
    )


@pytest.mark.parametrize("field", ["source_account", "input_vat_account"])
def test_headings_inactive_and_other_organizations_accounts_are_refused(
    admin_a, org_a, org_b, chart_a, field
):
    api = api_client_for(admin_a)
    theirs = make_account(org_b, code="1104")
    for bad, says in (
        (chart_a["heading"], "is a heading"),
        (chart_a["inactive"], "inactive"),
        (theirs, "Pick an account"),
    ):
        response = api.patch(URL, {field: bad.pk}, format="json")
        assert response.status_code == 400
        assert says in response.json()[field][0]
    assert Integration.objects.get(organization=org_a).input_vat_account_id is None


def test_the_input_vat_account_cannot_be_the_wallet(admin_a, chart_a):
    api = api_client_for(admin_a)
    body = {"source_account": chart_a["bank"].pk, "input_vat_account": chart_a["bank"].pk}
    response = api.patch(URL, body, format="json")
    assert (
        response.status_code == 400 and "Source Account" in response.json()["input_vat_account"][0]
    )


def test_the_page_sets_input_vat_and_says_what_gross_booking_means(client, users_a, chart_a):
    client.force_login(users_a[Role.FINANCE_MANAGER])
    page = client.get("/settings/integrations/qoyod/").content.decode()
    assert "not VAT-registered" in page
    assert f'<option value="{chart_a["heading"].pk}"' not in page
    response = client.post(
        "/settings/integrations/qoyod/configure/",
        {"source_account": chart_a["bank"].pk, "input_vat_account": chart_a["vat"].pk},
        follow=True,
    )
    assert "VAT is booked to 1104 · Input VAT" in response.content.decode()


@pytest.mark.parametrize(
    ("type_", "group_type"),
    [
        ("Liability", "tax"),  # Qoyod
        ("liability_current", "liability"),  # Odoo
        ("other_current_liability", "liability"),  # Zoho Books
        ("LIABILITY", "CURRENT_LIABILITY"),  # Wafeq
        ("Expense", ""),
    ],
)
def test_an_input_vat_account_that_is_not_an_asset_is_refused(admin_a, chart_a, type_, group_type):
    output_vat = make_account(
        chart_a["bank"].organization,
        code="2102",
        name_en="Output VAT",
        type=type_,
        group_type=group_type,
    )
    response = api_client_for(admin_a).patch(
        URL, {"input_vat_account": output_vat.pk}, format="json"
    )
    assert response.status_code == 400
    assert "2102 · Output VAT is not an asset account" in response.json()["input_vat_account"][0]


@pytest.mark.parametrize(
    ("type_", "group_type"),
    [("asset_current", "asset"), ("other_current_asset", "asset"), ("ASSET", "VAT"), ("", "")],
)
def test_an_asset_or_unknown_type_is_accepted_as_input_vat(admin_a, chart_a, type_, group_type):
    vat = make_account(chart_a["bank"].organization, code="1401", type=type_, group_type=group_type)
    response = api_client_for(admin_a).patch(URL, {"input_vat_account": vat.pk}, format="json")
    assert response.status_code == 200 and response.json()["input_vat_account"] == vat.pk


def test_the_source_account_once_set_cannot_be_cleared(admin_a, org_a, chart_a):
    api = api_client_for(admin_a)
    assert api.patch(URL, {"source_account": chart_a["bank"].pk}, format="json").status_code == 200
    response = api.patch(URL, {"source_account": None}, format="json")
    assert response.status_code == 400
    assert "Pick the Source Account" in response.json()["source_account"][0]
    assert Integration.objects.get(organization=org_a).source_account == chart_a["bank"]


def test_the_page_refuses_an_empty_source_account_and_output_vat_by_their_fields(
    client, users_a, org_a, chart_a
):
    output_vat = make_account(org_a, code="2102", name_en="Output VAT", type="Liability")
    client.force_login(users_a[Role.FINANCE_MANAGER])
    response = client.post(
        "/settings/integrations/qoyod/configure/",
        {"source_account": "", "input_vat_account": chart_a["vat"].pk},
    )
    page = response.content.decode()
    assert response.status_code == 400
    assert "Configuration saved" not in page
    assert 'data-testid="source-account-error">Pick the Source Account' in page
    response = client.post(
        "/settings/integrations/qoyod/configure/",
        {"source_account": chart_a["bank"].pk, "input_vat_account": output_vat.pk},
    )
    assert 'data-testid="input-vat-account-error">2102 · Output VAT is not an asset' in (
        response.content.decode()
    )
    assert Integration.objects.get(organization=org_a).input_vat_account_id is None


def test_the_vat_note_names_the_chosen_account_not_input_vat(client, users_a, org_a, chart_a):
    vat = make_account(org_a, code="1401", name_en="VAT Receivable", type="Asset")
    Integration.objects.filter(organization=org_a).update(
        source_account=chart_a["bank"], input_vat_account=vat
    )
    client.force_login(users_a[Role.FINANCE_MANAGER])
    page = client.get("/settings/integrations/qoyod/").content.decode()
    assert "15.00 to 1401 · VAT Receivable." in page
    assert "to Input VAT" not in page


def test_an_account_that_became_a_heading_sends_its_verified_transactions_back(admin_a, org_a):
    integration = connected_integration(org_a)
    with respx.mock(base_url=QOYOD) as mock:
        route = mock.get("/accounts")
        route.respond(200, json=accounts_body(small_chart()))
        run_config_sync(job_id=start_config_sync(actor=admin_a, organization=org_a).pk)
        chart = chart_by_code(org_a)
        assert chart["5"].is_heading and not chart["5102"].is_heading
        Integration.objects.filter(pk=integration.pk).update(source_account=chart["1101"])
        travel = make_transaction(org_a)
        assign_account(
            organization=org_a, actor=admin_a, transaction_id=travel.pk, account_id=chart["5102"].pk
        )
        # Qoyod's accountant splits Travel into domestic and international.
        route.respond(
            200,
            json=accounts_body(
                [*small_chart(), account_row(9, "510201", "Domestic travel", "سفر داخلي")]
            ),
        )
        run_config_sync(job_id=start_config_sync(actor=admin_a, organization=org_a).pk)
    travel.refresh_from_db()
    assert travel.status == TransactionStatus.UNVERIFIED and travel.account is None
    assert "5102 · Travel Expenses is now a heading" in travel.status_reason
    assert travel.error_code == "account_heading"
    assert Account.objects.get(organization=org_a, code="5102").is_heading
    assert Integration.objects.get(pk=integration.pk).status == ConnectionStatus.CONNECTED


def test_a_source_account_that_became_a_heading_needs_attention(admin_a, org_a):
    integration = connected_integration(org_a)
    with respx.mock(base_url=QOYOD) as mock:
        route = mock.get("/accounts")
        route.respond(200, json=accounts_body(small_chart()))
        run_config_sync(job_id=start_config_sync(actor=admin_a, organization=org_a).pk)
        Integration.objects.filter(pk=integration.pk).update(
            source_account=chart_by_code(org_a)["1101"]
        )
        route.respond(
            200,
            json=accounts_body([*small_chart(), account_row(9, "110101", "Wallet", "المحفظة")]),
        )
        run_config_sync(job_id=start_config_sync(actor=admin_a, organization=org_a).pk)
    integration.refresh_from_db()
    assert integration.status == ConnectionStatus.NEEDS_ATTENTION
    assert "source account 1101 · Al Rajhi Bank is now a heading" in integration.attention_reason
