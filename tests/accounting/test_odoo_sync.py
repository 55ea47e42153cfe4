"""Verified transactions become exactly one balanced draft journal entry (`account.move`) each
in Odoo (the sandbox, over real HTTP), receipts attached: the same engine and guarantees as
Qoyod's, through Odoo's provider package."""

import threading
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.db import connection

from accounting.models import (
    Account,
    Document,
    ReconciliationStatus,
    SyncRun,
    SyncRunStatus,
    Transaction,
    TransactionStatus,
)
from accounting.services.reconciliation import run_reconciliation
from accounting.services.runs import retry_failed, start_reconciliation, start_sync_run
from integrations.connections import connection_for
from integrations.models import ConnectionStatus, Integration
from integrations.providers.odoo.provider import OdooSession
from sifi.models import AuditEvent, Role
from tests.accounting.test_sync import drain
from tests.factories import an_image, make_account, make_org, make_transaction, make_user

pytestmark = pytest.mark.django_db

WALLET, VAT, MARKETING = 1001, 1007, 1026  # the sandbox demo database's account ids (wire)
MISC = 4  # its Miscellaneous Operations journal
PDF = b"%PDF-1.4\n%%EOF\n"


def odoo_org(sandbox, org=None, *, vat: bool = False):
    """An organization connected to the Odoo sandbox's demo company, its chart mirrored."""
    org = org or make_org()
    odoo = {"provider": "odoo"}
    wallet = make_account(org, external_id=str(WALLET), code="111001", name_en="Wallet", **odoo)
    marketing = make_account(
        org, external_id=str(MARKETING), code="521001", name_en="Marketing", **odoo
    )
    input_vat = make_account(org, external_id=str(VAT), code="114001", name_en="VAT Input", **odoo)
    Integration.objects.create(
        organization=org,
        provider="odoo",
        status=ConnectionStatus.CONNECTED,
        secrets={"api_key": sandbox.api_key},
        location={
            "url": sandbox.url,
            "database": sandbox.database,
            "username": sandbox.login,
            "company_id": "1",
        },
        journals=[{"id": str(MISC), "code": "MISC", "name": "Miscellaneous Operations"}],
        journal_external_id=str(MISC),
        source_account=wallet,
        input_vat_account=input_vat if vat else None,
    )
    return org, marketing


def verified(org, account, count, **fields):
    return [
        make_transaction(org, status=TransactionStatus.VERIFIED, account=account, **fields)
        for _ in range(count)
    ]


def with_receipt(txn, content=PDF, filename="receipt.pdf", content_type="application/pdf"):
    document = Document(
        organization=txn.organization,
        transaction=txn,
        filename=filename,
        content_type=content_type,
        size=len(content),
        sha256=f"{txn.pk:064d}",
    )
    document.file.save(filename, ContentFile(content), save=False)
    document.save()
    return txn


def moves_by_ref(sandbox):
    found: dict[str, list[dict]] = {}
    for move in sandbox.moves():
        found.setdefault(move["ref"], []).append(move)
    return found


def test_a_run_lands_one_balanced_draft_move_per_transaction_with_its_receipt(
    odoo_sandbox, django_capture_on_commit_callbacks
):
    org, marketing = odoo_org(odoo_sandbox, vat=True)
    expenses = [with_receipt(t) for t in verified(org, marketing, 5, vat_amount=Decimal("15.00"))]
    refund = verified(org, marketing, 1, type="card_refund", direction="credit")[0]
    with django_capture_on_commit_callbacks():
        run = start_sync_run(organization=org, actor=None)
    assert drain(run).status == SyncRunStatus.SUCCEEDED

    moves = moves_by_ref(odoo_sandbox)
    assert sorted(moves) == sorted(t.reference for t in [*expenses, refund])
    for txn in Transaction.objects.filter(organization=org):
        [move] = moves[txn.reference]
        assert (txn.status, txn.journal_entry_id, txn.journal_entry_status) == (
            "synced",
            str(move["id"]),
            "draft",
        )
        assert move["state"] == "draft" and move["move_type"] == "entry"
        assert move["journal_id"] == MISC and move["date"] == txn.transaction_date.isoformat()
        assert txn.merchant in move["narration"]
        debit = sum(Decimal(str(line["debit"])) for line in move["lines"])
        credit = sum(Decimal(str(line["credit"])) for line in move["lines"])
        assert debit == credit == txn.amount
    # A debit of 125.50 with 15.00 VAT: 110.50 to Marketing, 15.00 to VAT Input, 125.50 credit.
    lines = {
        (line["account_id"], line["debit"], line["credit"])
        for line in moves[expenses[0].reference][0]["lines"]
    }
    assert lines == {(MARKETING, 110.5, 0.0), (VAT, 15.0, 0.0), (WALLET, 0.0, 125.5)}
    refund_lines = {
        (line["account_id"], line["debit"], line["credit"])
        for line in moves[refund.reference][0]["lines"]
    }
    assert refund_lines == {(MARKETING, 0.0, 125.5), (WALLET, 125.5, 0.0)}
    for txn in expenses:
        [attachment] = moves[txn.reference][0]["attachments"]
        assert (attachment["name"], attachment["mimetype"]) == ("receipt.pdf", "application/pdf")
    assert Integration.objects.get(organization=org).attachments_supported is True


