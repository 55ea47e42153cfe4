"""The sync engine asks a provider what its books do instead of assuming: files uploaded
before the create and carried by it, an idempotency key on the create, a draft that needs a
second call, a request budget of a minute and a day. Against books that do all of that
(tests/fakes/staged_books.py, shaped like Wafeq's expenses); Qoyod and Odoo keep the plain
path (their own tests, unchanged, say so)."""

import contextlib
import time
from io import StringIO
from unittest import mock

import pytest
from django.core.management import call_command

from accounting.models import Document, SyncRunItem, SyncRunStatus, Transaction
from accounting.presenters import describe_event
from accounting.providers import AttachmentFlow, provider_for
from accounting.services import scheduler
from accounting.services.reconciliation import run_reconciliation
from accounting.services.runs import retry_failed, start_reconciliation, start_sync_run
from accounting.services.turns import claim_turns, push_batch, take_turn
from integrations.config_sync import run_config_sync
from integrations.jobs import start_config_sync
from integrations.models import ConnectionStatus, Integration
from sifi.models import AuditEvent, Role
from tests.accounting.sync_runs import drain, verified, with_receipt
from tests.factories import api_client_for, make_account, make_org, make_user
from tests.fakes.staged_books import (
    API_KEY,
    DRAFT,
    KEY,
    POSTED,
    QUOTA_PROBE_SECONDS,
    StagedBooksProvider,
    WorkerKilled,
)

pytestmark = pytest.mark.django_db

EXPENSE, WALLET = 4101, 1101
DAY = 86_400


def connected_org():
    org = make_org()
    wallet = make_account(org, provider=KEY, external_id=WALLET, code="110101", type="Asset")
    expense = make_account(org, provider=KEY, external_id=EXPENSE, code="5201")
    Integration.objects.create(
        organization=org,
        provider=KEY,
        status=ConnectionStatus.CONNECTED,
        secrets={"api_key": API_KEY},
        source_account=wallet,
    )
    return org, expense


def run_of(org, expense, count, *, receipts=False):
    txns = verified(org, expense, count)
    if receipts:
        txns = [with_receipt(txn) for txn in txns]
    with mock.patch("accounting.tasks.dispatch_sync_run.delay"):
        run = start_sync_run(organization=org, actor=None)
    return run, txns


def test_receipts_are_uploaded_first_and_the_create_carries_their_ids(staged_books):
    org, expense = connected_org()
    run, txns = run_of(org, expense, 2, receipts=True)
    assert drain(run).status == SyncRunStatus.SUCCEEDED

    assert [call.method for call in staged_books.calls] == [
        *("upload", "create", "mark_as_draft") * 2
    ]
    uploads, creates = staged_books.calls_to("upload"), staged_books.calls_to("create")
    for upload, create, txn in zip(uploads, creates, txns, strict=True):
        assert create.files == upload.files  # the create carried the file uploaded for it
        document = Document.objects.get(transaction=txn)
        assert document.external_attachment_id == upload.files[0]
        assert document.attached_at is not None
        txn.refresh_from_db()
        assert staged_books.entries[txn.journal_entry_id].files == upload.files
    assert Integration.objects.get(organization=org).attachments_supported is True


def test_the_create_carries_an_idempotency_key_of_the_organization_and_reference(staged_books):
    org, expense = connected_org()
    run, _txns = run_of(org, expense, 3)
    drain(run)
    keys = [call.idempotency_key for call in staged_books.calls_to("create")]
    assert all(keys) and len(set(keys)) == 3  # one per entry


def test_a_retry_after_an_unknown_outcome_sends_the_same_key_and_the_same_files(staged_books):
    """The worker died while the create was on its way: the retry looks first, finds
    nothing, and sends the same create (same files, not uploaded again; same key)."""
    org, expense = connected_org()
    run, [txn] = run_of(org, expense, 1, receipts=True)
    staged_books.fail("create", "worker_killed")
    with pytest.raises(WorkerKilled):
        push_batch(run_id=run.pk, transaction_ids=[txn.pk])
    assert drain(run).status == SyncRunStatus.SUCCEEDED

    assert [call.method for call in staged_books.calls] == [
        "upload",
        "find",  # the retry looks before it creates
        "create",
        "mark_as_draft",
    ]
    staged_books.fail("create", "lost")  # and a create whose answer never came, same story
    run, [txn] = run_of(org, expense, 1, receipts=True)
    assert drain(run).status == SyncRunStatus.SUCCEEDED
    first, second = staged_books.calls_to("create")[1:]
    assert first.idempotency_key == second.idempotency_key and first.files == second.files
    assert len(staged_books.calls_to("upload")) == 2  # once per receipt
    assert len(staged_books.entries) == 2


