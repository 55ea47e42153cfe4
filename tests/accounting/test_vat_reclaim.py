"""What syncs of the VAT: the organization's choice (`vat_reclaim`, SPEC §8 accounting
settings), the VAT evidence on transactions in the API and its filter and counts, and entries
that book unbacked VAT gross under "reclaim only backed VAT"."""

import datetime
from decimal import Decimal

import pytest

from accounting.journal import CREDIT, DEBIT, journal_entry_for
from accounting.models import (
    Account,
    AccountingSettings,
    SyncRunStatus,
    Transaction,
    TransactionStatus,
    VatEvidence,
    VatReclaim,
)
from accounting.services.accounting_settings import change_accounting_settings
from accounting.services.runs import start_sync_run
from sifi.models import AuditEvent, Role
from tests.accounting.sync_runs import drain, verified
from tests.factories import api_client_for, make_transaction
from tests.providers.harnesses import QoyodHarness

SETTINGS = "/api/v1/accounting/settings/"
INVOICE = {
    "seller": "Jarir Bookstore",
    "vat_number": "310122393500003",
    "vat_number_valid": True,
    "time": "2025-03-31T22:30:00Z",
    "total": "230.00",
    "vat": "20.00",
}


# --- the setting ----------------------------------------------------------------------------


def test_an_organization_reclaims_vat_as_reported_until_it_chooses(users_a):
    body = api_client_for(users_a[Role.ACCOUNTANT]).get(SETTINGS).json()
    assert body["vat_reclaim"] == "as_reported"
    assert not AccountingSettings.objects.exists()  # reading writes nothing