def test_a_photographed_receipt_goes_to_odoo_as_sent_not_resized(
    odoo_sandbox, django_capture_on_commit_callbacks
):
    org, marketing = odoo_org(odoo_sandbox)
    photo = an_image("JPEG")
    with_receipt(verified(org, marketing, 1)[0], photo, "receipt.jpg", "image/jpeg")
    with django_capture_on_commit_callbacks():
        run = start_sync_run(organization=org, actor=None)
    assert drain(run).status == SyncRunStatus.SUCCEEDED
    [attachment] = odoo_sandbox.moves()[0]["attachments"]
    assert attachment["image_no_postprocess"] is True  # Odoo must not shrink it
    assert attachment["file_size"] == len(photo) and attachment["mimetype"] == "image/jpeg"


@pytest.mark.parametrize(
    "fault",
    ["500", "502", "drop", "502_after_commit", "drop_after_commit", "timeout_after_commit", "429"],
)
def test_faults_still_end_with_exactly_one_move_per_transaction(
    odoo_sandbox, settings, django_capture_on_commit_callbacks, fault
):
    settings.ODOO_TIMEOUT_SECONDS = 1
    odoo_sandbox.configure(timeout_sleep_s=1.5)
    org, marketing = odoo_org(odoo_sandbox)
    txns = verified(org, marketing, 4)
    odoo_sandbox.inject({"kind": fault, "model": "account.move", "method": "create", "count": 2})
    with django_capture_on_commit_callbacks():
        run = start_sync_run(organization=org, actor=None)
    assert drain(run).status == SyncRunStatus.SUCCEEDED
    moves = moves_by_ref(odoo_sandbox)
    assert sorted(moves) == sorted(t.reference for t in txns)
    assert all(len(found) == 1 for found in moves.values())
    assert odoo_sandbox.configure()["faults"] == []  # every fault was met


def test_a_move_stored_before_the_answer_was_lost_is_adopted_not_posted_again(
    odoo_sandbox, django_capture_on_commit_callbacks
):
    """Odoo stored the entry, then its proxy answered 502: the next attempt looks the entry up
    by our reference (`ref`) and adopts it."""
    org, marketing = odoo_org(odoo_sandbox)
    txn = verified(org, marketing, 1)[0]
    odoo_sandbox.inject({"kind": "502_after_commit", "model": "account.move", "method": "create"})
    with django_capture_on_commit_callbacks():
        run = start_sync_run(organization=org, actor=None)
    assert drain(run).status == SyncRunStatus.SUCCEEDED
    [move] = odoo_sandbox.moves()
    txn.refresh_from_db()
    assert txn.journal_entry_id == str(move["id"])
    adopted = AuditEvent.objects.get(action="transaction.journal_entry_created", target_id=txn.pk)
    assert adopted.after["adopted"] is True


def test_odoo_refusing_an_entry_fails_it_with_odoos_message_and_retry_fixes_it(
    odoo_sandbox, django_capture_on_commit_callbacks
):
    org, marketing = odoo_org(odoo_sandbox)
    old = make_account(org, provider="odoo", external_id="1034", code="511099", name_en="Old")
    bad = verified(org, old, 1)[0]
    good = verified(org, marketing, 1)[0]
    with django_capture_on_commit_callbacks():
        run = start_sync_run(organization=org, actor=None)
    assert drain(run).status == SyncRunStatus.PARTIAL
    bad.refresh_from_db()
    assert bad.status == "failed" and bad.error_code == "odoo_validation"
    assert "511099" in bad.status_reason and "deprecated" in bad.status_reason
    Transaction.objects.filter(pk=bad.pk).update(account=marketing)
    with django_capture_on_commit_callbacks():
        retry = retry_failed(organization=org, actor=None, run_id=run.pk)
    assert drain(retry).status == SyncRunStatus.SUCCEEDED
    assert len(odoo_sandbox.moves()) == 2
    good.refresh_from_db()
    assert good.status == "synced"


def test_a_receipt_larger_than_odoo_accepts_is_reported_and_the_entry_kept(
    odoo_sandbox, django_capture_on_commit_callbacks
):
    odoo_sandbox.configure(max_request_bytes=2_000)
    org, marketing = odoo_org(odoo_sandbox)
    txn = with_receipt(verified(org, marketing, 1)[0], b"%PDF-1.4\n" + b"0" * 5_000)
    with django_capture_on_commit_callbacks():
        run = start_sync_run(organization=org, actor=None)
    assert drain(run).status == SyncRunStatus.FAILED
    txn.refresh_from_db()
    assert txn.status == "failed" and "larger than this Odoo server accepts" in txn.status_reason
    [move] = odoo_sandbox.moves()  # the draft is there once, without the receipt
    assert txn.journal_entry_id == str(move["id"]) and move["attachments"] == []


