"""Late receipts in the ledger (issue 26): what ingestion stores for a transaction a run took,
what its page says of each receipt, retrying a failed one, and each organization's own.

The books' side (attached exactly once, per provider): tests/providers/
test_late_receipts_contract.py and, with real workers, test_late_receipts_worker.py.
"""

import base64

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounting import tasks
from accounting.models import Document, SyncRun, Transaction, TransactionStatus
from accounting.services.ingestion import IncomingDocument, IncomingReceipts, ingest_transactions
from accounting.services.late_receipts import organizations_waiting, ready
from integrations.models import ConnectionStatus, Integration
from sifi.models import AuditEvent, Role
from sifi.services import create_service_token
from tests.factories import an_image, api_client_for, make_account, make_transaction, make_user

pytestmark = pytest.mark.django_db

PNG = an_image("PNG")


def platform_of(org) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {create_service_token(organization=org)}")
    return client


def late(reference, content=PNG, filename="late.png"):
    return {
        "reference": reference,
        "documents": [
            {
                "filename": filename,
                "content_type": "image/png",
                "content": base64.b64encode(content).decode(),
            }
        ],
    }


def synced_transaction(org, reference="SIFI-1"):
    return make_transaction(
        org,
        reference=reference,
        status=TransactionStatus.SYNCED,
        account=make_account(org),
        journal_entry_id="JE-1",
        synced_at=timezone.now(),
    )


def connect(org):
    Integration.objects.create(
        organization=org,
        provider="qoyod",
        status=ConnectionStatus.CONNECTED,
        secrets={"api_key": "k"},
    )


def test_a_late_receipt_for_a_synced_transaction_is_stored_and_queued_for_its_entry(
    org_a, django_capture_on_commit_callbacks
):
    txn = synced_transaction(org_a)
    with django_capture_on_commit_callbacks() as callbacks:
        response = platform_of(org_a).post(
            "/api/v1/ledger/transactions/", [late("SIFI-1")], format="json"
        )
    assert response.status_code == 200, response.json()
    assert response.json()["updated"] == 1
    [document] = Document.objects.filter(transaction=txn)
    assert document.late_since is not None and document.attached_at is None
    # The file is written, then the company's turns are started to attach it.
    queued = [getattr(c, "func", None) for c in callbacks]
    assert tasks.attach_late_receipts.delay in queued
    # Not read for VAT evidence: the books hold the VAT as synced.
    assert tasks.read_vat_evidence.delay not in queued
    txn.refresh_from_db()
    assert txn.status == TransactionStatus.SYNCED and not txn.changed_after_sync
    assert AuditEvent.objects.filter(
        action="transaction.late_receipts_received", target_id=txn.pk
    ).exists()
    # Sent again (the platform retries): the same content is the same receipt.
    again = platform_of(org_a).post("/api/v1/ledger/transactions/", [late("SIFI-1")], format="json")
    assert again.json()["unchanged"] == 1
    assert Document.objects.filter(transaction=txn).count() == 1


def test_a_batch_of_late_receipts_starts_the_companys_turns_once(
    org_a, django_capture_on_commit_callbacks
):
    for number in range(3):
        synced_transaction(org_a, reference=f"SIFI-{number}")
    batch = [
        late(f"SIFI-{number}", an_image("PNG", color=f"#0000{number}0")) for number in range(3)
    ]
    with django_capture_on_commit_callbacks() as callbacks:
        response = platform_of(org_a).post("/api/v1/ledger/transactions/", batch, format="json")
    assert response.json()["updated"] == 3
    queued = [getattr(c, "func", None) for c in callbacks]
    assert queued.count(tasks.attach_late_receipts.delay) == 1


def test_a_late_receipt_for_a_transaction_in_a_run_waits_for_its_push(
    org_a, django_capture_on_commit_callbacks
):
    connect(org_a)
    txn = make_transaction(
        org_a, reference="SIFI-1", status=TransactionStatus.VERIFIED, account=make_account(org_a)
    )
    run = SyncRun.objects.create(organization=org_a, total=1)
    Transaction.objects.filter(pk=txn.pk).update(status=TransactionStatus.SYNCING, sync_run=run)
    result = ingest_transactions(
        organization=org_a,
        items=[IncomingReceipts("SIFI-1", (IncomingDocument("late.png", "image/png", PNG),))],
    )
    assert result.updated == 1
    [document] = Document.objects.filter(transaction=txn)
    assert document.late_since is not None
    assert not ready(org_a.pk).exists()  # not while its run holds it
    Transaction.objects.filter(pk=txn.pk).update(
        status=TransactionStatus.SYNCED, journal_entry_id="JE-1", synced_at=timezone.now()
    )
    assert list(ready(org_a.pk)) == [document]


