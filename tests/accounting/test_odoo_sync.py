"""What is Odoo's own in pushing entries (the engine's promises, kept for every provider,
are in tests/providers/test_engine_contract.py): the company and the journal the connection
names, plain journal entries, photographed receipts Odoo must not shrink, and a request size
limit of its server."""

import pytest

from accounting.models import Account, SyncRunStatus
from accounting.services.runs import start_sync_run
from integrations.connections import connection_for
from integrations.providers.odoo.provider import OdooSession
from tests.accounting.sync_runs import drain, verified, with_receipt
from tests.factories import an_image
from tests.providers.harnesses import OdooHarness

pytestmark = pytest.mark.django_db


@pytest.fixture
def odoo(odoo_sandbox):
    return OdooHarness(odoo_sandbox)


def test_the_session_speaks_to_the_company_the_connection_names(odoo):
    org, _marketing = odoo.connect()
    books = connection_for(org)
    assert books is not None
    with books.open_session() as session:
        assert isinstance(session, OdooSession)
        assert session.company_id() == 1
        assert session.journal_id() == int(odoo.journal)
    assert {a.external_id for a in Account.objects.filter(organization=org)} == {
        odoo.wallet_account,
        odoo.expense_account,
        odoo.input_vat_account,
    }


def test_moves_are_plain_journal_entries_in_the_journal_the_organization_chose(
    odoo, odoo_sandbox, django_capture_on_commit_callbacks
):
    org, marketing = odoo.connect()
    verified(org, marketing, 1)
    with django_capture_on_commit_callbacks():
        run = start_sync_run(organization=org, actor=None)
    assert drain(run).status == SyncRunStatus.SUCCEEDED
    [move] = odoo_sandbox.moves()
    assert move["state"] == "draft" and move["move_type"] == "entry"
    assert move["journal_id"] == int(odoo.journal)


def test_a_photographed_receipt_goes_to_odoo_as_sent_not_resized(
    odoo, odoo_sandbox, django_capture_on_commit_callbacks
):
    org, marketing = odoo.connect()
    photo = an_image("JPEG")
    with_receipt(verified(org, marketing, 1)[0], photo, "receipt.jpg", "image/jpeg")
    with django_capture_on_commit_callbacks():
        run = start_sync_run(organization=org, actor=None)
    assert drain(run).status == SyncRunStatus.SUCCEEDED
    [attachment] = odoo_sandbox.moves()[0]["attachments"]
    assert attachment["image_no_postprocess"] is True  # Odoo must not shrink it
    assert attachment["file_size"] == len(photo) and attachment["mimetype"] == "image/jpeg"


def test_a_receipt_larger_than_odoo_accepts_is_reported_and_the_entry_kept(
    odoo, odoo_sandbox, django_capture_on_commit_callbacks
):
    odoo_sandbox.configure(max_request_bytes=2_000)
    org, marketing = odoo.connect()
    txn = with_receipt(verified(org, marketing, 1)[0], b"%PDF-1.4\n" + b"0" * 5_000)
    with django_capture_on_commit_callbacks():
        run = start_sync_run(organization=org, actor=None)
    assert drain(run).status == SyncRunStatus.FAILED
    txn.refresh_from_db()
    assert txn.status == "failed" and "larger than this Odoo server accepts" in txn.status_reason
    [move] = odoo_sandbox.moves()  # the draft is there once, without the receipt
    assert txn.journal_entry_id == str(move["id"]) and move["attachments"] == []
