"""SiFi's card platform sends transactions in batches, idempotent by reference."""

import base64
from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from accounting.models import Document, Transaction, TransactionStatus
from sifi.models import AuditEvent
from sifi.services import create_service_token
from tests.factories import a_pdf, an_image, make_account, make_transaction, set_source_account

PDF = a_pdf()
PNG = an_image("PNG")


@pytest.fixture
def platform(org_a):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {create_service_token(organization=org_a)}")
    return client


def item(reference="SIFI-TXN-1", **overrides):
    body = {
        "reference": reference,
        "type": "card_expense",
        "amount": "230.00",
        "currency": "SAR",
        "vat_amount": "30.00",
        "occurred_at": "2025-03-31T22:30:00Z",
        "merchant": "مكتبة جرير Jarir Bookstore",
        "description": "Printer toner",
        "employee": {"reference": "EMP-7", "name": "Sara Al-Harbi"},
        "budget": "Marketing Campaign 2025",
        "card": {"reference": "CARD-7", "last4": "4242"},
        "documents": [
            {
                "filename": "receipt.pdf",
                "content_type": "application/pdf",
                "content": base64.b64encode(PDF).decode(),
            }
        ],
    }
    body.update(overrides)
    return body


def test_a_batch_creates_transactions_with_people_budgets_cards_and_receipts(
    platform, org_a, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):  # receipts are written on commit
        response = platform.post(
            "/api/v1/ledger/transactions/",
            [item(), item("SIFI-TXN-2", type="card_refund", documents=[])],
            format="json",
        )
    assert response.status_code == 200, response.json()
    assert response.json()["created"] == 2
    expense = Transaction.objects.get(organization=org_a, reference="SIFI-TXN-1")
    assert expense.direction == "debit" and expense.amount == Decimal("230.00")
    assert expense.vat_amount == Decimal("30.00")
    # 22:30 UTC on 31 March is 1 April in Riyadh: the accounting date is the local one.
    assert str(expense.transaction_date) == "2025-04-01"
    assert expense.employee.name == "Sara Al-Harbi" and expense.budget.name.endswith("2025")
    assert expense.card.last4 == "4242"
    document = expense.documents.get()
    assert document.file.read() == PDF and document.size == len(PDF)
    refund = Transaction.objects.get(organization=org_a, reference="SIFI-TXN-2")
    assert refund.direction == "credit"


def test_sending_the_same_batch_twice_changes_nothing(platform, org_a):
    batch = [item(), item("SIFI-TXN-2")]
    platform.post("/api/v1/ledger/transactions/", batch, format="json")
    audit_rows = AuditEvent.objects.count()
    again = platform.post("/api/v1/ledger/transactions/", batch, format="json").json()
    assert again["created"] == 0 and again["unchanged"] == 2
    assert Transaction.objects.filter(organization=org_a).count() == 2
    assert Document.objects.count() == 2
    assert AuditEvent.objects.count() == audit_rows


def test_a_correction_of_an_unsynced_transaction_updates_it_with_an_audit_row(platform, org_a):
    platform.post("/api/v1/ledger/transactions/", [item()], format="json")
    response = platform.post(
        "/api/v1/ledger/transactions/", [item(amount="240.00")], format="json"
    ).json()
    assert response["updated"] == 1
    txn = Transaction.objects.get(reference="SIFI-TXN-1")
    assert txn.amount == Decimal("240.00")
    audit = AuditEvent.objects.get(action="transaction.corrected", target_id=txn.pk)
    assert audit.before == {"amount": "230.00"} and audit.after["amount"] == "240.00"


def test_a_correction_of_a_synced_transaction_is_flagged_never_applied(platform, org_a):
    account = make_account(org_a)
    set_source_account(org_a)
    make_transaction(
        org_a,
        reference="SIFI-TXN-1",
        amount=Decimal("230.00"),
        status=TransactionStatus.SYNCED,
        account=account,
        journal_entry_id="991",
    )
    response = platform.post(
        "/api/v1/ledger/transactions/", [item(amount="250.00")], format="json"
    ).json()
    assert response["changed_after_sync"] == 1
    txn = Transaction.objects.get(reference="SIFI-TXN-1")
    assert txn.amount == Decimal("230.00")
    assert txn.changed_after_sync["differences"]["amount"] == ["230.00", "250.00"]
    # Sending the same correction again is not a new change.
    again = platform.post("/api/v1/ledger/transactions/", [item(amount="250.00")], format="json")
    assert again.json()["unchanged"] == 1


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"amount": "0"}, "amount"),
        ({"amount": "-5.00"}, "amount"),
        ({"amount": "1.005"}, "amount"),
        ({"currency": "riyal"}, "currency"),
        ({"type": "gift"}, "type"),
        ({"direction": "credit"}, "direction"),
        ({"vat_amount": "500.00"}, "vat_amount"),
        ({"occurred_at": "yesterday"}, "occurred_at"),
        ({"card": {"reference": "C", "last4": "12a4"}}, "card"),
        (
            {
                "documents": [
                    {"filename": "x.pdf", "content_type": "application/pdf", "content": "%%"}
                ]
            },
            "documents",
        ),
        (
            {
                "documents": [
                    {
                        "filename": "x.pdf",
                        "content_type": "application/pdf",
                        "content": base64.b64encode(PNG).decode(),
                    }
                ]
            },
            "documents",
        ),
        (
            {
                "documents": [
                    {
                        "filename": "x.exe",
                        "content_type": "application/x-msdownload",
                        "content": "TVo=",
                    }
                ]
            },
            "documents",
        ),
    ],
)
def test_one_bad_item_refuses_the_whole_batch_with_its_field_errors(
    platform, org_a, overrides, field
):
    response = platform.post(
        "/api/v1/ledger/transactions/", [item("GOOD-1"), item("BAD-1", **overrides)], format="json"
    )
    assert response.status_code == 400
    body = response.json()
    assert "nothing was saved" in body["detail"]
    assert body["items"][0]["index"] == 1 and body["items"][0]["reference"] == "BAD-1"
    assert field in body["items"][0]["errors"]
    assert not Transaction.objects.filter(organization=org_a).exists()


def test_a_reference_twice_in_one_batch_is_refused(platform, org_a):
    response = platform.post("/api/v1/ledger/transactions/", [item(), item()], format="json")
    assert response.status_code == 400
    assert response.json()["items"][0]["errors"] == {"reference": ["Appears twice in this batch."]}


@pytest.mark.parametrize("body", [{}, [], "text", [1, 2]])
def test_a_body_that_is_not_a_list_of_transactions_is_a_clear_400(platform, body):
    response = platform.post("/api/v1/ledger/transactions/", body, format="json")
    assert response.status_code == 400


def test_people_cannot_use_the_ingestion_endpoint(client_for, admin_a):
    response = client_for(admin_a).post("/api/v1/ledger/transactions/", [item()], format="json")
    assert response.status_code == 403


def test_anonymous_cannot_ingest():
    response = APIClient().post("/api/v1/ledger/transactions/", [item()], format="json")
    assert response.status_code == 401


def test_references_are_unique_per_organization_not_globally(platform, org_b):
    make_transaction(org_b, reference="SIFI-TXN-1")
    response = platform.post("/api/v1/ledger/transactions/", [item()], format="json")
    assert response.json()["created"] == 1
    assert Transaction.objects.filter(reference="SIFI-TXN-1").count() == 2
