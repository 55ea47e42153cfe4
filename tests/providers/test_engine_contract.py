"""The sync engine's promises, said once and kept for every registered provider: verified
transactions become exactly one balanced draft journal entry each in the organization's books
(the provider's sandbox, over real HTTP), with their receipts, whatever fails on the way.

Each test runs once per provider through its harness (tests/providers/harnesses.py): an
organization connected to the sandbox's demo books, the sandbox's faults, and what the books
hold read back in the ledger's words. What is true of one provider only lives beside it
(tests/accounting/test_qoyod_sync.py, test_odoo_sync.py). Real workers:
test_engine_contract_worker.py.
"""

import threading
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.db import connection

from accounting.models import (
    ReconciliationStatus,
    SyncRun,
    SyncRunItem,
    SyncRunStatus,
    Transaction,
)
from accounting.providers import provider_keys
from accounting.services.reconciliation import run_reconciliation
from accounting.services.runs import retry_failed, start_reconciliation, start_sync_run
from integrations.connections import connection_for
from integrations.models import ConnectionStatus, Integration
from integrations.services import disconnect
from sifi.models import AuditEvent, Role
from tests.accounting.sync_runs import PDF, drain, verified, with_receipt
from tests.factories import an_image, api_client_for, make_org, make_user
from tests.providers.harnesses import HARNESSES, HeldEntry, HeldFile

pytestmark = pytest.mark.django_db


def lines_of(entry: HeldEntry) -> set[tuple[str, str, Decimal]]:
    return {(line.account, line.side, line.amount) for line in entry.lines}


def gross_lines(harness, txn) -> set[tuple[str, str, Decimal]]:
    """A transaction booked without VAT: its account on its side, the wallet on the other."""
    assigned, wallet = ("debit", "credit") if txn.direction == "debit" else ("credit", "debit")
    return {
        (harness.expense_account, assigned, txn.amount),
        (harness.wallet_account, wallet, txn.amount),
    }


def adoptions(org) -> list[bool]:
    """Per entry recorded for the organization: whether it was adopted (found in the books
    after an unknown outcome) rather than created."""
    events = AuditEvent.objects.filter(organization=org, action="transaction.journal_entry_created")
    return [event.after["adopted"] for event in events]


def test_each_verified_transaction_becomes_exactly_one_balanced_draft_with_its_receipts(
    harness, django_capture_on_commit_callbacks
):
    org, expense = harness.connect()
    expenses = [with_receipt(t) for t in verified(org, expense, 30)]  # more than one batch
    refund = verified(org, expense, 1, type="card_refund", direction="credit")[0]
    actor = make_user(org, Role.ACCOUNTANT)
    with django_capture_on_commit_callbacks() as callbacks:
        run = start_sync_run(organization=org, actor=actor)
    assert len(callbacks) == 1  # the run is queued once the transaction commits
    assert run.total == 31
    assert drain(run).status == SyncRunStatus.SUCCEEDED

    held = harness.held_by_reference()
    assert sorted(held) == sorted(t.reference for t in [*expenses, refund])
    assert all(len(found) == 1 for found in held.values())
    for txn in Transaction.objects.filter(organization=org):
        [entry] = held[txn.reference]
        assert (txn.status, txn.journal_entry_id, txn.journal_entry_status) == (
            "synced",
            entry.id,
            harness.synced_status(txn.direction),
        )
        assert entry.status == harness.synced_status(txn.direction)
        assert entry.date == txn.transaction_date and txn.merchant in entry.description
        assert entry.totals() == (txn.amount, txn.amount)
        assert lines_of(entry) == gross_lines(harness, txn)
    for txn in expenses:
        [receipt] = held[txn.reference][0].files
        assert receipt == HeldFile("receipt.pdf", "application/pdf", len(PDF))
    assert held[refund.reference][0].files == ()
    assert AuditEvent.objects.filter(organization=org, action="transaction.synced").count() == 31
    assert adoptions(org) == [False] * 31
    assert Integration.objects.get(organization=org).attachments_supported is True


