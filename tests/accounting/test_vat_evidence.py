"""Each transaction's receipts are read for a ZATCA QR code in the background, after ingestion
commits, and what they say is kept on the transaction (accounting/services/vat_evidence.py)."""

import base64
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from rest_framework.test import APIClient

from accounting.models import Document, Transaction, VatEvidence
from accounting.services.vat_evidence import READ_CHUNK, read_vat_evidence
from sifi.celery import app as celery_app
from sifi.services import create_service_token
from tests.accounting.zatca_receipts import VAT_NUMBER, receipt_image, receipt_pdf, zatca_payload
from tests.factories import an_image, make_transaction


def attach(txn: Transaction, content: bytes, content_type: str) -> Document:
    import hashlib

    digest = hashlib.sha256(content).hexdigest()
    document = Document(
        organization_id=txn.organization_id,
        transaction=txn,
        filename="receipt",
        content_type=content_type,
        size=len(content),
        sha256=digest,
    )
    document.file.save(digest, ContentFile(content), save=False)
    document.save()
    return document


def reread(txn: Transaction) -> Transaction:
    read_vat_evidence(transaction_ids=[txn.pk])
    txn.refresh_from_db()
    return txn


def test_a_new_transaction_waits_to_be_read(org_a):
    assert make_transaction(org_a).vat_evidence == VatEvidence.PENDING


def test_a_receipt_whose_code_matches_backs_the_vat_and_the_invoice_is_kept(org_a):
    txn = make_transaction(org_a, amount=Decimal("230.00"), vat_amount=Decimal("30.00"))
    attach(txn, receipt_pdf([zatca_payload("230.00", "30.00")]), "application/pdf")
    txn = reread(txn)
    assert txn.vat_evidence == VatEvidence.BACKED
    assert txn.vat_invoice["vat_number"] == VAT_NUMBER
    assert (txn.vat_invoice["total"], txn.vat_invoice["vat"]) == ("230.00", "30.00")


def test_a_code_with_other_figures_is_a_mismatch_showing_what_it_says(org_a):
    txn = make_transaction(org_a, amount=Decimal("230.00"), vat_amount=Decimal("30.00"))
    attach(txn, receipt_image(zatca_payload("230.00", "20.00")), "image/png")
    txn = reread(txn)
    assert txn.vat_evidence == VatEvidence.MISMATCH
    assert txn.vat_invoice["vat"] == "20.00"


def test_receipts_without_a_code_or_no_receipt_mean_no_invoice(org_a):
    bare = make_transaction(org_a, vat_amount=Decimal("10.00"))
    photo = make_transaction(org_a, vat_amount=Decimal("10.00"))
    attach(photo, an_image("JPEG"), "image/jpeg")
    assert reread(bare).vat_evidence == VatEvidence.NO_INVOICE
    assert reread(photo).vat_evidence == VatEvidence.NO_INVOICE
    assert photo.vat_invoice is None


def test_spending_abroad_is_foreign_whatever_its_receipt_says(org_a):
    txn = make_transaction(
        org_a,
        amount=Decimal("230.00"),
        vat_amount=Decimal("30.00"),
        original_amount=Decimal("61.33"),
        original_currency="USD",
    )
    attach(txn, receipt_image(zatca_payload("230.00", "30.00")), "image/png")
    txn = reread(txn)
    assert txn.vat_evidence == VatEvidence.FOREIGN
    assert txn.vat_invoice is None


def test_of_several_receipts_the_one_that_backs_the_vat_counts(org_a):
    txn = make_transaction(org_a, amount=Decimal("115.00"), vat_amount=Decimal("15.00"))
    attach(txn, receipt_image(zatca_payload("99.00", "9.00")), "image/png")
    attach(txn, receipt_image(zatca_payload("115.00", "15.00"), fmt="JPEG"), "image/jpeg")
    assert reread(txn).vat_evidence == VatEvidence.BACKED


def test_a_receipt_whose_file_is_missing_is_skipped_not_fatal(org_a):
    txn = make_transaction(org_a, vat_amount=Decimal("10.00"))
    document = attach(txn, receipt_image(zatca_payload()), "image/png")
    document.file.delete(save=False)
    assert reread(txn).vat_evidence == VatEvidence.NO_INVOICE