def test_a_receipt_for_a_transaction_not_synced_yet_is_an_ordinary_receipt(org_a):
    txn = make_transaction(
        org_a, reference="SIFI-1", status=TransactionStatus.VERIFIED, account=make_account(org_a)
    )
    ingest_transactions(
        organization=org_a,
        items=[IncomingReceipts("SIFI-1", (IncomingDocument("late.png", "image/png", PNG),))],
    )
    [document] = Document.objects.filter(transaction=txn)
    assert document.late_since is None  # its push carries it


def test_another_organizations_reference_is_unknown_and_nothing_is_saved(org_a, org_b):
    txn = synced_transaction(org_a)
    response = platform_of(org_b).post(
        "/api/v1/ledger/transactions/", [late("SIFI-1")], format="json"
    )
    assert response.status_code == 400
    [error] = response.json()["items"]
    assert error["reference"] == "SIFI-1"
    assert "No transaction has this reference" in error["errors"]["reference"][0]
    assert not Document.objects.filter(transaction=txn).exists()


def test_late_receipts_are_all_or_nothing_with_the_rest_of_the_batch(org_a):
    txn = synced_transaction(org_a)
    response = platform_of(org_a).post(
        "/api/v1/ledger/transactions/", [late("SIFI-1"), late("SIFI-404")], format="json"
    )
    assert response.status_code == 400
    assert response.json()["items"][0]["index"] == 1
    assert not Document.objects.filter(transaction=txn).exists()


def test_the_transaction_page_says_where_each_late_receipt_stands(org_a):
    connect(org_a)
    txn = synced_transaction(org_a)
    now = timezone.now()

    def receipt(name, **fields):
        return Document.objects.create(
            organization=org_a,
            transaction=txn,
            filename=name,
            content_type="image/png",
            size=10,
            sha256=name.ljust(64, "0"),
            late_since=now,
            **fields,
        )

    receipt("waiting.png")
    receipt("failed.png", attach_error="Qoyod refused the file: too large.")
    receipt("attached.png", attached_at=now, external_attachment_id="77")
    receipt("linked.png", link_only=True)
    page = api_client_for(make_user(org_a, Role.ACCOUNTANT), token=False).get(
        f"/accounting/transactions/{txn.pk}/"
    )
    text = page.content.decode()
    assert "arrived after the sync: waiting to be sent to Qoyod" in text
    assert "not attached in Qoyod: Qoyod refused the file: too large." in text
    assert "Send it again" in text
    assert "a late receipt, attached " in text
    assert "links only" in text and "/receipts/" in text
    api = api_client_for(make_user(org_a, Role.ACCOUNTANT))
    documents = api.get(f"/api/v1/accounting/transactions/{txn.pk}/").json()["documents"]
    assert {d["filename"]: d["state"] for d in documents} == {
        "waiting.png": "waiting",
        "failed.png": "failed",
        "attached.png": "attached",
        "linked.png": "link_only",
    }


def test_a_failed_late_receipt_is_sent_again_on_request_and_only_by_its_organization(
    org_a, org_b, django_capture_on_commit_callbacks
):
    txn = synced_transaction(org_a)
    document = Document.objects.create(
        organization=org_a,
        transaction=txn,
        filename="late.png",
        content_type="image/png",
        size=10,
        sha256="a" * 64,
        late_since=timezone.now(),
        attach_error="Refused.",
        attach_attempts=3,
    )
    outsider = api_client_for(make_user(org_b, Role.ACCOUNTANT), token=False)
    outsider.post("/accounting/documents/retry/", {"document": document.pk})
    document.refresh_from_db()
    assert document.attach_error == "Refused."
    accountant = api_client_for(make_user(org_a, Role.ACCOUNTANT), token=False)
    with django_capture_on_commit_callbacks() as callbacks:
        response = accountant.post("/accounting/documents/retry/", {"document": document.pk})
    assert response.status_code == 302
    document.refresh_from_db()
    assert (document.attach_error, document.attach_attempts) == ("", 0)
    assert len(callbacks) == 1  # the company's turns are started
    assert AuditEvent.objects.filter(action="transaction.late_receipt_retried").count() == 1


def test_the_reaper_starts_turns_only_for_connected_companies_with_receipts_ready(org_a, org_b):
    for org in (org_a, org_b):
        txn = synced_transaction(org)
        Document.objects.create(
            organization=org,
            transaction=txn,
            filename="late.png",
            content_type="image/png",
            size=10,
            sha256="b" * 64,
            late_since=timezone.now(),
        )
    connect(org_a)  # org_b has no books connected: its receipts wait (reconciliation says so)
    assert organizations_waiting() == [org_a.pk]
    assert organizations_waiting(only=org_b.pk) == []