def test_vat_goes_on_its_own_line_when_an_input_vat_account_is_set(
    harness, django_capture_on_commit_callbacks
):
    org, expense = harness.connect(vat=True)
    expenses = verified(org, expense, 5, amount=Decimal("115.00"), vat_amount=Decimal("15.00"))
    refund = verified(org, expense, 1, type="card_refund", direction="credit")[0]
    with django_capture_on_commit_callbacks():
        run = start_sync_run(organization=org, actor=None)
    assert drain(run).status == SyncRunStatus.SUCCEEDED

    held = harness.held_by_reference()
    assert sorted(held) == sorted(t.reference for t in [*expenses, refund])
    for txn in Transaction.objects.filter(organization=org):
        [entry] = held[txn.reference]
        assert (txn.status, txn.journal_entry_id) == ("synced", entry.id)
        assert txn.journal_entry_status == entry.status == harness.synced_status(txn.direction)
        assert entry.totals() == (txn.amount, txn.amount)
    # A debit of 115.00 with 15.00 VAT (15 %, as books that compute it from a tax rate agree):
    # 100.00 to the expense, 15.00 to Input VAT, 115.00 credit.
    for txn in expenses:
        [entry] = held[txn.reference]
        assert lines_of(entry) == {
            (harness.expense_account, "debit", Decimal("100.00")),
            (harness.input_vat_account, "debit", Decimal("15.00")),
            (harness.wallet_account, "credit", Decimal("115.00")),
        }
    [refunded] = held[refund.reference]
    assert lines_of(refunded) == {
        (harness.expense_account, "credit", Decimal("125.50")),
        (harness.wallet_account, "debit", Decimal("125.50")),
    }


def test_a_photographed_receipt_goes_to_the_books_as_sent(
    harness, django_capture_on_commit_callbacks
):
    org, expense = harness.connect()
    photo = an_image("JPEG")
    with_receipt(verified(org, expense, 1)[0], photo, "receipt.jpg", "image/jpeg")
    with django_capture_on_commit_callbacks():
        run = start_sync_run(organization=org, actor=None)
    assert drain(run).status == SyncRunStatus.SUCCEEDED
    [entry] = harness.held_entries()
    assert entry.files == (HeldFile("receipt.jpg", "image/jpeg", len(photo)),)


def test_sync_needs_a_connection_and_something_verified(client_for, admin_a, org_a):
    api = client_for(admin_a)
    response = api.post("/api/v1/accounting/sync-runs/", {}, format="json")
    assert response.status_code == 409 and response.json()["code"] == "not_connected"


def test_the_api_starts_a_run_and_reports_progress(harness, django_capture_on_commit_callbacks):
    org, expense = harness.connect()
    verified(org, expense, 3)
    api = api_client_for(make_user(org, Role.ACCOUNTANT))
    with django_capture_on_commit_callbacks():
        response = api.post("/api/v1/accounting/sync-runs/", {}, format="json")
    assert response.status_code == 202
    body = response.json()
    assert body["total"] == 3 and body["pending"] == 3 and body["status"] == "queued"
    assert api.post("/api/v1/accounting/sync-runs/", {}, format="json").status_code == 409
    drain(SyncRun.objects.get(pk=body["id"]))
    done = api.get(f"/api/v1/accounting/sync-runs/{body['id']}/").json()
    assert (done["status"], done["succeeded"], done["pending"]) == ("succeeded", 3, 0)
    items = api.get(f"/api/v1/accounting/sync-runs/{body['id']}/items/").json()["results"]
    assert all(item["journal_entry_id"] for item in items)
    other = api_client_for(make_user(make_org(), Role.ADMIN))
    assert other.get(f"/api/v1/accounting/sync-runs/{body['id']}/").status_code == 404


def test_transactions_in_a_run_cannot_be_edited(harness, django_capture_on_commit_callbacks):
    org, expense = harness.connect()
    txn = verified(org, expense, 1)[0]
    api = api_client_for(make_user(org, Role.ACCOUNTANT))
    with django_capture_on_commit_callbacks():
        api.post("/api/v1/accounting/sync-runs/", {}, format="json")
    response = api.post(f"/api/v1/accounting/transactions/{txn.pk}/unverify/")
    assert response.status_code == 409


def _every_fault_of_every_harness() -> list[Any]:
    """(provider, fault kind) for each kind its sandbox answers (the harness fixture fails a
    provider without a harness)."""
    return [
        pytest.param(key, kind, id=f"{key}-{kind}")
        for key in provider_keys()
        for kind in (HARNESSES[key].fault_kinds if key in HARNESSES else ("none",))
    ]