def test_reading_again_after_a_correction_follows_the_new_figures(org_a):
    txn = make_transaction(org_a, amount=Decimal("230.00"), vat_amount=Decimal("20.00"))
    attach(txn, receipt_image(zatca_payload("230.00", "30.00")), "image/png")
    assert reread(txn).vat_evidence == VatEvidence.MISMATCH
    Transaction.objects.filter(pk=txn.pk).update(vat_amount=Decimal("30.00"))
    assert reread(txn).vat_evidence == VatEvidence.BACKED


def test_reading_many_transactions_costs_a_few_queries(org_a, django_assert_max_num_queries):
    txns = [make_transaction(org_a, vat_amount=Decimal("5.00")) for _ in range(5)]
    with django_assert_max_num_queries(2 + len(txns)):  # documents, rows, one UPDATE each
        outcome = read_vat_evidence(transaction_ids=[txn.pk for txn in txns])
    assert outcome == {VatEvidence.NO_INVOICE: 5}


# Ingestion: reading is queued after the commit; the answer never waits for it.


@pytest.fixture
def platform(org_a):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {create_service_token(organization=org_a)}")
    return client


@pytest.fixture
def eager_celery():
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = False


def item(reference, content, content_type, **overrides):
    return {
        "reference": reference,
        "type": "card_expense",
        "amount": "230.00",
        "currency": "SAR",
        "vat_amount": "30.00",
        "occurred_at": "2025-03-31T22:30:00Z",
        "merchant": "Jarir Bookstore",
        "documents": [
            {
                "filename": "receipt",
                "content_type": content_type,
                "content": base64.b64encode(content).decode(),
            }
        ],
        **overrides,
    }


def test_ingestion_answers_before_reading_and_queues_it_on_commit(
    platform, org_a, django_capture_on_commit_callbacks
):
    receipt = receipt_pdf([zatca_payload("230.00", "30.00")])
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = platform.post(
            "/api/v1/ledger/transactions/",
            [item("SIFI-1", receipt, "application/pdf")],
            format="json",
        )
    assert response.status_code == 200, response.json()
    txn = Transaction.objects.get(reference="SIFI-1")
    assert txn.vat_evidence == VatEvidence.PENDING  # not read inside the request
    queued = [cb for cb in callbacks if getattr(cb, "args", None) == ([txn.pk],)]
    assert len(queued) == 1


def test_ingested_receipts_are_read_once_committed(
    platform, org_a, eager_celery, django_capture_on_commit_callbacks
):
    backed = receipt_image(zatca_payload("230.00", "30.00"))
    differs = receipt_pdf([zatca_payload("230.00", "15.00")])
    with django_capture_on_commit_callbacks(execute=True):
        response = platform.post(
            "/api/v1/ledger/transactions/",
            [
                item("SIFI-1", backed, "image/png"),
                item("SIFI-2", differs, "application/pdf"),
                item("SIFI-3", an_image("PNG"), "image/png"),
            ],
            format="json",
        )
    assert response.status_code == 200, response.json()
    evidence = dict(Transaction.objects.values_list("reference", "vat_evidence"))
    assert evidence == {
        "SIFI-1": VatEvidence.BACKED,
        "SIFI-2": VatEvidence.MISMATCH,
        "SIFI-3": VatEvidence.NO_INVOICE,
    }


