"""What SiFi's card platform sends is checked before anything is stored: references are
compared as they will be stored, dates, texts, currencies and receipts must be plausible,
and two identical batches at the same moment are as harmless as one after the other."""

import base64
import datetime
import threading
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from accounting.models import Document, Transaction
from sifi.services import create_service_token
from tests.accounting.test_ingestion import PDF, item
from tests.factories import an_image, make_org

URL = "/api/v1/ledger/transactions/"


@pytest.fixture
def platform(org_a):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {create_service_token(organization=org_a)}")
    return client


def files_in(media_root) -> list[Path]:
    return [path for path in Path(media_root).rglob("*") if path.is_file()]


def receipt(content: bytes, content_type: str, filename: str = "receipt") -> dict:
    return {
        "filename": filename,
        "content_type": content_type,
        "content": base64.b64encode(content).decode(),
    }


@pytest.mark.parametrize(("first", "second"), [("R1", " R1"), ("777", 777), ("R2 ", "R2")])
def test_references_equal_once_trimmed_are_the_same_transaction(
    platform, org_a, settings, first, second
):
    response = platform.post(URL, [item(first), item(second)], format="json")
    assert response.status_code == 400
    errors = response.json()["items"]
    stored_as = str(second).strip()
    assert errors == [
        {
            "index": 1,
            "reference": stored_as,
            "errors": {"reference": ["Appears twice in this batch."]},
        }
    ]
    assert not Transaction.objects.filter(organization=org_a).exists()
    assert files_in(settings.MEDIA_ROOT) == []  # no receipt left behind without its row


def test_a_receipt_file_is_written_only_once_its_transaction_is_committed(
    platform, org_a, settings, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as after_commit:
        assert platform.post(URL, [item()], format="json").status_code == 200
    assert files_in(settings.MEDIA_ROOT) == []  # rows written, not committed yet: no file
    for callback in after_commit:
        callback()
    document = Document.objects.get(transaction__organization=org_a)
    assert document.file.read() == PDF
    assert len(files_in(settings.MEDIA_ROOT)) == 1


@pytest.mark.django_db(transaction=True)
def test_the_same_batch_sent_twice_at_the_same_moment_creates_each_transaction_once():
    org = make_org("Concurrent Org")
    token = create_service_token(organization=org)
    batch = [item(f"SAME-{n}", documents=[]) for n in range(50)]
    start = threading.Barrier(2)
    answers: list = []

    def send() -> None:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
        start.wait()
        try:
            answers.append(client.post(URL, batch, format="json"))
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(answer.status_code for answer in answers) == [200, 200]
    outcomes = sorted((a.json()["created"], a.json()["unchanged"]) for a in answers)
    assert outcomes == [(0, 50), (50, 0)]
    assert Transaction.objects.filter(organization=org).count() == 50


@pytest.mark.parametrize(
    ("occurred_at", "message"),
    [
        ("0001-01-01T00:00:00Z", "before 2000-01-01"),
        ("1999-12-31T23:59:59Z", "before 2000-01-01"),
        ("2999-01-01T00:00:00Z", "more than a day in the future"),
    ],
)
def test_implausible_dates_are_refused(platform, org_a, occurred_at, message):
    response = platform.post(URL, [item(occurred_at=occurred_at)], format="json")
    assert response.status_code == 400
    assert message in response.json()["items"][0]["errors"]["occurred_at"][0]
    assert not Transaction.objects.filter(organization=org_a).exists()


def test_a_date_a_few_hours_ahead_is_tolerated(platform):
    soon = (timezone.now() + datetime.timedelta(hours=3)).isoformat()
    assert platform.post(URL, [item(occurred_at=soon)], format="json").status_code == 200


def test_an_oversized_description_is_refused(platform, org_a):
    response = platform.post(URL, [item(description="x" * 2001)], format="json")
    assert response.status_code == 400
    assert "description" in response.json()["items"][0]["errors"]
    assert platform.post(URL, [item(description="x" * 2000)], format="json").status_code == 200


@pytest.mark.parametrize("currency", ["XYZ", "ABC", "SAU"])
def test_a_currency_must_be_a_real_iso_4217_code(platform, org_a, currency):
    response = platform.post(URL, [item(currency=currency)], format="json")
    assert response.status_code == 400
    assert response.json()["items"][0]["errors"]["currency"] == [
        f"{currency} is not an ISO 4217 currency code."
    ]
    abroad = item(original_amount="50.00", original_currency=currency)
    response = platform.post(URL, [abroad], format="json")
    assert response.status_code == 400
    assert response.json()["items"][0]["errors"]["original_currency"] == [
        f"{currency} is not an ISO 4217 currency code."
    ]
    assert not Transaction.objects.filter(organization=org_a).exists()


@pytest.mark.parametrize(
    ("content", "content_type"),
    [
        (b"%PDF-1.7\n<html><script>alert(1)</script></html>", "application/pdf"),
        (b"%PDF-1.4\n" + b"\x00" * 64, "application/pdf"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "image/png"),
        (an_image("JPEG"), "image/png"),  # a JPEG is not a PNG
        (an_image("PNG")[:40], "image/png"),  # truncated
        (b"\xff\xd8\xff\xe0" + b"<html></html>", "image/jpeg"),
    ],
)
def test_a_receipt_must_open_as_the_kind_of_file_it_claims(
    platform, org_a, settings, content, content_type
):
    response = platform.post(URL, [item(documents=[receipt(content, content_type)])], format="json")
    assert response.status_code == 400
    errors = response.json()["items"][0]["errors"]["documents"]
    assert f"The file is not a readable {content_type}." in str(errors)
    assert not Transaction.objects.filter(organization=org_a).exists()
    assert files_in(settings.MEDIA_ROOT) == []


def test_real_pdf_png_and_jpeg_receipts_are_accepted(
    platform, org_a, django_capture_on_commit_callbacks
):
    documents = [
        receipt(PDF, "application/pdf", "a.pdf"),
        receipt(an_image("PNG"), "image/png", "b.png"),
        receipt(an_image("JPEG"), "image/jpeg", "c.jpg"),
    ]
    with django_capture_on_commit_callbacks(execute=True):
        response = platform.post(URL, [item(documents=documents)], format="json")
    assert response.status_code == 200, response.json()
    assert Document.objects.filter(transaction__organization=org_a).count() == 3
