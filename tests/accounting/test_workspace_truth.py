"""The Accounting workspace says what is true (issue 25): the lists follow a run to its end,
the audit trail says what became of the receipts, runs read in words and plurals that fit,
filters refuse what cannot match, and the API answers JSON even for what it does not have."""

import pytest
from django.utils import timezone

from accounting.models import SyncRun, SyncRunStatus
from accounting.services.runs import start_sync_run
from sifi.models import AuditEvent, Role
from tests.accounting.sync_runs import drain, verified, with_receipt
from tests.factories import make_transaction, make_user
from tests.providers.harnesses import QoyodHarness


@pytest.fixture
def accountant_browser(client, users_a):
    client.force_login(users_a[Role.ACCOUNTANT])
    return client


def a_run(org, status, **fields):
    return SyncRun.objects.create(organization=org, status=status, total=1, **fields)


# --- 1. a page that learns a run's outcome draws its lists again ----------------------------------


@pytest.mark.parametrize(
    "status", [SyncRunStatus.SUCCEEDED, SyncRunStatus.FAILED, SyncRunStatus.STOPPED]
)
def test_the_progress_poll_that_sees_the_run_over_reloads_the_page(
    accountant_browser, org_a, status
):
    run = a_run(org_a, status)
    response = accountant_browser.get(f"/accounting/runs/{run.pk}/progress/")
    assert response.status_code == 200
    assert response["HX-Refresh"] == "true"


@pytest.mark.parametrize("status", [SyncRunStatus.QUEUED, SyncRunStatus.RUNNING])
def test_the_progress_of_a_run_still_going_keeps_polling_without_reloading(
    accountant_browser, org_a, status
):
    run = a_run(org_a, status)
    response = accountant_browser.get(f"/accounting/runs/{run.pk}/progress/")
    assert "HX-Refresh" not in response
    assert 'hx-trigger="every 1s"' in response.content.decode()


# --- 2. the audit trail says what became of the receipts ------------------------------------------


def synced_line(client, txn):
    event = AuditEvent.objects.get(target_id=txn.pk, action="transaction.synced")
    page = client.get(f"/accounting/transactions/{txn.pk}/").content.decode()
    history = page[page.index('data-testid="history"') :]
    return event, history


@pytest.mark.django_db
def test_the_synced_line_says_how_many_receipts_were_attached_or_that_there_were_none(
    qoyod_sandbox, client
):
    qoyod = QoyodHarness(qoyod_sandbox)
    org, marketing = qoyod.connect()
    attached, none = verified(org, marketing, 2)
    with_receipt(attached)
    run = start_sync_run(organization=org, actor=None)
    assert drain(run).status == SyncRunStatus.SUCCEEDED
    client.force_login(make_user(org, Role.ACCOUNTANT))
    event, history = synced_line(client, attached)
    assert event.after["receipts"] == 1 and event.after["receipts_attached"] == 1
    assert f"Synced: Qoyod entry {event.after['journal_entry_id']}, 1 receipt attached" in history
    event, history = synced_line(client, none)
    assert f"Synced: Qoyod entry {event.after['journal_entry_id']}, no receipts" in history
    assert "attached" not in history


@pytest.mark.django_db
def test_books_that_take_no_files_have_the_receipts_as_links_and_the_line_says_so(
    qoyod_sandbox, client
):
    qoyod = QoyodHarness(qoyod_sandbox)
    qoyod.without_attachments()
    org, marketing = qoyod.connect()
    txn = with_receipt(verified(org, marketing, 1)[0])
    run = start_sync_run(organization=org, actor=None)
    assert drain(run).status == SyncRunStatus.SUCCEEDED
    client.force_login(make_user(org, Role.ACCOUNTANT))
    event, history = synced_line(client, txn)
    assert event.after["receipts"] == 1 and event.after["receipts_attached"] == 0
    assert "1 receipt sent as a link" in history
    assert "attached" not in history


def test_an_older_synced_line_claims_nothing_about_receipts(accountant_browser, org_a):
    txn = make_transaction(org_a)
    AuditEvent.objects.create(
        organization=org_a,
        actor_label="system",
        action="transaction.synced",
        target_type="transaction",
        target_id=txn.pk,
        after={"status": "synced", "journal_entry_id": "433"},
    )
    page = accountant_browser.get(f"/accounting/transactions/{txn.pk}/").content.decode()
    assert "entry 433" in page and "receipts" not in page[page.index('data-testid="history"') :]


@pytest.mark.parametrize(
    ("receipts", "attached", "words"),
    [
        (0, 0, "Synced: Qoyod entry 433, no receipts"),
        (2, 2, "Synced: Qoyod entry 433, 2 receipts attached"),
        (2, 0, "Synced: Qoyod entry 433, 2 receipts sent as links"),
        (3, 1, "Synced: Qoyod entry 433, receipts: 1 attached, 2 sent as links"),
    ],
)
def test_the_synced_line_in_words(org_a, receipts, attached, words):
    from accounting.presenters import describe_event

    event = AuditEvent(
        organization=org_a,
        action="transaction.synced",
        after={"journal_entry_id": "433", "receipts": receipts, "receipts_attached": attached},
        created_at=timezone.now(),
    )
    assert describe_event(event, provider="Qoyod").sentence == words
