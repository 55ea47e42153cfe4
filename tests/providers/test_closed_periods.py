"""Closed periods, kept by every registered provider (issue 26): each sandbox learns a lock date
(`PATCH /_sandbox/config {"lock_date": …}`) and refuses entries dated on or before it in its
provider's words; the ledger fails such a transaction with "The books are closed up to <date>."
(policy "transaction_date"), or books it on the first open day in the same push (policy
"first_open_day"), its description keeping the transaction's date; the run's one click books
the failures on that day; and the check costs no request per transaction."""

import datetime

import pytest

from accounting.models import PostingDatePolicy, SyncRunStatus, Transaction
from accounting.providers import provider_for
from accounting.services.accounting_settings import change_accounting_settings
from accounting.services.runs import book_on_open_day, start_sync_run
from integrations.connections import connection_for
from sifi.models import AuditEvent
from tests.accounting.sync_runs import drain, verified

pytestmark = pytest.mark.django_db


def close_books(harness, until: datetime.date) -> None:
    harness.sandbox.configure(lock_date=until.isoformat())


def sync(org, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks():
        run = start_sync_run(organization=org, actor=None)
    return drain(run)


def first_open_day_policy(org) -> None:
    change_accounting_settings(
        organization=org, actor=None, posting_date_policy=PostingDatePolicy.FIRST_OPEN_DAY
    )


def test_a_transaction_in_the_closed_period_fails_with_the_lock_date_then_one_click_books_it(
    harness, django_capture_on_commit_callbacks
):
    org, expense = harness.connect()
    [txn] = verified(org, expense, 1)
    day = txn.transaction_date
    close_books(harness, day)

    run = sync(org, django_capture_on_commit_callbacks)
    assert run.status == SyncRunStatus.FAILED
    txn.refresh_from_db()
    assert txn.status == "failed"
    assert txn.error_code == f"{harness.key}_closed"
    assert txn.status_reason == f"The books are closed up to {day}."
    assert harness.held_entries() == []
    books = connection_for(org)
    assert books is not None and books.closed_until == day  # read, or learned from the refusal

    with django_capture_on_commit_callbacks():
        again = book_on_open_day(organization=org, actor=None, run_id=run.pk)
    assert again.retry_of_id == run.pk
    assert drain(again).status == SyncRunStatus.SUCCEEDED
    txn.refresh_from_db()
    open_day = day + datetime.timedelta(days=1)
    assert (txn.status, txn.booked_on) == ("synced", open_day)
    [entry] = harness.held_by_reference()[txn.reference]
    assert entry.date == open_day
    assert AuditEvent.objects.filter(action="sync_run.booked_on_open_day").count() == 1


def test_the_first_open_day_policy_books_it_on_the_day_after_the_lock_in_the_same_push(
    harness, django_capture_on_commit_callbacks
):
    org, expense = harness.connect()
    first_open_day_policy(org)
    [txn] = verified(org, expense, 1)
    day = txn.transaction_date
    lock = day + datetime.timedelta(days=3)
    close_books(harness, lock)

    assert sync(org, django_capture_on_commit_callbacks).status == SyncRunStatus.SUCCEEDED
    txn.refresh_from_db()
    open_day = lock + datetime.timedelta(days=1)
    assert (txn.status, txn.booked_on) == ("synced", open_day)
    [entry] = harness.held_by_reference()[txn.reference]
    assert entry.date == open_day
    moved = AuditEvent.objects.get(action="transaction.booked_on_open_day", target_id=str(txn.pk))
    assert moved.after["booked_on"] == open_day.isoformat()
    # Books that say their lock date were never sent the closed date; the others refused it
    # once and took the entry on the open day in the same push.
    expected = "lock_date" if provider_for(harness.key).reads_lock_date else "refused"
    assert moved.after["reason"] == expected


def test_an_unknown_outcome_on_the_moved_day_is_found_there_not_created_twice(
    harness, django_capture_on_commit_callbacks
):
    org, expense = harness.connect()
    first_open_day_policy(org)
    [txn] = verified(org, expense, 1)
    close_books(harness, txn.transaction_date)
    # The create dated on the open day is stored, its answer lost (books known only from
    # refusals refuse the closed date first: that create consumes a fault without effect).
    reads = provider_for(harness.key).reads_lock_date
    harness.fault("stored_then_lost", on="create", count=1 if reads else 2)

    assert sync(org, django_capture_on_commit_callbacks).status == SyncRunStatus.SUCCEEDED
    txn.refresh_from_db()
    [entry] = harness.held_by_reference()[txn.reference]
    assert entry.date == txn.transaction_date + datetime.timedelta(days=1)
    assert txn.journal_entry_id == entry.id


def test_open_books_cost_no_request_per_transaction_for_the_check(
    harness, django_capture_on_commit_callbacks
):
    """A run's requests are one create per transaction (no receipts here), plus, for books that
    say their lock date, one read per run; the same whether the books are closed before the
    transactions' dates or have no lock at all."""
    harness.without_rate_limit()
    org, expense = harness.connect()
    verified(org, expense, 1)
    sync(org, django_capture_on_commit_callbacks)  # warm: sign-in, tokens, the company

    def requests_for(count: int) -> int:
        before = harness.sandbox.stats()["served"]
        verified(org, expense, count)
        assert sync(org, django_capture_on_commit_callbacks).status == SyncRunStatus.SUCCEEDED
        return int(harness.sandbox.stats()["served"]) - int(before)

    reads = 1 if provider_for(harness.key).reads_lock_date else 0
    open_run = requests_for(6)
    close_books(harness, datetime.date(2000, 1, 31))
    assert requests_for(6) == open_run == 6 + reads
    assert requests_for(3) == 3 + reads


def test_books_that_say_their_lock_date_refuse_before_sending(
    harness, django_capture_on_commit_callbacks
):
    if not provider_for(harness.key).reads_lock_date:
        pytest.skip("these books say their lock date only in a refusal")
    org, expense = harness.connect()
    txns = verified(org, expense, 4)
    close_books(harness, max(t.transaction_date for t in txns))
    with harness.session() as session:  # signed in (the uid is kept per process)
        assert session.read_lock_date() == max(t.transaction_date for t in txns)
    before = harness.sandbox.stats()["served"]
    assert sync(org, django_capture_on_commit_callbacks).status == SyncRunStatus.FAILED
    # One read of the lock date for the run; no create was sent.
    assert int(harness.sandbox.stats()["served"]) - int(before) == 1
    assert harness.held_entries() == []
    assert set(
        Transaction.objects.filter(organization=org).values_list("error_code", flat=True)
    ) == {f"{harness.key}_closed"}