def test_an_entry_changed_after_a_refusal_is_sent_with_a_new_key(staged_books):
    """A receipt added to a failed transaction changes what the create sends: the same key
    with another body would be refused, so the retry gets a key of its own."""
    org, expense = connected_org()
    run, [txn] = run_of(org, expense, 1)
    staged_books.fail("create", "refused")
    assert drain(run).status == SyncRunStatus.FAILED
    with_receipt(Transaction.objects.get(pk=txn.pk))
    with mock.patch("accounting.tasks.dispatch_sync_run.delay"):
        retry = retry_failed(organization=org, actor=None, run_id=run.pk)
    assert drain(retry).status == SyncRunStatus.SUCCEEDED
    refused, sent = staged_books.calls_to("create")
    assert refused.idempotency_key != sent.idempotency_key and sent.files
    assert len(staged_books.entries) == 1


def test_when_the_lookup_lags_the_key_keeps_the_entry_single(staged_books):
    """The books stored the entry and the answer was lost; their listing does not show it
    yet: the create goes again with the same key, and the books answer the first entry."""
    org, expense = connected_org()
    run, [txn] = run_of(org, expense, 1)
    staged_books.fail("create", "stored_then_lost")
    staged_books.blind_lookups = 1
    assert drain(run).status == SyncRunStatus.SUCCEEDED
    [entry] = staged_books.entries.values()
    txn.refresh_from_db()
    assert staged_books.replayed == 1 and txn.journal_entry_id == entry.id
    assert entry.status == DRAFT and len(staged_books.calls_to("mark_as_draft")) == 1


def test_a_posted_answer_gets_its_second_call_once_and_the_entry_stays_a_draft(staged_books):
    org, expense = connected_org()
    run, [txn] = run_of(org, expense, 1)
    assert drain(run).status == SyncRunStatus.SUCCEEDED
    txn.refresh_from_db()
    [mark] = staged_books.calls_to("mark_as_draft")
    assert mark.entry_id == txn.journal_entry_id
    assert txn.journal_entry_status == staged_books.entries[txn.journal_entry_id].status == DRAFT
    drafted = AuditEvent.objects.get(action="transaction.journal_entry_drafted", target_id=txn.pk)
    assert (drafted.before, drafted.after["status"]) == ({"status": POSTED}, DRAFT)
    assert describe_event(drafted, provider="Staged Books").sentence == (
        f"Staged Books answered entry {txn.journal_entry_id} as POSTED: moved back to DRAFT"
    )


def test_a_worker_killed_between_the_create_and_the_second_call_leaves_it_to_the_next(
    staged_books,
):
    org, expense = connected_org()
    run, [txn] = run_of(org, expense, 1)
    staged_books.fail("mark_as_draft", "worker_killed")
    with pytest.raises(WorkerKilled):
        push_batch(run_id=run.pk, transaction_ids=[txn.pk])
    txn.refresh_from_db()
    assert (txn.journal_entry_status, txn.status) == (POSTED, "syncing")

    assert drain(run).status == SyncRunStatus.SUCCEEDED
    txn.refresh_from_db()
    assert txn.status == "synced" and txn.journal_entry_status == DRAFT
    assert len(staged_books.calls_to("mark_as_draft")) == 1  # the one that reached the books
    assert len(staged_books.calls_to("create")) == 1


def test_a_worker_killed_after_the_books_made_it_a_draft_makes_no_second_call(staged_books):
    org, expense = connected_org()
    run, [txn] = run_of(org, expense, 1)
    staged_books.fail("mark_as_draft", "stored_then_killed")
    with pytest.raises(WorkerKilled):
        push_batch(run_id=run.pk, transaction_ids=[txn.pk])

    assert drain(run).status == SyncRunStatus.SUCCEEDED
    txn.refresh_from_db()
    assert txn.status == "synced" and txn.journal_entry_status == DRAFT  # as the books say
    assert len(staged_books.calls_to("mark_as_draft")) == 1
    assert [call.method for call in staged_books.calls][-1] == "find"


def test_a_lost_answer_to_the_second_call_is_not_made_twice(staged_books):
    org, expense = connected_org()
    run, [txn] = run_of(org, expense, 1)
    staged_books.fail("mark_as_draft", "stored_then_lost")
    assert drain(run).status == SyncRunStatus.SUCCEEDED
    txn.refresh_from_db()
    assert txn.journal_entry_status == DRAFT
    assert len(staged_books.calls_to("mark_as_draft")) == 1


@pytest.mark.parametrize("fault", ["stored_then_lost", "stored_then_killed"])
def test_an_entry_adopted_after_an_unknown_outcome_still_gets_its_second_call(staged_books, fault):
    org, expense = connected_org()
    run, [txn] = run_of(org, expense, 1, receipts=True)
    staged_books.fail("create", fault)
    with contextlib.suppress(WorkerKilled):  # the worker died after the books stored it
        push_batch(run_id=run.pk, transaction_ids=[txn.pk])
    assert drain(run).status == SyncRunStatus.SUCCEEDED

    [entry] = staged_books.entries.values()
    txn.refresh_from_db()
    assert txn.journal_entry_id == entry.id and entry.status == txn.journal_entry_status == DRAFT
    assert len(staged_books.calls_to("create")) == 1
    assert len(staged_books.calls_to("mark_as_draft")) == 1
    assert len(entry.files) == 1 and Document.objects.get(transaction=txn).attached_at
    adopted = AuditEvent.objects.get(action="transaction.journal_entry_created", target_id=txn.pk)
    assert adopted.after["adopted"] is True


