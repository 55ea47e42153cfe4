"""Late receipts under real workers, for every registered provider: receipts sent by the card
platform (the ingestion API, committed) while a run of the same company is pushing, some for
transactions synced by an earlier run, some for transactions the running run holds; the
books failing attachments on the way, and the worker killed in the middle. Each receipt ends
in its entry exactly once.

The worker runs against the test database, so these tests commit (transaction=True).
"""

import base64

import pytest
from rest_framework.test import APIClient

from accounting.models import Document, Transaction, TransactionStatus
from accounting.services.runs import start_sync_run
from accounting.tasks import reap_stalled_sync_runs
from sifi.services import create_service_token
from tests.accounting.sync_runs import run_finished, verified, wait_for, with_receipt
from tests.factories import an_image

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def late_batch(transactions) -> list[dict]:
    return [
        {
            "reference": txn.reference,
            "documents": [
                {
                    "filename": "late.png",
                    "content_type": "image/png",
                    "content": base64.b64encode(
                        an_image("PNG", color=f"#{txn.pk % 0xFFFFFF:06x}")
                    ).decode(),
                }
            ],
        }
        for txn in transactions
    ]


def all_late_receipts_done(org) -> bool:
    return not Document.objects.filter(
        organization=org, late_since__isnull=False, attached_at__isnull=True, attach_error=""
    ).exists()


@pytest.fixture
def short_timeouts(harness, settings):
    """Before the worker starts, so that it gets them in its environment."""
    harness.short_timeouts(settings)


def test_late_receipts_racing_a_run_of_the_same_company_reach_each_entry_once(
    harness, short_timeouts, worker
):
    harness.without_rate_limit()
    org, expense = harness.connect()
    earlier = [with_receipt(t) for t in verified(org, expense, 30)]
    first = start_sync_run(organization=org, actor=None)
    wait_for(lambda: run_finished(first.pk), timeout=90, what="the first run")
    harness.slow_down(60)  # the second run is still pushing when the receipts arrive
    racing = [with_receipt(t) for t in verified(org, expense, 30)]
    second = start_sync_run(organization=org, actor=None)
    for kind in ("500", "502"):  # the books' server failing some attachments
        if kind in harness.fault_kinds:
            harness.inject(kind, on="attach", count=2)
    platform = APIClient()
    platform.credentials(HTTP_AUTHORIZATION=f"Token {create_service_token(organization=org)}")
    for batch in (late_batch(earlier[:15]), late_batch(racing), late_batch(earlier[15:])):
        response = platform.post("/api/v1/ledger/transactions/", batch, format="json")
        assert response.status_code == 200, response.json()
    # The same receipts again (the platform resends): nothing new.
    again = platform.post("/api/v1/ledger/transactions/", late_batch(earlier), format="json")
    assert again.json()["unchanged"] == 30

    wait_for(lambda: run_finished(second.pk), timeout=120, what="the racing run")
    wait_for(lambda: all_late_receipts_done(org), timeout=120, what="the late receipts")
    synced = Transaction.objects.filter(organization=org, status=TransactionStatus.SYNCED)
    assert synced.count() == 60
    held = harness.held_by_reference()
    for txn in [*earlier, *racing]:
        [entry] = held[txn.reference]
        assert sorted(file.name for file in entry.files) == ["late.png", "receipt.pdf"]
    assert not Document.objects.filter(organization=org).exclude(attach_error="").exists()


def test_a_worker_killed_while_attaching_late_receipts_leaves_none_twice(
    harness, short_timeouts, worker
):
    harness.without_rate_limit()
    org, expense = harness.connect()
    txns = verified(org, expense, 40)
    run = start_sync_run(organization=org, actor=None)
    wait_for(lambda: run_finished(run.pk), timeout=90, what="the run")
    harness.slow_down(120)
    platform = APIClient()
    platform.credentials(HTTP_AUTHORIZATION=f"Token {create_service_token(organization=org)}")
    response = platform.post("/api/v1/ledger/transactions/", late_batch(txns), format="json")
    assert response.status_code == 200, response.json()

    def some_attached() -> bool:
        return Document.objects.filter(organization=org, attached_at__isnull=False).count() >= 5

    wait_for(some_attached, timeout=60, what="the first late receipts")
    worker.kill()
    worker.start()
    # The killed turn's lease expires; the reaper (beat, every minute) starts the turns again.

    def reaped_and_done() -> bool:
        reap_stalled_sync_runs()
        return all_late_receipts_done(org)

    wait_for(reaped_and_done, timeout=120, what="the late receipts after the restart")
    assert Document.objects.filter(organization=org, attached_at__isnull=False).count() == 40
    held = harness.held_by_reference()
    for txn in txns:
        [entry] = held[txn.reference]
        assert [file.name for file in entry.files] == ["late.png"]
