"""Late receipts, for every registered provider (issue 26): a receipt that arrives after its
transaction was synced is attached to the entry in the books exactly once, in the company's
turn, whatever fails on the way; books that take no files get the link offered by hand.

Each test runs once per provider through its harness (tests/providers/harnesses.py), the
company's turns taken in this process as a worker takes them. Real workers racing a run:
test_late_receipts_worker.py.
"""

import base64
import time

import pytest
from rest_framework.test import APIClient

from accounting.models import Document, SyncRunStatus
from accounting.providers import AttachmentFlow, provider_for
from accounting.services import scheduler
from accounting.services.ingestion import _write_file
from accounting.services.reconciliation import run_reconciliation
from accounting.services.runs import start_reconciliation, start_sync_run
from accounting.services.turns import claim_turns, take_turn
from sifi.models import AuditEvent, Role
from sifi.services import create_service_token
from tests.accounting.sync_runs import drain, verified, with_receipt
from tests.factories import an_image, api_client_for, make_user

pytestmark = pytest.mark.django_db

LATE = an_image("PNG")


def take_turns(org, *, most: int = 40) -> None:
    """What the workers do: the company's turns, one after another, until none is left (a
    deferred turn comes back after its countdown, at most 2 s here)."""
    queue = list(claim_turns(org.pk))
    for _ in range(most):
        if not queue:
            return
        stripe, lease = queue.pop(0)
        end = take_turn(organization_id=org.pk, stripe=stripe, lease=lease)
        if end.lease is not None:
            time.sleep(min(end.countdown, 2.0))
            queue.append((stripe, end.lease))
    raise AssertionError("the company's turns did not end")


def send_late_receipt(org, reference, content=LATE, filename="late.png", *, capture):
    """The card platform sends a receipt for a transaction already there; its file is written
    when the batch commits (the task that starts the company's turns is left to the test)."""
    platform = APIClient()
    platform.credentials(HTTP_AUTHORIZATION=f"Token {create_service_token(organization=org)}")
    document = {
        "filename": filename,
        "content_type": "image/png",
        "content": base64.b64encode(content).decode(),
    }
    with capture() as callbacks:
        response = platform.post(
            "/api/v1/ledger/transactions/",
            [{"reference": reference, "documents": [document]}],
            format="json",
        )
    for callback in callbacks:
        if getattr(callback, "func", None) is _write_file:
            callback()
    assert response.status_code == 200, response.json()
    return response.json()


def synced(harness, django_capture_on_commit_callbacks, count=1):
    org, expense = harness.connect()
    txns = [with_receipt(txn) for txn in verified(org, expense, count)]
    with django_capture_on_commit_callbacks():
        run = start_sync_run(organization=org, actor=None)
    assert drain(run).status == SyncRunStatus.SUCCEEDED
    scheduler.forget_all()
    return org, txns


def files_of(harness, reference):
    [entry] = harness.held_by_reference()[reference]
    return sorted(file.name for file in entry.files)


def test_a_late_receipt_is_attached_to_the_synced_entry_once(
    harness, django_capture_on_commit_callbacks
):
    org, [txn] = synced(harness, django_capture_on_commit_callbacks)
    assert (
        send_late_receipt(org, txn.reference, capture=django_capture_on_commit_callbacks)["updated"]
        == 1
    )
    document = Document.objects.get(transaction=txn, filename="late.png")
    assert document.late_since is not None and document.attached_at is None
    take_turns(org)
    assert files_of(harness, txn.reference) == ["late.png", "receipt.pdf"]
    document.refresh_from_db()
    assert document.attached_at is not None and document.attach_started_at is None
    # The same receipt again, and the turns again: nothing more reaches the books.
    assert (
        send_late_receipt(org, txn.reference, capture=django_capture_on_commit_callbacks)[
            "unchanged"
        ]
        == 1
    )
    take_turns(org)
    assert files_of(harness, txn.reference) == ["late.png", "receipt.pdf"]
    attached = AuditEvent.objects.filter(
        action="transaction.late_receipt_attached", target_id=txn.pk
    )
    assert attached.count() == 1
    txn.refresh_from_db()
    assert txn.status == "synced" and not txn.changed_after_sync


