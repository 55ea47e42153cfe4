"""Verified transactions become exactly one balanced draft journal entry each in Qoyod
(the sandbox, over real HTTP), with their documents."""

import threading
import time
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.db import connection

from accounting.models import (
    Account,
    Document,
    SyncRun,
    SyncRunStatus,
    Transaction,
    TransactionStatus,
)
from accounting.services.runs import retry_failed, start_sync_run
from accounting.services.turns import pending_batches, push_batch
from integrations.connections import connection_for
from integrations.models import ConnectionStatus, Integration
from integrations.services import disconnect
from sifi.models import AuditEvent, Role
from tests.factories import api_client_for, make_account, make_org, make_transaction, make_user

pytestmark = pytest.mark.django_db

MARKETING, WALLET = 1038, 1003  # the sandbox demo chart's ids (Qoyod's wire: integers)
PDF = b"%PDF-1.4\n%%EOF\n"


def connected_org(sandbox, org=None, *, api_key=None):
    """An organization connected to a sandbox tenant (the demo one unless `api_key`)."""
    org = org or make_org()
    wallet = make_account(org, external_id=str(WALLET), code="110101", name_en="Wallet")
    marketing = make_account(
        org, external_id=str(MARKETING), code="5201", name_en="Marketing Expenses"
    )
    Integration.objects.create(
        provider="qoyod",
        organization=org,
        status=ConnectionStatus.CONNECTED,
        secrets={"api_key": api_key or sandbox.demo_key},
        source_account=wallet,
    )
    return org, marketing


def verified(org, account, count, **fields):
    return [
        make_transaction(org, status=TransactionStatus.VERIFIED, account=account, **fields)
        for _ in range(count)
    ]


def with_receipt(txn):
    document = Document(
        organization=txn.organization,
        transaction=txn,
        filename="receipt.pdf",
        content_type="application/pdf",
        size=len(PDF),
        sha256=f"{txn.pk:064d}",
    )
    document.file.save("receipt.pdf", ContentFile(PDF), save=False)
    document.save()
    return txn


def drain(run):
    """What the workers do: push every pending transaction of the run, coming back when the
    company's request budget defers it."""
    for _ in range(50):
        batches = pending_batches(run)
        if not batches:
            break
        for batch in batches:
            wait = push_batch(run_id=run.pk, transaction_ids=batch)
            if wait:
                time.sleep(min(wait, 2.0))
                break
    run.refresh_from_db()
    return run


def entries_by_reference(sandbox, api_key=None):
    found = {}
    for entry in sandbox.journal_entries(api_key or sandbox.demo_key):
        reference = entry["description"].split("]")[0].lstrip("[")
        found.setdefault(reference, []).append(entry)
    return found


def test_a_run_lands_one_balanced_draft_entry_per_transaction_with_documents(
    qoyod_sandbox, django_capture_on_commit_callbacks
):
    org, marketing = connected_org(qoyod_sandbox)
    debit = [with_receipt(t) for t in verified(org, marketing, 30)]
    refund = verified(org, marketing, 1, type="card_refund", direction="credit")[0]
    actor = make_user(org, Role.ACCOUNTANT)
    with django_capture_on_commit_callbacks() as callbacks:
        run = start_sync_run(organization=org, actor=actor)
    assert len(callbacks) == 1  # the run is queued once the transaction commits
    assert run.total == 31
    assert drain(run).status == SyncRunStatus.SUCCEEDED

    entries = entries_by_reference(qoyod_sandbox)
    assert len(entries) == 31 and all(len(found) == 1 for found in entries.values())
    for txn in Transaction.objects.filter(organization=org):
        entry = entries[txn.reference][0]
        assert txn.status == "synced" and txn.journal_entry_id == str(entry["id"])
        assert txn.journal_entry_status == entry["status"] == "Draft"
        assert entry["date"] == txn.transaction_date.isoformat()
        assert entry["total_debit"] == entry["total_credit"] == f"{txn.amount:.2f}"
        debit_account = entry["debit_amounts"][0]["account_id"]
        assert debit_account == (MARKETING if txn.direction == "debit" else WALLET)
    assert all(len(entries[t.reference][0]["attachments"]) == 1 for t in debit)
    assert entries[refund.reference][0]["credit_amounts"][0]["account_id"] == MARKETING
    assert AuditEvent.objects.filter(action="transaction.synced").count() == 31


