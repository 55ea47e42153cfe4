"""What is Qoyod's own in pushing entries (the engine's promises, kept for every provider,
are in tests/providers/test_engine_contract.py)."""

import pytest

from accounting.models import SyncRunStatus
from accounting.services.runs import start_sync_run
from integrations.models import Integration
from tests.accounting.sync_runs import drain, verified, with_receipt
from tests.providers.harnesses import QoyodHarness

pytestmark = pytest.mark.django_db


def test_a_tenant_on_the_bare_api_gets_posted_entries_with_receipt_links(
    qoyod_sandbox, django_capture_on_commit_callbacks
):
    """Qoyod's public API takes no files and makes no drafts: the entry is posted at once
    (Approved); its receipts are linked in its lines, as for any books that take no files."""
    qoyod = QoyodHarness(qoyod_sandbox)
    qoyod.without_attachments()
    org, marketing = qoyod.connect()
    txn = with_receipt(verified(org, marketing, 1)[0])
    with django_capture_on_commit_callbacks():
        run = start_sync_run(organization=org, actor=None)
    assert drain(run).status == SyncRunStatus.SUCCEEDED
    txn.refresh_from_db()
    assert txn.journal_entry_status.startswith("Approved")  # the bare API cannot make drafts
    [entry] = qoyod_sandbox.journal_entries()
    assert "Receipts: " in entry["debit_amounts"][0]["comment"]
    assert Integration.objects.get(organization=org).attachments_supported is False