def test_a_revoked_key_stops_the_run_needs_attention_and_the_rest_stay_verified(
    odoo_sandbox, django_capture_on_commit_callbacks
):
    org, marketing = odoo_org(odoo_sandbox)
    verified(org, marketing, 4)
    with django_capture_on_commit_callbacks():
        run = start_sync_run(organization=org, actor=None)
    odoo_sandbox.revoke()
    assert drain(run).status == SyncRunStatus.STOPPED
    assert "Odoo refused this login and API key" in run.error and "Reconnect Odoo" in run.error
    assert (
        Transaction.objects.filter(organization=org, status="verified", sync_run=None).count() == 4
    )
    integration = Integration.objects.get(organization=org)
    assert integration.status == ConnectionStatus.NEEDS_ATTENTION
    assert odoo_sandbox.moves() == []


def test_an_odoo_user_who_may_not_attach_files_gets_receipt_links_in_the_lines(
    odoo_sandbox, django_capture_on_commit_callbacks
):
    odoo_sandbox.configure(attachments_forbidden=True)
    org, marketing = odoo_org(odoo_sandbox)
    with_receipt(verified(org, marketing, 1)[0])
    with django_capture_on_commit_callbacks():
        run = start_sync_run(organization=org, actor=None)
    assert drain(run).status == SyncRunStatus.SUCCEEDED
    [move] = odoo_sandbox.moves()
    assert move["attachments"] == []
    assert any("/receipts/" in line["name"] for line in move["lines"])
    assert Integration.objects.get(organization=org).attachments_supported is False


@pytest.mark.django_db(transaction=True)
def test_two_runs_started_at_the_same_instant_never_take_a_transaction_twice(odoo_sandbox):
    org, marketing = odoo_org(odoo_sandbox)
    verified(org, marketing, 30, amount=Decimal("10.00"))
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
    assert sum(run.total for run in started) == 30
    pushers = [threading.Thread(target=_drain_and_close, args=(run,)) for run in started * 2]
    for pusher in pushers:  # and each run's batches pushed twice at once (a redelivery)
        pusher.start()
    for pusher in pushers:
        pusher.join()
    moves = moves_by_ref(odoo_sandbox)
    assert len(moves) == 30 and all(len(found) == 1 for found in moves.values())


def _drain_and_close(run):
    try:
        drain(run)
    finally:
        connection.close()


def test_reconciliation_reads_odoos_moves_and_finds_what_changed(
    odoo_sandbox, django_capture_on_commit_callbacks
):
    org, marketing = odoo_org(odoo_sandbox)
    txns = verified(org, marketing, 3)
    with django_capture_on_commit_callbacks():
        run = start_sync_run(organization=org, actor=None)
    drain(run)
    moves = {move["ref"]: move for move in odoo_sandbox.moves()}
    odoo_sandbox.delete_move(moves[txns[0].reference]["id"])
    odoo_sandbox.change_move(
        moves[txns[1].reference]["id"],
        lines=[
            {"account_id": MARKETING, "debit": 99.0},
            {"account_id": WALLET, "credit": 99.0},
        ],
    )
    dates = sorted(t.transaction_date for t in txns)
    with django_capture_on_commit_callbacks():
        reconciliation = start_reconciliation(
            organization=org, actor=None, date_from=dates[0], date_to=dates[-1]
        )
    done = run_reconciliation(reconciliation_id=reconciliation.pk)
    assert done is not None and done.status == ReconciliationStatus.SUCCEEDED, done.error
    assert (done.checked, done.matched, done.missing, done.mismatched) == (3, 1, 1, 1)


def test_the_session_speaks_to_the_company_the_connection_names(odoo_sandbox):
    org, _marketing = odoo_org(odoo_sandbox)
    books = connection_for(org)
    assert books is not None
    with books.open_session() as session:
        assert isinstance(session, OdooSession)
        assert session.company_id() == 1
        assert session.journal_id() == MISC
    assert {a.external_id for a in Account.objects.filter(organization=org)} == {
        str(WALLET),
        str(MARKETING),
        str(VAT),
    }


def test_a_synced_transaction_links_its_entry_in_the_organizations_odoo(
    odoo_sandbox, client, django_capture_on_commit_callbacks
):
    org, marketing = odoo_org(odoo_sandbox)
    txn = verified(org, marketing, 1)[0]
    with django_capture_on_commit_callbacks():
        run = start_sync_run(organization=org, actor=None)
    drain(run)
    txn.refresh_from_db()
    client.force_login(make_user(org, Role.ACCOUNTANT))
    page = client.get(f"/accounting/transactions/{txn.pk}/").content.decode()
    assert f"Odoo entry #{txn.journal_entry_id}" in page
    link = f"{odoo_sandbox.url}/web#id={txn.journal_entry_id}&amp;model=account.move"
    assert link in page and "open in Odoo" in page