# --- a budget of a minute and a day -------------------------------------------------------------


@pytest.fixture
def fresh_leases():
    scheduler.forget_all()
    yield
    scheduler.forget_all()


def test_a_spent_day_defers_the_company_for_the_day_and_people_see_that_wait(
    staged_books, fresh_leases, monkeypatch, settings
):
    monkeypatch.setattr(StagedBooksProvider, "per_day", 4)  # two pushes: create + draft each
    org, expense = connected_org()
    run, _txns = run_of(org, expense, 3)
    [(stripe, lease)] = claim_turns(org.pk)

    began = time.monotonic()
    end = take_turn(organization_id=org.pk, stripe=stripe, lease=lease)
    assert time.monotonic() - began < 2  # handed back, not put to sleep
    assert end.lease is not None
    assert end.countdown == settings.SYNC_LONGEST_COUNTDOWN_SECONDS  # back to look, not a day
    assert Transaction.objects.filter(organization=org, status="synced").count() == 2
    assert SyncRunItem.objects.filter(run=run, outcome="pending", attempts=0).count() == 1

    run.refresh_from_db()
    assert DAY - 60 < run.waiting_seconds <= DAY
    api = api_client_for(make_user(org, Role.ACCOUNTANT))
    assert (
        DAY - 60
        < api.get(f"/api/v1/accounting/sync-runs/{run.pk}/").json()["waiting_seconds"]
        <= DAY
    )
    out = StringIO()
    call_command("sync_queues", stdout=out)
    line = next(row for row in out.getvalue().splitlines() if row.startswith(org.name))
    assert "4/100 a minute, 4/4 a day" in line
    assert "waiting for the day limit (next slot in" in line and "about 2" in line

    # Back after the countdown: the budget still says a day; the books hear nothing.
    sent = len(staged_books.calls)
    again = take_turn(organization_id=org.pk, stripe=stripe, lease=end.lease)
    assert again.lease is not None
    assert again.countdown == settings.SYNC_LONGEST_COUNTDOWN_SECONDS
    assert len(staged_books.calls) == sent


def test_books_that_say_the_daily_quota_is_spent_defer_the_company_until_the_probe(
    staged_books, fresh_leases
):
    org, expense = connected_org()
    run, _txns = run_of(org, expense, 2)
    staged_books.fail("create", "quota_spent")
    [(stripe, lease)] = claim_turns(org.pk)
    end = take_turn(organization_id=org.pk, stripe=stripe, lease=lease)
    assert end.lease is not None
    assert QUOTA_PROBE_SECONDS - 5 < end.countdown <= QUOTA_PROBE_SECONDS
    assert not Transaction.objects.filter(organization=org, status="failed").exists()
    assert SyncRunItem.objects.filter(run=run, attempts__gt=0).count() == 0  # not an attempt
    run.refresh_from_db()
    assert QUOTA_PROBE_SECONDS - 5 < run.waiting_seconds <= QUOTA_PROBE_SECONDS
    minute, day = provider_for(KEY).request_budget({"api_key": API_KEY}).windows()
    assert minute.wait_seconds == 0 and day.wait_seconds > QUOTA_PROBE_SECONDS - 5
    out = StringIO()
    call_command("sync_queues", stdout=out)
    assert "waiting for the day limit" in out.getvalue()


def test_reads_when_the_day_is_spent_end_with_that_reason_instead_of_holding_a_worker(
    staged_books, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(StagedBooksProvider, "per_day", 2)
    org, expense = connected_org()
    run, [txn] = run_of(org, expense, 1)
    assert drain(run).status == SyncRunStatus.SUCCEEDED  # create and second call: day spent
    day = txn.transaction_date
    with mock.patch("accounting.tasks.reconcile.delay"):
        queued = start_reconciliation(organization=org, actor=None, date_from=day, date_to=day)
    with (
        mock.patch("integrations.tasks.sync_configuration.delay"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        job = start_config_sync(organization=org, actor=None, provider=KEY)

    began = time.monotonic()
    reconciliation = run_reconciliation(reconciliation_id=queued.pk)
    config_sync = run_config_sync(job_id=job.pk)
    assert time.monotonic() - began < 2
    assert reconciliation is not None and config_sync is not None
    for status, reason in [
        (reconciliation.status, reconciliation.error),
        (config_sync.status, config_sync.error),
    ]:
        assert status == "failed"
        assert "Staged Books's request limit is reached; try again in about 2" in reason


# --- Qoyod and Odoo keep the plain path ---------------------------------------------------------


@pytest.mark.parametrize("key", ["qoyod", "odoo"])
def test_qoyod_and_odoo_attach_after_the_create_without_a_key_and_create_drafts(key):
    provider = provider_for(key)
    assert provider.attachment_flow == AttachmentFlow.ATTACH_AFTER_CREATE
    assert provider.takes_idempotency_key is False
    assert provider.draft_may_need_second_call is False
