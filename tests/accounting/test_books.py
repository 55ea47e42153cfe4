"""Entries an accountant would book (SPEC §2 to §5): the wallet's currency, posting accounts
only, receipt links that last, and VAT on its own line, down to what lands in the books."""

import datetime
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone
from rest_framework.test import APIClient

from accounting.models import Document, ReceiptLink, Transaction, TransactionStatus
from accounting.services.receipts import link_for
from accounting.services.runs import start_sync_run
from integrations.models import Integration
from integrations.services import disconnect
from sifi.models import AuditEvent, Role
from sifi.services import create_service_token
from tests.accounting.sync_runs import drain
from tests.accounting.test_ingestion import item
from tests.factories import api_client_for, make_account, make_transaction, make_user
from tests.fakes.sandbox import MARKETING, WALLET, connected_org, entries_by_reference

PDF = b"%PDF-1.4\n%%EOF\n"
INPUT_VAT = 1010  # 1104 · Input VAT in the sandbox's demo chart


@pytest.fixture
def platform(org_a):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {create_service_token(organization=org_a)}")
    return client


# --- the wallet's currency ---------------------------------------------------------------------


def test_an_amount_in_another_currency_is_refused_naming_the_field_and_the_fix(platform, org_a):
    batch = [item("SIFI-OK"), item("SIFI-USD", currency="USD", amount="100.00")]
    response = platform.post("/api/v1/ledger/transactions/", batch, format="json")
    assert response.status_code == 400
    [error] = response.json()["items"]
    assert (error["index"], error["reference"]) == (1, "SIFI-USD")
    message = error["errors"]["currency"][0]
    assert "charged in SAR" in message and "original_amount" in message
    assert not Transaction.objects.filter(organization=org_a).exists()  # nothing of the batch


@pytest.mark.parametrize(
    ("original", "field"),
    [
        ({"original_amount": "100.00"}, "original_currency"),
        ({"original_currency": "USD"}, "original_amount"),
        ({"original_amount": "0.00", "original_currency": "USD"}, "original_amount"),
        ({"original_amount": "100.00", "original_currency": "usd"}, "original_currency"),
    ],
)
def test_the_foreign_amount_comes_whole_or_not_at_all(platform, org_a, original, field):
    response = platform.post(
        "/api/v1/ledger/transactions/", [item("SIFI-1", **original)], format="json"
    )
    assert response.status_code == 400
    assert field in response.json()["items"][0]["errors"]
    assert not Transaction.objects.filter(organization=org_a).exists()


def test_a_payment_abroad_is_kept_and_shown_in_the_list_and_on_its_page(
    platform, org_a, users_a, client
):
    abroad = item("SIFI-ABROAD", amount="375.40", original_amount="100.00", original_currency="USD")
    assert platform.post("/api/v1/ledger/transactions/", [abroad], format="json").status_code == 200
    txn = Transaction.objects.get(organization=org_a, reference="SIFI-ABROAD")
    assert (txn.amount, txn.currency) == (Decimal("375.40"), "SAR")
    assert (txn.original_amount, txn.original_currency) == (Decimal("100.00"), "USD")
    accountant = api_client_for(users_a[Role.ACCOUNTANT])
    [row] = accountant.get("/api/v1/accounting/transactions/?tab=expenses").json()["results"]
    assert (row["original_amount"], row["original_currency"]) == ("100.00", "USD")
    client.force_login(users_a[Role.ACCOUNTANT])
    assert "USD 100.00" in client.get("/accounting/?tab=expenses").content.decode()
    page = client.get(f"/accounting/transactions/{txn.pk}/").content.decode()
    assert "Paid abroad: USD 100.00" in page


# --- posting accounts only ---------------------------------------------------------------------


@pytest.fixture
def heading_a(org_a, source_a):
    heading = make_account(org_a, code="5", name_en="Expenses", is_heading=True)
    make_account(org_a, code="5201", name_en="Marketing Expenses", parent=heading)
    return heading


def test_a_heading_cannot_be_assigned_one_by_one_nor_in_bulk(accountant_api, org_a, heading_a):
    txn = make_transaction(org_a)
    response = accountant_api.post(
        f"/api/v1/accounting/transactions/{txn.pk}/assign/", {"account": heading_a.pk}
    )
    assert response.status_code == 400
    assert "5 · Expenses is a heading" in response.json()["account"][0]
    response = accountant_api.post(
        "/api/v1/accounting/transactions/bulk-assign/",
        {"account": heading_a.pk, "filter": {"tab": "expenses"}},
        format="json",
    )
    assert response.status_code == 400 and "heading" in response.json()["account"][0]
    txn.refresh_from_db()
    assert txn.status == TransactionStatus.UNVERIFIED


def test_pickers_offer_posting_accounts_only(accountant_api, org_a, heading_a):
    for purpose in ("assign", "source", "input_vat"):
        found = accountant_api.get(
            "/api/v1/accounting/accounts/search/", {"q": "", "purpose": purpose}
        ).json()
        codes = [account["code"] for account in found]
        assert "5201" in codes and "5" not in codes, purpose