def test_sync_needs_a_connection_and_something_verified(client_for, admin_a, org_a):
    api = client_for(admin_a)
    response = api.post("/api/v1/accounting/sync-runs/", {}, format="json")
    assert response.status_code == 409 and response.json()["code"] == "not_connected"


def test_the_api_starts_a_run_and_reports_progress(
    qoyod_sandbox, django_capture_on_commit_callbacks
):
    org, marketing = connected_org(qoyod_sandbox)
    verified(org, marketing, 3)
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


def test_transactions_in_a_run_cannot_be_edited(qoyod_sandbox, django_capture_on_commit_callbacks):
    org, marketing = connected_org(qoyod_sandbox)
    txn = verified(org, marketing, 1)[0]
    api = api_client_for(make_user(org, Role.ACCOUNTANT))
    with django_capture_on_commit_callbacks():
        api.post("/api/v1/accounting/sync-runs/", {}, format="json")
    response = api.post(f"/api/v1/accounting/transactions/{txn.pk}/unverify/")
    assert response.status_code == 409


@pytest.mark.parametrize(
    "fault", ["500", "drop", "500_after_commit", "drop_after_commit", "timeout_after_commit", "429"]
)
def test_faults_still_end_with_exactly_one_entry_per_transaction(
    qoyod_sandbox, settings, django_capture_on_commit_callbacks, fault
):
    settings.QOYOD_TIMEOUT_SECONDS = 1
    qoyod_sandbox.configure(timeout_sleep_s=1.5)
    org, marketing = connected_org(qoyod_sandbox)
    txns = verified(org, marketing, 6)
    qoyod_sandbox.inject({"kind": fault, "path": "journal_entries", "method": "POST", "count": 2})
    with django_capture_on_commit_callbacks():
        run = start_sync_run(organization=org, actor=None)
    assert drain(run).status == SyncRunStatus.SUCCEEDED
    entries = entries_by_reference(qoyod_sandbox)
    assert sorted(entries) == sorted(t.reference for t in txns)
    assert all(len(found) == 1 for found in entries.values())


def test_an_unknown_outcome_left_by_a_dead_worker_is_adopted_not_reposted(
    qoyod_sandbox, django_capture_on_commit_callbacks
):
    """The worker died after Qoyod stored the entry but before we saved its id."""
    org, marketing = connected_org(qoyod_sandbox)
    txn = verified(org, marketing, 1)[0]
    with django_capture_on_commit_callbacks():
        run = start_sync_run(organization=org, actor=None)
    qoyod_sandbox.inject({"kind": "drop_after_commit", "path": "journal_entries", "method": "POST"})
    from accounting.services import push

    txn.refresh_from_db()
    wallet = Account.objects.get(organization=org, external_id=str(WALLET))
    with (
        connection_for(org).open_session() as session,
        pytest.raises(Exception),  # noqa: B017 (the "crash" mid-push)
    ):
        push._create_entry_once(txn, wallet, session)
    txn.refresh_from_db()
    assert txn.push_started_at is not None and txn.journal_entry_id is None
    drain(run)  # the redelivered batch
    txn.refresh_from_db()
    assert txn.status == "synced"
    assert len(qoyod_sandbox.journal_entries()) == 1
    adopted = AuditEvent.objects.get(action="transaction.journal_entry_created", target_id=txn.pk)
    assert adopted.after["adopted"] is True


