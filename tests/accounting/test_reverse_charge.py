"""Reverse charge on foreign services (issue 27): a merchant or a rule ticked "reverse charge"
books its transactions' VAT twice at 15 % (output VAT on the organization's Output VAT
account, input VAT on the Input VAT account), each on its own line, the entry balanced and
saying "reverse charge"; the Output VAT account is chosen in the integration's configuration."""

import datetime
from decimal import Decimal

import pytest

from accounting.journal import (
    CREDIT,
    DEBIT,
    ReverseChargeUnconfigured,
    journal_entry_for,
)
from accounting.models import (
    Account,
    ReverseChargeMerchant,
    Rule,
    SyncRunStatus,
    Transaction,
    TransactionStatus,
    VatEvidence,
)
from accounting.services.reverse_charge import is_reverse_charged, set_merchant_reverse_charge
from accounting.services.runs import start_sync_run
from integrations.models import Integration
from sifi.models import AuditEvent, Role
from tests.accounting.sync_runs import drain, verified
from tests.factories import api_client_for, make_account, make_transaction, set_source_account
from tests.providers.harnesses import QoyodHarness

MERCHANTS = "/api/v1/accounting/reverse-charge-merchants/"


def _account(external_id: str) -> Account:
    return Account(provider="qoyod", external_id=external_id, code=external_id)


def _txn(**fields) -> Transaction:
    values = {
        "reference": "SIFI-TXN-000001",
        "type": "card_expense",
        "direction": "debit",
        "amount": Decimal("1690.50"),
        "currency": "SAR",
        "vat_amount": Decimal("220.50"),  # what SiFi reported: no Saudi invoice backs it
        "original_amount": Decimal("450.79"),
        "original_currency": "USD",
        "transaction_date": datetime.date(2025, 3, 31),
        "account": _account("5301"),
        "merchant": "Amazon Web Services",
        "vat_evidence": VatEvidence.FOREIGN,
    }
    values.update(fields)
    return Transaction(**values)


def _lines(draft):
    return sorted((line.account, line.side, line.amount) for line in draft.lines)


# --- the entry ------------------------------------------------------------------------------


def test_a_foreign_service_books_output_and_input_vat_at_15_percent_on_lines_of_their_own():
    draft = journal_entry_for(
        _txn(),
        source_account=_account("1101"),
        input_vat_account=_account("1104"),
        reverse_charge=True,
        output_vat="2102",
    )
    assert _lines(draft) == sorted(
        [
            ("5301", DEBIT, Decimal("1690.50")),  # the whole amount: no Saudi VAT was paid
            ("1104", DEBIT, Decimal("253.58")),  # 15 % of 1690.50, rounded half up
            ("2102", CREDIT, Decimal("253.58")),
            ("1101", CREDIT, Decimal("1690.50")),
        ]
    )
    assert draft.total_debit == draft.total_credit == Decimal("1944.08")
    assert "reverse charge" in draft.description
    assert draft.reverse_charge_vat == Decimal("253.58")
    assert draft.vat_reclaimed == Decimal("0.00")


def test_a_refund_of_a_foreign_service_mirrors_every_side():
    draft = journal_entry_for(
        _txn(type="card_refund", direction="credit", amount=Decimal("100.00")),
        source_account=_account("1101"),
        input_vat_account=_account("1104"),
        reverse_charge=True,
        output_vat="2102",
    )
    assert _lines(draft) == sorted(
        [
            ("5301", CREDIT, Decimal("100.00")),
            ("1104", CREDIT, Decimal("15.00")),
            ("2102", DEBIT, Decimal("15.00")),
            ("1101", DEBIT, Decimal("100.00")),
        ]
    )


def test_an_organization_not_registered_for_vat_books_a_foreign_service_gross():
    draft = journal_entry_for(
        _txn(), source_account=_account("1101"), reverse_charge=True, output_vat="2102"
    )
    assert _lines(draft) == sorted(
        [("5301", DEBIT, Decimal("1690.50")), ("1101", CREDIT, Decimal("1690.50"))]
    )
    assert draft.reverse_charge_vat is None


def test_reverse_charge_without_an_output_vat_account_cannot_be_built():
    with pytest.raises(ReverseChargeUnconfigured):
        journal_entry_for(
            _txn(),
            source_account=_account("1101"),
            input_vat_account=_account("1104"),
            reverse_charge=True,
        )


