"""Provider tax codes (issue 27): books that book VAT through tax codes (Zoho Books' `tax_id`
on a journal line, Odoo's `tax_line_id`) learn their taxes with the chart, the organization
picks the input and the output (reverse charge) tax in the configuration, and the VAT lines
carry them; the sandboxes refuse a tax they do not have."""

from decimal import Decimal

import pytest

from accounting.models import SyncRunStatus
from accounting.services.reverse_charge import set_merchant_reverse_charge
from accounting.services.runs import start_sync_run
from integrations.config_sync import sync_tax_rates
from integrations.connect.tax_codes import INPUT_VAT_TAX, OUTPUT_VAT_TAX
from integrations.models import Integration, TaxRate
from integrations.providers.odoo.sandbox import seed as odoo_seed
from integrations.providers.zoho_books.sandbox import seed as zoho_seed
from integrations.services.configuration import configure
from sifi.models import Role
from tests.accounting.sync_runs import drain, verified
from tests.factories import api_client_for, make_account, make_user
from tests.providers.harnesses import OdooHarness, ZohoBooksHarness

pytestmark = pytest.mark.django_db


def _connected(harness, output_vat):
    org, expense = harness.connect(vat=True)
    external_id, code = output_vat
    output = make_account(
        org, provider=harness.key, external_id=external_id, code=code, type="Liability"
    )
    integration = Integration.objects.get(organization=org)
    integration.output_vat_account = output
    integration.save()
    sync_tax_rates(integration=integration, tax_rates=harness.session().read_tax_rates())
    return org, expense, integration


def _push_vat_and_reverse_charge(org, expense, django_capture_on_commit_callbacks):
    set_merchant_reverse_charge(
        organization=org, actor=None, merchant="Amazon Web Services", reverse_charge=True
    )
    [local] = verified(
        org, expense, 1, merchant="Jarir", amount=Decimal("115.00"), vat_amount=Decimal("15.00")
    )
    [foreign] = verified(org, expense, 1, merchant="Amazon Web Services", amount=Decimal("200.00"))
    with django_capture_on_commit_callbacks():
        run = start_sync_run(organization=org, actor=None)
    assert drain(run).status == SyncRunStatus.SUCCEEDED
    return local, foreign


def test_zoho_books_vat_lines_carry_the_chosen_taxes(
    zoho_books_sandbox, settings, django_capture_on_commit_callbacks
):
    harness = ZohoBooksHarness(zoho_books_sandbox)
    for name, value in harness.product_settings().items():
        setattr(settings, name, value)
    org, expense, _integration = _connected(harness, (zoho_seed.account_id(13), "2102"))
    synced = set(TaxRate.objects.filter(organization=org).values_list("external_id", flat=True))
    assert synced == {zoho_seed.tax_id(n) for n, _name, _rate in zoho_seed.TAXES}
    admin = make_user(org, Role.ADMIN)
    configure(
        actor=admin,
        organization=org,
        provider="zoho_books",
        options={INPUT_VAT_TAX: zoho_seed.INPUT_TAX, OUTPUT_VAT_TAX: zoho_seed.REVERSE_CHARGE_TAX},
    )
    local, foreign = _push_vat_and_reverse_charge(org, expense, django_capture_on_commit_callbacks)
    journals = {j["reference_number"]: j for j in zoho_books_sandbox.journals()}
    taxes = {
        (item["account_id"], item["debit_or_credit"], item["tax_id"])
        for item in journals[local.reference]["line_items"]
    }
    assert (harness.input_vat_account, "debit", zoho_seed.INPUT_TAX) in taxes
    assert (harness.expense_account, "debit", "") in taxes
    rc = {
        (item["account_id"], item["tax_id"]) for item in journals[foreign.reference]["line_items"]
    }
    assert (zoho_seed.account_id(13), zoho_seed.REVERSE_CHARGE_TAX) in rc
    assert (harness.input_vat_account, zoho_seed.INPUT_TAX) in rc


def test_odoo_vat_lines_are_tax_lines_of_the_chosen_taxes(
    odoo_sandbox, settings, django_capture_on_commit_callbacks
):
    harness = OdooHarness(odoo_sandbox)
    for name, value in harness.product_settings().items():
        setattr(settings, name, value)
    org, expense, _integration = _connected(harness, ("1012", "211002"))
    labels = dict(TaxRate.objects.filter(organization=org).values_list("external_id", "name"))
    assert labels[str(odoo_seed.PURCHASE_TAX)] == "15% (purchase)"
    response = api_client_for(make_user(org, Role.ADMIN)).patch(
        "/api/v1/integrations/odoo/",
        {INPUT_VAT_TAX: str(odoo_seed.PURCHASE_TAX), OUTPUT_VAT_TAX: "1"},
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert response.json()[INPUT_VAT_TAX] == str(odoo_seed.PURCHASE_TAX)
    local, foreign = _push_vat_and_reverse_charge(org, expense, django_capture_on_commit_callbacks)
    moves = {move["ref"]: move for move in odoo_sandbox.moves()}
    local_taxes = {
        (line["account_id"], line.get("tax_line_id") or False)
        for line in moves[local.reference]["lines"]
    }
    assert (int(harness.input_vat_account), odoo_seed.PURCHASE_TAX) in local_taxes
    assert (int(harness.expense_account), False) in local_taxes
    rc_taxes = {
        (line["account_id"], line.get("tax_line_id") or False)
        for line in moves[foreign.reference]["lines"]
    }
    assert (1012, 1) in rc_taxes


def test_a_tax_the_books_do_not_have_is_refused_in_the_configuration(odoo_sandbox, settings):
    harness = OdooHarness(odoo_sandbox)
    org, _expense, _integration = _connected(harness, ("1012", "211002"))
    response = api_client_for(make_user(org, Role.ADMIN)).patch(
        "/api/v1/integrations/odoo/", {INPUT_VAT_TAX: "999"}, format="json"
    )
    assert response.status_code == 400
    assert "Pick one of your Odoo taxes" in str(response.json()[INPUT_VAT_TAX])