@pytest.mark.parametrize("role", [Role.ADMIN, Role.FINANCE_MANAGER])
def test_admins_and_finance_managers_choose_backed_only_and_it_is_audited(users_a, org_a, role):
    response = api_client_for(users_a[role]).patch(
        SETTINGS, {"vat_reclaim": "backed_only"}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert response.json()["vat_reclaim"] == "backed_only"
    assert AccountingSettings.objects.get(organization=org_a).vat_reclaim == "backed_only"
    event = AuditEvent.objects.get(action="accounting_settings.changed")
    assert (event.before, event.after) == (
        {"vat_reclaim": "as_reported"},
        {"vat_reclaim": "backed_only"},
    )


def test_the_same_choice_again_writes_no_audit_row(users_a, org_a):
    for _ in range(2):
        change_accounting_settings(
            organization=org_a, actor=users_a[Role.ADMIN], vat_reclaim="backed_only"
        )
    assert AuditEvent.objects.filter(action="accounting_settings.changed").count() == 1


@pytest.mark.parametrize("role", [Role.ACCOUNTANT, Role.EMPLOYEE])
def test_accountants_and_employees_cannot_change_it(users_a, role):
    response = api_client_for(users_a[role]).patch(
        SETTINGS, {"vat_reclaim": "backed_only"}, format="json"
    )
    assert response.status_code == 403
    assert not AccountingSettings.objects.exists()


def test_an_unknown_choice_is_a_400_naming_the_field(users_a):
    response = api_client_for(users_a[Role.ADMIN]).patch(
        SETTINGS, {"vat_reclaim": "everything"}, format="json"
    )
    assert response.status_code == 400
    assert "vat_reclaim" in response.json()


def test_each_organization_has_its_own_choice(users_a, org_b, admin_b):
    change_accounting_settings(
        organization=org_b, actor=admin_b, vat_reclaim=VatReclaim.BACKED_ONLY
    )
    body = api_client_for(users_a[Role.ADMIN]).get(SETTINGS).json()
    assert body["vat_reclaim"] == "as_reported"


# --- transactions in the API --------------------------------------------------------------


def test_transactions_carry_their_evidence_and_what_the_invoice_says(users_a, org_a):
    txn = make_transaction(
        org_a,
        amount=Decimal("230.00"),
        vat_amount=Decimal("30.00"),
        vat_evidence=VatEvidence.MISMATCH,
        vat_invoice=INVOICE,
    )
    make_transaction(org_a)
    api = api_client_for(users_a[Role.ACCOUNTANT])
    rows = api.get("/api/v1/accounting/transactions/?tab=expenses").json()["results"]
    by_id = {row["id"]: row for row in rows}
    assert by_id[txn.pk]["vat_evidence"] == "mismatch"
    assert by_id[txn.pk]["vat_invoice"] == INVOICE
    assert [row["vat_invoice"] for row in rows if row["id"] != txn.pk] == [None]
    detail = api.get(f"/api/v1/accounting/transactions/{txn.pk}/").json()
    assert detail["vat_invoice"]["vat"] == "20.00"


def test_the_list_filters_on_vat_evidence(users_a, org_a):
    backed = make_transaction(org_a, vat_evidence=VatEvidence.BACKED)
    make_transaction(org_a, vat_evidence=VatEvidence.NO_INVOICE)
    api = api_client_for(users_a[Role.ACCOUNTANT])
    rows = api.get("/api/v1/accounting/transactions/?tab=expenses&vat_evidence=backed").json()
    assert [row["id"] for row in rows["results"]] == [backed.pk]
    bad = api.get("/api/v1/accounting/transactions/?vat_evidence=maybe")
    assert bad.status_code == 400


def test_the_verified_tab_counts_each_evidence_before_a_sync(users_a, org_a):
    account = Account.objects.create(
        organization=org_a, provider="qoyod", external_id="5201", code="5201", name_en="Toner"
    )
    for evidence in ("backed", "backed", "mismatch", "pending", "foreign"):
        make_transaction(
            org_a, status=TransactionStatus.VERIFIED, account=account, vat_evidence=evidence
        )
    make_transaction(org_a, vat_evidence=VatEvidence.NO_INVOICE)  # unverified: not counted
    api = api_client_for(users_a[Role.ACCOUNTANT])
    body = api.get("/api/v1/accounting/transactions/vat-evidence-counts/").json()
    assert body == {"pending": 1, "backed": 2, "mismatch": 1, "no_invoice": 0, "foreign": 1}
    expenses = api.get("/api/v1/accounting/transactions/vat-evidence-counts/?tab=expenses")
    assert expenses.json()["no_invoice"] == 1


# --- the entry ------------------------------------------------------------------------------


def _account(external_id: str) -> Account:
    return Account(provider="qoyod", external_id=external_id, code=external_id)


def _txn(evidence: str, **fields) -> Transaction:
    return Transaction(
        reference="SIFI-TXN-000001",
        type="card_expense",
        direction="debit",
        amount=Decimal("230.00"),
        currency="SAR",
        vat_amount=Decimal("30.00"),
        transaction_date=datetime.date(2025, 3, 31),
        account=_account("5201"),
        merchant="Jarir Bookstore",
        vat_evidence=evidence,
        **fields,
    )


def _lines(draft):
    return {(line.account, line.side, line.amount) for line in draft.lines}


SPLIT = {
    ("5201", DEBIT, Decimal("200.00")),
    ("1104", DEBIT, Decimal("30.00")),
    ("1101", CREDIT, Decimal("230.00")),
}
GROSS = {("5201", DEBIT, Decimal("230.00")), ("1101", CREDIT, Decimal("230.00"))}


@pytest.mark.parametrize("evidence", VatEvidence.values)
def test_as_reported_reclaims_the_vat_whatever_the_receipt_says(evidence):
    draft = journal_entry_for(
        _txn(evidence),
        source_account=_account("1101"),
        input_vat_account=_account("1104"),
        vat_reclaim=VatReclaim.AS_REPORTED,
    )
    assert _lines(draft) == SPLIT
    assert "gross" not in draft.description


@pytest.mark.parametrize(
    ("evidence", "invoice", "fields", "reason"),
    [
        ("mismatch", INVOICE, {}, "the tax invoice shows total 230.00, VAT 20.00"),
        (
            "mismatch",
            {**INVOICE, "vat_number_valid": False, "vat_number": "123"},
            {},
            "the tax invoice's VAT number 123 is not valid",
        ),
        ("no_invoice", None, {}, "no tax invoice QR code on the receipt"),
        (
            "foreign",
            None,
            {"original_amount": Decimal("61.33"), "original_currency": "USD"},
            "paid in USD, no Saudi input VAT",
        ),
        ("pending", None, {}, "the receipt was not read yet"),
    ],
)
def test_backed_only_books_unbacked_vat_gross_and_says_why(evidence, invoice, fields, reason):
    draft = journal_entry_for(
        _txn(evidence, vat_invoice=invoice, **fields),
        source_account=_account("1101"),
        input_vat_account=_account("1104"),
        vat_reclaim=VatReclaim.BACKED_ONLY,
    )
    assert _lines(draft) == GROSS
    assert draft.description.endswith(f"VAT 30.00 booked gross (not reclaimed): {reason}")


def test_backed_only_reclaims_backed_vat():
    draft = journal_entry_for(
        _txn(VatEvidence.BACKED),
        source_account=_account("1101"),
        input_vat_account=_account("1104"),
        vat_reclaim=VatReclaim.BACKED_ONLY,
    )
    assert _lines(draft) == SPLIT
    assert "gross" not in draft.description


def test_without_an_input_vat_account_nothing_is_said_of_vat():
    draft = journal_entry_for(
        _txn(VatEvidence.NO_INVOICE),
        source_account=_account("1101"),
        vat_reclaim=VatReclaim.BACKED_ONLY,
    )
    assert _lines(draft) == GROSS
    assert "VAT" not in draft.description


def test_a_sync_under_backed_only_books_what_the_receipts_back(
    db, qoyod_sandbox, django_capture_on_commit_callbacks
):
    qoyod = QoyodHarness(qoyod_sandbox)
    org, marketing = qoyod.connect(vat=True)
    backed, unbacked = verified(org, marketing, 2, vat_amount=Decimal("15.00"))
    Transaction.objects.filter(pk=backed.pk).update(vat_evidence=VatEvidence.BACKED)
    Transaction.objects.filter(pk=unbacked.pk).update(vat_evidence=VatEvidence.NO_INVOICE)
    AccountingSettings.objects.create(organization=org, vat_reclaim=VatReclaim.BACKED_ONLY)
    with django_capture_on_commit_callbacks():
        run = start_sync_run(organization=org, actor=None)
    assert drain(run).status == SyncRunStatus.SUCCEEDED
    held = qoyod.held_by_reference()
    [backed_entry], [unbacked_entry] = held[backed.reference], held[unbacked.reference]
    vat_line = qoyod.input_vat_account
    assert any(line.account == vat_line for line in backed_entry.lines)
    assert not any(line.account == vat_line for line in unbacked_entry.lines)
    assert "booked gross" in unbacked_entry.description
    assert "booked gross" not in backed_entry.description


# --- the pages ------------------------------------------------------------------------------


@pytest.fixture
def accountant_browser(client, users_a):
    client.force_login(users_a[Role.ACCOUNTANT])
    return client


def test_the_list_has_a_vat_evidence_column_and_filter(accountant_browser, org_a):
    make_transaction(org_a, merchant="Backed Shop", vat_evidence=VatEvidence.BACKED)
    make_transaction(org_a, merchant="Bare Shop", vat_evidence=VatEvidence.NO_INVOICE)
    page = accountant_browser.get("/accounting/?tab=expenses").content.decode()
    assert '<span class="badge vat-backed">Backed by a tax invoice</span>' in page
    assert '<option value="no_invoice" >No tax invoice</option>' in page
    filtered = accountant_browser.get("/accounting/?tab=expenses&vat_evidence=no_invoice")
    assert "Bare Shop" in filtered.content.decode()
    assert "Backed Shop" not in filtered.content.decode()


def test_the_verified_tab_counts_evidence_and_says_what_will_be_booked_gross(
    accountant_browser, org_a, users_a
):
    account = Account.objects.create(
        organization=org_a, provider="qoyod", external_id="5201", code="5201", name_en="Toner"
    )
    for evidence, vat in (("backed", "15.00"), ("mismatch", "15.00"), ("no_invoice", None)):
        make_transaction(
            org_a,
            status=TransactionStatus.VERIFIED,
            account=account,
            vat_evidence=evidence,
            vat_amount=Decimal(vat) if vat else None,
        )
    page = accountant_browser.get("/accounting/?tab=verified").content.decode()
    # Counted by a second request, after the list (the page never waits for the count).
    assert 'hx-get="/accounting/vat-counts/?' in page
    assert "Backed by a tax invoice 1" not in page
    counts = accountant_browser.get("/accounting/vat-counts/").content.decode()
    assert "Backed by a tax invoice 1 · Differs from the tax invoice 1 · No tax invoice 1" in counts
    assert "booked gross" not in counts  # as reported: every VAT is reclaimed
    change_accounting_settings(
        organization=org_a, actor=users_a[Role.ADMIN], vat_reclaim=VatReclaim.BACKED_ONLY
    )
    counts = accountant_browser.get("/accounting/vat-counts/").content.decode()
    # The one without VAT has nothing to book gross.
    assert "the VAT of 1 transaction will be booked gross" in counts
    filtered = accountant_browser.get("/accounting/vat-counts/?vat_evidence=backed").content
    assert "Differs from the tax invoice" not in filtered.decode()


def test_another_organizations_verified_vat_is_not_counted(accountant_browser, org_b):
    theirs = Account.objects.create(
        organization=org_b, provider="qoyod", external_id="5201", code="5201", name_en="Toner"
    )
    make_transaction(
        org_b, status=TransactionStatus.VERIFIED, account=theirs, vat_evidence="backed"
    )
    counts = accountant_browser.get("/accounting/vat-counts/").content.decode()
    assert "Backed by a tax invoice" not in counts


def test_the_transaction_page_shows_what_the_tax_invoice_says(accountant_browser, org_a):
    txn = make_transaction(
        org_a,
        vat_evidence=VatEvidence.MISMATCH,
        vat_invoice={**INVOICE, "vat_number": "123", "vat_number_valid": False},
    )
    page = accountant_browser.get(f"/accounting/transactions/{txn.pk}/").content.decode()
    assert "Differs from the tax invoice" in page
    assert (
        "The receipt's tax invoice: Jarir Bookstore, VAT number 123, 2025-03-31T22:30:00Z, "
        "total 230.00, VAT 20.00 — not a valid VAT number"
    ) in page


def test_a_finance_manager_chooses_backed_only_on_the_settings_page(client, users_a, org_a):
    client.force_login(users_a[Role.FINANCE_MANAGER])
    page = client.get("/accounting/settings/").content.decode()
    assert 'value="as_reported" checked' in page
    response = client.post(
        "/accounting/settings/save/",
        {"vat_reclaim": "backed_only", "next": "/accounting/settings/"},
        follow=True,
    )
    assert "Accounting settings saved." in response.content.decode()
    assert 'value="backed_only" checked' in response.content.decode()
    assert AccountingSettings.objects.get(organization=org_a).vat_reclaim == "backed_only"


def test_an_accountant_reads_the_settings_page_but_cannot_change_it(client, users_a):
    client.force_login(users_a[Role.ACCOUNTANT])
    page = client.get("/accounting/settings/").content.decode()
    assert "<fieldset disabled>" in page
    refused = client.post("/accounting/settings/save/", {"vat_reclaim": "backed_only"})
    assert refused.status_code == 403
    assert not AccountingSettings.objects.exists()


def test_an_unknown_choice_on_the_page_is_a_message_not_a_change(client, users_a):
    client.force_login(users_a[Role.ADMIN])
    response = client.post(
        "/accounting/settings/save/",
        {"vat_reclaim": "all", "next": "/accounting/settings/"},
        follow=True,
    )
    assert "Choose which VAT is reclaimed." in response.content.decode()
    assert not AccountingSettings.objects.exists()


def test_the_accounting_settings_page_is_not_marked_as_the_integrations_settings(client, users_a):
    client.force_login(users_a[Role.ADMIN])
    page = client.get("/accounting/settings/").content.decode()
    assert 'href="/settings/integrations/" aria-current="page"' not in page
    integrations = client.get("/settings/integrations/").content.decode()
    assert 'href="/settings/integrations/" aria-current="page"' in integrations