@pytest.mark.parametrize(
    ("harness", "fault"), _every_fault_of_every_harness(), indirect=["harness"]
)
def test_faults_still_end_with_exactly_one_entry_per_transaction(
    harness, settings, django_capture_on_commit_callbacks, fault
):
    """A server error, a dropped connection or a 429 is retried; an answer lost after the
    books stored the entry (an error, a drop, a timeout) is an unknown outcome: the entry is
    looked up by our reference and adopted, never posted twice."""
    harness.short_timeouts(settings)
    org, expense = harness.connect()
    txns = verified(org, expense, 6)
    harness.inject(fault, on="create", count=2)
    with django_capture_on_commit_callbacks():
        run = start_sync_run(organization=org, actor=None)
    assert drain(run).status == SyncRunStatus.SUCCEEDED
    held = harness.held_by_reference()
    assert sorted(held) == sorted(t.reference for t in txns)
    assert all(len(found) == 1 for found in held.values())
    for txn in Transaction.objects.filter(organization=org):
        assert txn.status == "synced" and txn.journal_entry_id == held[txn.reference][0].id
    # Books that replay a keyed create answer the resent one: nothing is left to adopt.
    lost_after_commit = fault.endswith("_after_commit") and not harness.replays_keyed_creates
    assert sorted(adoptions(org)) == [False] * 4 + [lost_after_commit] * 2
    assert harness.faults_left() == []  # every fault was met


def test_an_unknown_outcome_left_by_a_dead_worker_is_adopted_not_reposted(
    harness, django_capture_on_commit_callbacks
):
    """The worker died after the books stored the entry but before we saved its id."""
    from accounting.services import push

    org, expense = harness.connect()
    txn = verified(org, expense, 1)[0]
    with django_capture_on_commit_callbacks():
        run = start_sync_run(organization=org, actor=None)
    harness.inject("drop_after_commit", on="create")
    txn.refresh_from_db()
    wallet = Integration.objects.get(organization=org).source_account
    books = connection_for(org)
    assert books is not None and wallet is not None
    with (
        books.open_session() as session,
        pytest.raises(Exception),  # noqa: B017 (the "crash" mid-push)
    ):
        push._create_entry_once(txn, wallet, session)
    txn.refresh_from_db()
    assert txn.push_started_at is not None and txn.journal_entry_id is None
    drain(run)  # the redelivered batch
    txn.refresh_from_db()
    assert txn.status == "synced"
    [entry] = harness.held_entries()
    assert txn.journal_entry_id == entry.id
    adopted = AuditEvent.objects.get(action="transaction.journal_entry_created", target_id=txn.pk)
    assert adopted.after["adopted"] is True


def test_a_refused_account_fails_with_the_books_words_no_blind_retry_and_retry_fixes_it(
    harness, django_capture_on_commit_callbacks
):
    org, expense = harness.connect()
    bad = verified(org, harness.refused(org), 1)[0]
    good = verified(org, expense, 1)[0]
    with django_capture_on_commit_callbacks():
        run = start_sync_run(organization=org, actor=None)
    assert drain(run).status == SyncRunStatus.PARTIAL
    bad.refresh_from_db()
    assert bad.status == "failed" and bad.error_code == f"{harness.key}_validation"
    assert all(words in bad.status_reason for words in harness.refused_account.words)
    # Sending it again cannot help: one attempt, and the books hold only the good one.
    assert SyncRunItem.objects.get(run=run, transaction=bad).attempts == 1
    assert [entry.reference for entry in harness.held_entries()] == [good.reference]
    # Fixed by reassigning, then retried: a new run with only the failed one.
    Transaction.objects.filter(pk=bad.pk).update(account=expense)
    with django_capture_on_commit_callbacks():
        retry = retry_failed(organization=org, actor=None, run_id=run.pk)
    assert retry.pk != run.pk and retry.total == 1
    assert drain(retry).status == SyncRunStatus.SUCCEEDED
    assert len(harness.held_entries()) == 2
    good.refresh_from_db()
    assert good.status == "synced"


def test_refused_credentials_stop_the_run_need_attention_and_the_rest_stay_verified(
    harness, django_capture_on_commit_callbacks
):
    org, expense = harness.connect()
    verified(org, expense, 5)
    with django_capture_on_commit_callbacks():
        run = start_sync_run(organization=org, actor=None)
    harness.revoke()
    assert drain(run).status == SyncRunStatus.STOPPED
    assert all(words in run.error for words in harness.refused_credentials_words)
    assert f"Reconnect {harness.name}" in run.error
    assert (
        Transaction.objects.filter(organization=org, status="verified", sync_run=None).count() == 5
    )
    integration = Integration.objects.get(organization=org)
    assert integration.status == ConnectionStatus.NEEDS_ATTENTION
    assert harness.held_entries() == []