def test_a_correction_with_a_new_receipt_is_read_again(
    platform, org_a, eager_celery, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        platform.post(
            "/api/v1/ledger/transactions/",
            [item("SIFI-1", an_image("PNG"), "image/png")],
            format="json",
        )
    assert Transaction.objects.get().vat_evidence == VatEvidence.NO_INVOICE
    receipt = receipt_image(zatca_payload("230.00", "30.00"))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        platform.post(
            "/api/v1/ledger/transactions/",
            [item("SIFI-1", receipt, "image/png")],
            format="json",
        )
    # Until it is read again, the old answer is not relied on.
    assert Transaction.objects.get().vat_evidence == VatEvidence.PENDING
    for callback in callbacks:
        callback()
    assert Transaction.objects.get().vat_evidence == VatEvidence.BACKED


def test_a_large_batch_is_read_in_chunks(platform, org_a, django_capture_on_commit_callbacks):
    count = READ_CHUNK + 1
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = platform.post(
            "/api/v1/ledger/transactions/",
            [{**item(f"SIFI-{n}", b"", "image/png"), "documents": []} for n in range(count)],
            format="json",
        )
    assert response.status_code == 200, response.json()
    chunks = [cb.args[0] for cb in callbacks if getattr(cb, "args", None)]
    assert sorted(len(chunk) for chunk in chunks) == [1, READ_CHUNK]


def test_transactions_never_read_are_read_by_the_command(org_a, org_b):
    from io import StringIO

    from django.core.management import call_command

    mine = make_transaction(org_a, amount=Decimal("230.00"), vat_amount=Decimal("30.00"))
    attach(mine, receipt_image(zatca_payload("230.00", "30.00")), "image/png")
    already = make_transaction(org_a, vat_evidence=VatEvidence.MISMATCH)
    other = make_transaction(org_b)
    out = StringIO()
    call_command("read_vat_evidence", "--org", org_a.name, "--here", stdout=out)
    assert "1 transactions read" in out.getvalue()
    evidence = dict(Transaction.objects.values_list("pk", "vat_evidence"))
    assert evidence == {
        mine.pk: VatEvidence.BACKED,
        already.pk: VatEvidence.MISMATCH,  # read before: left alone
        other.pk: VatEvidence.PENDING,  # another organization
    }


# Late receipts: a batch item with only the reference and the documents.


def late(reference, content, content_type="image/png"):
    return {
        "reference": reference,
        "documents": [
            {
                "filename": "late-receipt",
                "content_type": content_type,
                "content": base64.b64encode(content).decode(),
            }
        ],
    }


def test_a_late_receipt_is_added_to_its_transaction_and_read(
    platform, org_a, eager_celery, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        platform.post(
            "/api/v1/ledger/transactions/",
            [{**item("SIFI-1", b"", ""), "documents": []}],
            format="json",
        )
    txn = Transaction.objects.get()
    assert txn.vat_evidence == VatEvidence.NO_INVOICE
    receipt = receipt_pdf([zatca_payload("230.00", "30.00")])
    with django_capture_on_commit_callbacks(execute=True):
        response = platform.post(
            "/api/v1/ledger/transactions/",
            [late("SIFI-1", receipt, "application/pdf")],
            format="json",
        )
    assert response.status_code == 200, response.json()
    assert response.json()["updated"] == 1
    txn.refresh_from_db()
    assert txn.vat_evidence == VatEvidence.BACKED
    assert txn.documents.count() == 1
    assert txn.amount == Decimal("230.00")  # nothing else changed
    with django_capture_on_commit_callbacks(execute=True):
        again = platform.post(
            "/api/v1/ledger/transactions/",
            [late("SIFI-1", receipt, "application/pdf")],
            format="json",
        )
    assert again.json()["unchanged"] == 1


def test_a_late_receipt_for_an_unknown_reference_saves_nothing(
    platform, org_a, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = platform.post(
            "/api/v1/ledger/transactions/",
            [item("SIFI-1", an_image("PNG"), "image/png"), late("SIFI-404", an_image("PNG"))],
            format="json",
        )
    assert response.status_code == 400
    [error] = response.json()["items"]
    assert (error["index"], error["reference"]) == (1, "SIFI-404")
    assert not Transaction.objects.exists()


def test_a_late_receipt_of_a_synced_transaction_goes_to_its_entry_not_read_again(platform, org_a):
    """Its VAT is in the books already: the receipt is attached there (issue 26), the
    transaction's figures and VAT evidence are left as they were synced."""
    from accounting.models import TransactionStatus
    from tests.factories import make_account

    txn = make_transaction(
        org_a,
        reference="SIFI-1",
        status=TransactionStatus.SYNCED,
        account=make_account(org_a),
        journal_entry_id="JE-1",
    )
    evidence = txn.vat_evidence
    response = platform.post(
        "/api/v1/ledger/transactions/", [late("SIFI-1", an_image("PNG"))], format="json"
    )
    assert response.json()["updated"] == 1
    txn.refresh_from_db()
    assert not txn.changed_after_sync
    assert txn.vat_evidence == evidence
    [document] = txn.documents.all()
    assert document.late_since is not None