def test_a_validation_error_fails_the_transaction_with_qoyods_message_and_retry_fixes_it(
    qoyod_sandbox, django_capture_on_commit_callbacks
):
    org, marketing = connected_org(qoyod_sandbox)
    gone = make_account(org, external_id="424242", code="5999", name_en="Deleted in Qoyod")
    bad = verified(org, gone, 1)[0]
    good = verified(org, marketing, 1)[0]
    with django_capture_on_commit_callbacks():
        run = start_sync_run(organization=org, actor=None)
    assert drain(run).status == SyncRunStatus.PARTIAL
    bad.refresh_from_db()
    assert bad.status == "failed" and "does not exist" in bad.status_reason
    assert bad.error_code == "qoyod_validation"
    # Fixed by reassigning, then retried: a new run with only the failed one.
    Transaction.objects.filter(pk=bad.pk).update(account=marketing)
    with django_capture_on_commit_callbacks():
        retry = retry_failed(organization=org, actor=None, run_id=run.pk)
    assert retry.total == 1 and drain(retry).status == SyncRunStatus.SUCCEEDED
    assert len(qoyod_sandbox.journal_entries()) == 2
    good.refresh_from_db()
    assert good.status == "synced"


def test_a_revoked_key_stops_the_run_and_the_rest_stay_verified(
    qoyod_sandbox, django_capture_on_commit_callbacks
):
    org, marketing = connected_org(qoyod_sandbox)
    verified(org, marketing, 5)
    with django_capture_on_commit_callbacks():
        run = start_sync_run(organization=org, actor=None)
    qoyod_sandbox.revoke()
    assert drain(run).status == SyncRunStatus.STOPPED
    assert "rejected this API key" in run.error
    assert (
        Transaction.objects.filter(organization=org, status="verified", sync_run=None).count() == 5
    )
    integration = Integration.objects.get(organization=org)
    assert integration.status == ConnectionStatus.NEEDS_ATTENTION
    assert qoyod_sandbox.journal_entries() == []


def test_a_run_whose_connection_was_removed_stops_and_the_rest_stay_verified(
    qoyod_sandbox, django_capture_on_commit_callbacks
):
    org, marketing = connected_org(qoyod_sandbox)
    verified(org, marketing, 3)
    with django_capture_on_commit_callbacks():
        run = start_sync_run(organization=org, actor=None)
    disconnect(actor=None, organization=org, provider="qoyod")  # before any worker took a batch
    assert drain(run).status == SyncRunStatus.STOPPED
    assert run.error == "Stopped: Qoyod was disconnected. Reconnect Qoyod, then sync again."
    assert (
        Transaction.objects.filter(organization=org, status="verified", sync_run=None).count() == 3
    )
    assert qoyod_sandbox.journal_entries() == []


def test_without_attachment_support_receipts_are_linked_in_the_entry(
    qoyod_sandbox, django_capture_on_commit_callbacks, client
):
    qoyod_sandbox.configure(bare=True)
    org, marketing = connected_org(qoyod_sandbox)
    txn = with_receipt(verified(org, marketing, 1)[0])
    with django_capture_on_commit_callbacks():
        run = start_sync_run(organization=org, actor=None)
    assert drain(run).status == SyncRunStatus.SUCCEEDED
    entry = qoyod_sandbox.journal_entries()[0]
    link = entry["debit_amounts"][0]["comment"].split("Receipts: ")[1]
    assert client.get(link.replace("http://127.0.0.1:8000", "")).getvalue() == PDF
    txn.refresh_from_db()
    assert txn.journal_entry_status.startswith("Approved")  # the bare API cannot make drafts
    assert Integration.objects.get(organization=org).attachments_supported is False


@pytest.mark.django_db(transaction=True)
def test_two_runs_started_at_the_same_instant_never_take_a_transaction_twice(qoyod_sandbox):
    org, marketing = connected_org(qoyod_sandbox)
    verified(org, marketing, 200, amount=Decimal("10.00"))
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
    for run in started:
        drain(run)
    entries = entries_by_reference(qoyod_sandbox)
    assert len(entries) == 200 and all(len(found) == 1 for found in entries.values())