def test_a_run_whose_connection_was_removed_stops_and_the_rest_stay_verified(
    harness, django_capture_on_commit_callbacks
):
    org, expense = harness.connect()
    verified(org, expense, 3)
    with django_capture_on_commit_callbacks():
        run = start_sync_run(organization=org, actor=None)
    disconnect(actor=None, organization=org, provider=harness.key)  # before any worker pushed
    assert drain(run).status == SyncRunStatus.STOPPED
    name = harness.name
    assert run.error == f"Stopped: {name} was disconnected. Reconnect {name}, then sync again."
    assert (
        Transaction.objects.filter(organization=org, status="verified", sync_run=None).count() == 3
    )
    assert harness.held_entries() == []


def test_books_that_take_no_files_get_receipt_links_in_the_entry(
    harness, django_capture_on_commit_callbacks, client
):
    harness.without_attachments()
    org, expense = harness.connect()
    with_receipt(verified(org, expense, 1)[0])
    with django_capture_on_commit_callbacks():
        run = start_sync_run(organization=org, actor=None)
    assert drain(run).status == SyncRunStatus.SUCCEEDED
    [entry] = harness.held_entries()
    assert entry.files == ()
    # On the line of the transaction's own account.
    [line] = [line for line in entry.lines if "Receipts: " in line.memo]
    assert line.account == harness.expense_account
    link = line.memo.split("Receipts: ")[1]
    assert "/receipts/" in link
    assert client.get(urlsplit(link).path).getvalue() == PDF
    assert Integration.objects.get(organization=org).attachments_supported is False


@pytest.mark.django_db(transaction=True)
def test_two_runs_started_at_the_same_instant_never_take_a_transaction_twice(harness):
    org, expense = harness.connect()
    verified(org, expense, 200, amount=Decimal("10.00"))
    barrier = threading.Barrier(2)
    runs: list[object] = []

    def click():
        try:
            barrier.wait()
            runs.append(start_sync_run(organization=org, actor=None))
        except Exception as exc:  # the loser may find nothing left
            runs.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=click) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    started = [run for run in runs if isinstance(run, SyncRun)]
    assert sum(run.total for run in started) == 200
    pushers = [threading.Thread(target=_drain_and_close, args=(run,)) for run in started * 2]
    for pusher in pushers:  # and each run's batches pushed twice at once (a redelivery)
        pusher.start()
    for pusher in pushers:
        pusher.join()
    held = harness.held_by_reference()
    assert len(held) == 200 and all(len(found) == 1 for found in held.values())


def _drain_and_close(run):
    try:
        drain(run)
    finally:
        connection.close()


def test_reconciliation_reads_the_books_and_finds_what_changed(
    harness, django_capture_on_commit_callbacks
):
    org, expense = harness.connect()
    txns = verified(org, expense, 3)
    with django_capture_on_commit_callbacks():
        run = start_sync_run(organization=org, actor=None)
    drain(run)
    entries = {entry.reference: entry for entry in harness.held_entries()}
    harness.delete_entry(entries[txns[0].reference].id)
    harness.change_amount(entries[txns[1].reference].id, Decimal("99.00"))
    dates = sorted(t.transaction_date for t in txns)
    with django_capture_on_commit_callbacks():
        reconciliation = start_reconciliation(
            organization=org, actor=None, date_from=dates[0], date_to=dates[-1]
        )
    done = run_reconciliation(reconciliation_id=reconciliation.pk)
    assert done is not None and done.status == ReconciliationStatus.SUCCEEDED, done.error
    assert (done.checked, done.matched, done.missing, done.mismatched) == (3, 1, 1, 1)


def test_a_synced_transaction_links_its_entry_in_the_organizations_books(
    harness, client, django_capture_on_commit_callbacks
):
    org, expense = harness.connect()
    txn = verified(org, expense, 1)[0]
    with django_capture_on_commit_callbacks():
        run = start_sync_run(organization=org, actor=None)
    drain(run)
    txn.refresh_from_db()
    client.force_login(make_user(org, Role.ACCOUNTANT))
    page = client.get(f"/accounting/transactions/{txn.pk}/").content.decode()
    assert f"{harness.name} entry #{txn.journal_entry_id}" in page
    assert harness.entry_link(txn.journal_entry_id) in page
    assert f"open in {harness.name}" in page