def test_without_the_tick_the_entry_is_as_before():
    draft = journal_entry_for(
        _txn(), source_account=_account("1101"), input_vat_account=_account("1104")
    )
    assert ("1104", DEBIT, Decimal("220.50")) in _lines(draft)
    assert "reverse charge" not in draft.description


# --- which transactions ---------------------------------------------------------------------


def test_a_ticked_merchant_is_reverse_charged_as_merchants_compare(org_a, admin_a, org_b):
    set_merchant_reverse_charge(
        organization=org_a, actor=admin_a, merchant="AMAZON  Web Services", reverse_charge=True
    )
    assert is_reverse_charged(make_transaction(org_a, merchant="amazon web services"))
    assert not is_reverse_charged(make_transaction(org_a, merchant="Amazon Marketplace"))
    assert not is_reverse_charged(make_transaction(org_b, merchant="amazon web services"))


def test_a_rule_ticked_reverse_charge_marks_what_it_matches(org_a):
    account = make_account(org_a)
    Rule.objects.create(
        organization=org_a,
        name="Cloud",
        conditions={"merchant_contains": "cloud", "amount_min": "100.00"},
        account=account,
        reverse_charge=True,
    )
    Rule.objects.create(
        organization=org_a,
        name="Off",
        enabled=False,
        conditions={"merchant_contains": "github"},
        account=account,
        reverse_charge=True,
    )
    assert is_reverse_charged(make_transaction(org_a, merchant="Google Cloud EMEA"))
    assert not is_reverse_charged(
        make_transaction(org_a, merchant="Google Cloud EMEA", amount=Decimal("99.00"))
    )
    assert not is_reverse_charged(make_transaction(org_a, merchant="GitHub"))


@pytest.mark.parametrize("role", [Role.ADMIN, Role.FINANCE_MANAGER])
def test_admins_and_finance_managers_tick_a_merchant_and_it_is_audited(users_a, org_a, role):
    api = api_client_for(users_a[role])
    response = api.post(MERCHANTS, {"merchant": "Slack", "reverse_charge": True}, format="json")
    assert response.status_code == 200, response.json()
    assert [row["merchant"] for row in api.get(MERCHANTS).json()] == ["Slack"]
    assert AuditEvent.objects.filter(action="reverse_charge_merchant.added").count() == 1
    gone = api.post(MERCHANTS, {"merchant": "slack", "reverse_charge": False}, format="json")
    assert gone.status_code == 204
    assert not ReverseChargeMerchant.objects.exists()
    assert AuditEvent.objects.filter(action="reverse_charge_merchant.removed").count() == 1


def test_accountants_read_the_merchants_but_cannot_tick_one(users_a, org_a, admin_a):
    set_merchant_reverse_charge(
        organization=org_a, actor=admin_a, merchant="Zoom", reverse_charge=True
    )
    api = api_client_for(users_a[Role.ACCOUNTANT])
    assert [row["merchant"] for row in api.get(MERCHANTS).json()] == ["Zoom"]
    refused = api.post(MERCHANTS, {"merchant": "Slack", "reverse_charge": True}, format="json")
    assert refused.status_code == 403
    assert api_client_for(users_a[Role.EMPLOYEE]).get(MERCHANTS).status_code == 403


def test_an_empty_merchant_is_a_400_naming_the_field(users_a):
    api = api_client_for(users_a[Role.ADMIN])
    response = api.post(MERCHANTS, {"merchant": "   ", "reverse_charge": True}, format="json")
    assert response.status_code == 400
    assert "merchant" in response.json()


def test_another_organization_does_not_see_the_merchants(org_a, admin_a, admin_b):
    set_merchant_reverse_charge(
        organization=org_a, actor=admin_a, merchant="Zoom", reverse_charge=True
    )
    assert api_client_for(admin_b).get(MERCHANTS).json() == []