def test_a_lost_answer_to_a_late_attachment_never_attaches_it_twice(
    harness, settings, django_capture_on_commit_callbacks
):
    """The books stored the file and the answer was lost: the next attempt finds it in the
    entry (or, for books whose files are uploaded first, adds the same upload again)."""
    harness.short_timeouts(settings)
    org, [txn] = synced(harness, django_capture_on_commit_callbacks)
    send_late_receipt(org, txn.reference, capture=django_capture_on_commit_callbacks)
    harness.fault("stored_then_lost", on="attach")
    take_turns(org)
    assert files_of(harness, txn.reference) == ["late.png", "receipt.pdf"]
    document = Document.objects.get(transaction=txn, filename="late.png")
    assert document.attached_at is not None and document.attach_error == ""
    assert harness.faults_left() == []
    [attached] = AuditEvent.objects.filter(action="transaction.late_receipt_attached")
    # Books that take files after the create were asked, and held it; books whose files are
    # uploaded first were given the same upload again (the books merge it).
    uploads_first = provider_for(harness.key).attachment_flow == AttachmentFlow.UPLOAD_BEFORE_CREATE
    assert attached.after["found_in_the_books"] is not uploads_first


def test_late_receipts_of_many_entries_each_reach_their_own_entry(
    harness, django_capture_on_commit_callbacks
):
    org, txns = synced(harness, django_capture_on_commit_callbacks, count=12)
    for number, txn in enumerate(txns):
        send_late_receipt(
            org,
            txn.reference,
            content=an_image("PNG", color=f"#{number + 1:06x}"),
            capture=django_capture_on_commit_callbacks,
        )
    take_turns(org)
    for txn in txns:
        assert files_of(harness, txn.reference) == ["late.png", "receipt.pdf"]
    assert not Document.objects.filter(organization=org, attached_at__isnull=True).exists()


def test_a_late_receipt_for_a_transaction_still_in_its_run_reaches_the_entry_once(
    harness, django_capture_on_commit_callbacks
):
    org, expense = harness.connect()
    txn = with_receipt(verified(org, expense, 1)[0])
    with django_capture_on_commit_callbacks():
        run = start_sync_run(organization=org, actor=None)
    send_late_receipt(
        org, txn.reference, capture=django_capture_on_commit_callbacks
    )  # taken by the run, not pushed yet
    assert drain(run).status == SyncRunStatus.SUCCEEDED
    scheduler.forget_all()
    take_turns(org)
    assert files_of(harness, txn.reference) == ["late.png", "receipt.pdf"]


def test_books_that_take_no_files_offer_the_late_receipts_link_by_hand(
    harness, django_capture_on_commit_callbacks
):
    harness.without_attachments()
    org, [txn] = synced(harness, django_capture_on_commit_callbacks)
    send_late_receipt(org, txn.reference, capture=django_capture_on_commit_callbacks)
    take_turns(org)
    assert files_of(harness, txn.reference) == []
    document = Document.objects.get(transaction=txn, filename="late.png")
    assert document.link_only and document.attached_at is None
    accountant = api_client_for(make_user(org, Role.ACCOUNTANT), token=False)
    page = accountant.get(f"/accounting/transactions/{txn.pk}/")
    text = page.content.decode()
    assert "links only" in text and "/receipts/" in text


def test_reconciliation_reports_late_receipts_not_sent_yet(
    harness, django_capture_on_commit_callbacks
):
    org, [txn, _other] = synced(harness, django_capture_on_commit_callbacks, count=2)
    send_late_receipt(org, txn.reference, capture=django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks():
        reconciliation = start_reconciliation(
            organization=org,
            actor=None,
            date_from=txn.transaction_date,
            date_to=txn.transaction_date,
        )
    done = run_reconciliation(reconciliation_id=reconciliation.pk)
    assert done is not None and done.late_receipts == 1
    [item] = done.items.filter(problem="late_receipts")
    assert item.transaction_id == txn.pk
    assert item.detail == "late.png waiting to be sent."