# --- receipt links that last -------------------------------------------------------------------


def receipt(txn, content=PDF, content_type="application/pdf"):
    document = Document(
        organization=txn.organization,
        transaction=txn,
        filename="receipt.pdf",
        content_type=content_type,
        size=len(content),
        sha256=f"{txn.pk:064d}",
    )
    document.file.save("receipt.pdf", ContentFile(content), save=False)
    document.save()
    return document


def path_of(link: str) -> str:
    return link.removeprefix("http://127.0.0.1:8000")


def test_a_receipt_link_works_after_100_days_as_a_sandboxed_download_and_each_use_is_logged(
    client, org_a
):
    document = receipt(make_transaction(org_a))
    link = link_for(document)
    assert link_for(document) == link  # one live link per document
    ReceiptLink.objects.filter(document=document).update(
        created_at=timezone.now() - datetime.timedelta(days=100)
    )
    response = client.get(path_of(link))
    assert response.status_code == 200 and b"".join(response.streaming_content) == PDF
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]
    assert client.get(path_of(link)).status_code == 200
    assert ReceiptLink.objects.get(document=document).uses == 2
    assert AuditEvent.objects.filter(action="receipt_link.used", target_id=document.pk).count() == 2


def test_links_stop_working_when_qoyod_is_disconnected(client, org_a, admin_a):
    Integration.objects.create(
        provider="qoyod", organization=org_a, status="connected", secrets={"api_key": "k"}
    )
    link = link_for(receipt(make_transaction(org_a)))
    disconnect(actor=admin_a, organization=org_a, provider="qoyod")
    assert client.get(path_of(link)).status_code == 404
    assert AuditEvent.objects.filter(action="receipt_link.revoked").exists()


def test_an_admin_revokes_one_documents_link_and_not_another_organizations(
    client, org_a, org_b, users_a, admin_b
):
    document = receipt(make_transaction(org_a))
    link = link_for(document)
    url = f"/api/v1/accounting/documents/{document.pk}/revoke-link/"
    assert api_client_for(users_a[Role.ACCOUNTANT]).post(url).status_code == 403
    assert api_client_for(admin_b).post(url).status_code == 404  # another organization's
    assert client.get(path_of(link)).status_code == 200
    response = api_client_for(users_a[Role.ADMIN]).post(url)
    assert response.status_code == 200 and response.json() == {"revoked": 1}
    assert client.get(path_of(link)).status_code == 404
    assert link_for(document) != link  # pushed again, it would get a new link


def test_unknown_links_and_files_we_do_not_serve_are_404(client, org_a):
    assert client.get("/receipts/not-a-token/").status_code == 404
    html = receipt(make_transaction(org_a), b"<script>alert(1)</script>", "text/html")
    assert client.get(path_of(link_for(html))).status_code == 404


# --- what lands in the books -------------------------------------------------------------------


@pytest.mark.django_db
def test_vat_lands_on_its_own_line_and_a_foreign_amount_in_the_description(
    qoyod_sandbox, django_capture_on_commit_callbacks
):
    org, marketing = connected_org(qoyod_sandbox)
    input_vat = make_account(org, external_id=str(INPUT_VAT), code="1104", name_en="Input VAT")
    Integration.objects.filter(organization=org).update(input_vat_account=input_vat)
    expense = make_transaction(
        org,
        status=TransactionStatus.VERIFIED,
        account=marketing,
        amount=Decimal("115.00"),
        vat_amount=Decimal("15.00"),
        merchant="Amazon Web Services",
        original_amount=Decimal("30.67"),
        original_currency="USD",
    )
    refund = make_transaction(
        org,
        type="card_refund",
        status=TransactionStatus.VERIFIED,
        account=marketing,
        amount=Decimal("46.00"),
        vat_amount=Decimal("6.00"),
    )
    with django_capture_on_commit_callbacks():
        run = start_sync_run(organization=org, actor=make_user(org, Role.ACCOUNTANT))
    assert drain(run).status == "succeeded"
    entries = entries_by_reference(qoyod_sandbox)

    def lines(txn):
        [entry] = entries[txn.reference]
        return (
            sorted((a["account_id"], a["amount"]) for a in entry["debit_amounts"]),
            sorted((a["account_id"], a["amount"]) for a in entry["credit_amounts"]),
        )

    assert lines(expense) == ([(INPUT_VAT, "15.00"), (MARKETING, "100.00")], [(WALLET, "115.00")])
    assert lines(refund) == ([(WALLET, "46.00")], [(INPUT_VAT, "6.00"), (MARKETING, "40.00")])
    assert "USD 30.67" in entries[expense.reference][0]["description"]
    expense.refresh_from_db()
    assert expense.journal_entry_lines == [
        {"account": str(MARKETING), "side": "debit", "amount": "100.00"},
        {"account": str(INPUT_VAT), "side": "debit", "amount": "15.00"},
        {"account": str(WALLET), "side": "credit", "amount": "115.00"},
    ]