def test_a_rule_is_ticked_reverse_charge_through_the_api(users_a, org_a):
    source = set_source_account(org_a)
    account = make_account(org_a)
    assert source.pk != account.pk
    api = api_client_for(users_a[Role.FINANCE_MANAGER])
    created = api.post(
        "/api/v1/accounting/rules/",
        {
            "name": "Cloud software",
            "conditions": {"merchant_contains": "aws"},
            "account": account.pk,
            "reverse_charge": True,
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    assert created.json()["reverse_charge"] is True
    assert Rule.objects.get().reverse_charge is True


def test_the_transaction_page_ticks_its_merchant(client, users_a, org_a):
    txn = make_transaction(org_a, merchant="Notion Labs")
    client.force_login(users_a[Role.ADMIN])
    page = client.get(f"/accounting/transactions/{txn.pk}/").content.decode()
    assert "Reverse-charge this merchant" in page
    client.post(
        "/accounting/reverse-charge/",
        {
            "merchant": "Notion Labs",
            "reverse_charge": "on",
            "next": f"/accounting/transactions/{txn.pk}/",
        },
    )
    assert ReverseChargeMerchant.objects.get(organization=org_a).merchant == "Notion Labs"
    page = client.get(f"/accounting/transactions/{txn.pk}/").content.decode()
    assert "Stop reverse charge" in page


def test_an_accountant_cannot_tick_a_merchant_on_the_page(client, users_a, org_a):
    client.force_login(users_a[Role.ACCOUNTANT])
    response = client.post("/accounting/reverse-charge/", {"merchant": "X", "reverse_charge": "on"})
    assert response.status_code == 403
    assert not ReverseChargeMerchant.objects.exists()


# --- the Output VAT account in the configuration -------------------------------------------


def _chart(org):
    source = set_source_account(org)
    input_vat = make_account(org, code="1104", name_en="Input VAT", type="Asset")
    output_vat = make_account(org, code="2102", name_en="Output VAT", type="Liability")
    return source, input_vat, output_vat


def test_an_admin_picks_the_output_vat_account(users_a, org_a):
    _source, _input_vat, output_vat = _chart(org_a)
    api = api_client_for(users_a[Role.ADMIN])
    response = api.patch(
        "/api/v1/integrations/qoyod/", {"output_vat_account": output_vat.pk}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert response.json()["output_vat_account"] == output_vat.pk
    assert response.json()["output_vat_account_name"] == str(output_vat)
    assert Integration.objects.get(organization=org_a).output_vat_account == output_vat


def test_an_asset_is_refused_as_the_output_vat_account(users_a, org_a):
    _source, input_vat, _output_vat = _chart(org_a)
    api = api_client_for(users_a[Role.ADMIN])
    response = api.patch(
        "/api/v1/integrations/qoyod/", {"output_vat_account": input_vat.pk}, format="json"
    )
    assert response.status_code == 400
    assert "not a liability account" in str(response.json()["output_vat_account"])


def test_another_organizations_account_is_refused_as_the_output_vat_account(users_a, org_a, org_b):
    _chart(org_a)
    theirs = make_account(org_b, code="2102", type="Liability")
    response = api_client_for(users_a[Role.ADMIN]).patch(
        "/api/v1/integrations/qoyod/", {"output_vat_account": theirs.pk}, format="json"
    )
    assert response.status_code == 400
    assert "output_vat_account" in response.json()


def test_the_configuration_page_saves_the_output_vat_account(client, users_a, org_a):
    source, input_vat, output_vat = _chart(org_a)
    client.force_login(users_a[Role.ADMIN])
    page = client.get("/settings/integrations/qoyod/").content.decode()
    assert 'name="output_vat_account"' in page
    client.post(
        "/settings/integrations/qoyod/configure/",
        {
            "source_account": source.pk,
            "input_vat_account": input_vat.pk,
            "output_vat_account": output_vat.pk,
        },
    )
    assert Integration.objects.get(organization=org_a).output_vat_account == output_vat


# --- a sync ---------------------------------------------------------------------------------


def test_a_reverse_charged_transaction_without_an_output_vat_account_fails_saying_so(
    db, qoyod_sandbox, django_capture_on_commit_callbacks
):
    qoyod = QoyodHarness(qoyod_sandbox)
    org, marketing = qoyod.connect(vat=True)
    [txn] = verified(org, marketing, 1, merchant="Amazon Web Services")
    set_merchant_reverse_charge(
        organization=org, actor=None, merchant="Amazon Web Services", reverse_charge=True
    )
    with django_capture_on_commit_callbacks():
        run = start_sync_run(organization=org, actor=None)
    drain(run)
    txn.refresh_from_db()
    assert txn.status == TransactionStatus.FAILED
    assert txn.error_code == "reverse_charge_validation"
    assert "Output VAT account" in txn.status_reason
    assert run.status != SyncRunStatus.RUNNING
    assert qoyod.held_by_reference() == {}
