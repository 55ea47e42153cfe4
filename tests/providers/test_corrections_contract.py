"""Corrections (issue 26), for every registered provider against its sandbox: a synced
transaction reassigned while its entry is a draft is corrected in place where the provider's
API updates drafts (never a second entry); where it cannot, or once the books have posted the
entry, SiFi sends nothing and says what to change by hand; an update whose answer was lost is
settled by reading the entry, never sent twice."""

from decimal import Decimal

import pytest

from accounting.journal import journal_entry_for
from accounting.models import Correction, CorrectionState, SyncRunStatus, Transaction
from accounting.providers import EditingSession, NotADraft, provider_for
from accounting.services.corrections import reassign_synced
from accounting.services.runs import start_sync_run
from integrations.connections import connection_for
from sifi.models import AuditEvent, Role
from tests.accounting.sync_runs import drain, verified
from tests.factories import make_account, make_user

pytestmark = pytest.mark.django_db


def synced(harness, django_capture_on_commit_callbacks, **fields):
    """An organization connected to the sandbox, one transaction synced there, and the other
    expense account of the chart (mirrored) to move it to."""
    org, expense = harness.connect()
    [txn] = verified(org, expense, 1, **fields)
    with django_capture_on_commit_callbacks():
        run = start_sync_run(organization=org, actor=None)
    assert drain(run).status == SyncRunStatus.SUCCEEDED
    external_id, code, name = harness.other_expense_account
    other = make_account(
        org, provider=harness.key, external_id=external_id, code=code, name_en=name
    )
    txn.refresh_from_db()
    return org, txn, other


def lines_of(entry):
    return {(line.account, line.side, line.amount) for line in entry.lines}


def updates_drafts(harness) -> bool:
    return provider_for(harness.key).can_update_drafts


def test_a_synced_draft_is_corrected_in_place_or_said_to_change_by_hand(
    harness, django_capture_on_commit_callbacks
):
    org, txn, other = synced(harness, django_capture_on_commit_callbacks)
    [before] = harness.held_entries()
    accountant = make_user(org, Role.ACCOUNTANT)

    correction = reassign_synced(
        organization=org, actor=accountant, transaction_id=txn.pk, account_id=other.pk
    )

    [after] = harness.held_entries()  # never a second entry
    assert after.id == before.id == txn.journal_entry_id
    txn.refresh_from_db()
    actions = list(
        AuditEvent.objects.filter(organization=org, action__startswith="transaction.correction")
        .order_by("id")
        .values_list("action", flat=True)
    )
    if updates_drafts(harness):
        assert correction.state == CorrectionState.UPDATED
        assert lines_of(after) == {
            (other.external_id, "debit", txn.amount),
            (harness.wallet_account, "credit", txn.amount),
        }
        assert after.status == before.status and after.date == before.date
        assert txn.account_id == other.pk and txn.status == "synced"
        assert {line["account"] for line in txn.journal_entry_lines} == {
            other.external_id,
            harness.wallet_account,
        }
        assert actions == ["transaction.correction_requested", "transaction.correction_updated"]
    else:
        assert correction.state == CorrectionState.BY_HAND
        assert lines_of(after) == lines_of(before)
        assert "cannot change an entry" in correction.reason
        assert txn.journal_entry_id in correction.reason and other.code in correction.reason
        assert txn.account.external_id == harness.expense_account  # what the books hold
        assert actions == ["transaction.correction_requested", "transaction.correction_by_hand"]
    requested = AuditEvent.objects.get(organization=org, action="transaction.correction_requested")
    assert requested.before["account"] != requested.after["account"] == other.pk
    assert requested.actor == accountant


def test_an_entry_the_books_have_posted_is_changed_by_hand_and_nothing_is_sent(
    harness, django_capture_on_commit_callbacks
):
    org, txn, other = synced(harness, django_capture_on_commit_callbacks)
    harness.post_entry(txn.journal_entry_id) if updates_drafts(harness) else None
    [before] = harness.held_entries()

    correction = reassign_synced(
        organization=org, actor=None, transaction_id=txn.pk, account_id=other.pk
    )

    assert correction.state == CorrectionState.BY_HAND
    assert other.code in correction.reason and txn.journal_entry_id in correction.reason
    [after] = harness.held_entries()
    assert lines_of(after) == lines_of(before)
    txn.refresh_from_db()
    assert txn.account.external_id == harness.expense_account


def test_the_sandbox_refuses_to_update_a_posted_entry_with_the_providers_error(
    harness, django_capture_on_commit_callbacks
):
    if not updates_drafts(harness):
        pytest.skip("these books take no updates (the ledger never sends one)")
    org, txn, other = synced(harness, django_capture_on_commit_callbacks)
    harness.post_entry(txn.journal_entry_id)
    books = connection_for(org)
    assert books is not None and books.source_account is not None
    txn.account = other
    draft = journal_entry_for(txn, source_account=books.source_account)
    with books.open_session() as session:
        assert isinstance(session, EditingSession)
        with pytest.raises(NotADraft) as refused:
            session.update_draft_entry(txn.journal_entry_id, draft)
    assert refused.value.message
    [after] = harness.held_entries()
    assert other.external_id not in {line.account for line in after.lines}


def test_an_update_whose_answer_was_lost_is_settled_by_reading_the_entry(
    harness, django_capture_on_commit_callbacks
):
    if not updates_drafts(harness):
        pytest.skip("these books take no updates")
    org, txn, other = synced(harness, django_capture_on_commit_callbacks)
    # The update is stored and its answer lost; a second update would meet a 500.
    harness.inject_on_update(harness.stored_then_lost)
    harness.inject_on_update("500")

    first = reassign_synced(
        organization=org, actor=None, transaction_id=txn.pk, account_id=other.pk
    )
    assert first.state == CorrectionState.UPDATING  # unknown: maybe updated

    again = reassign_synced(
        organization=org, actor=None, transaction_id=txn.pk, account_id=other.pk
    )
    assert again.pk == first.pk and again.state == CorrectionState.UPDATED
    assert len(harness.faults_left()) == 1  # the 500: no second update was sent
    [entry] = harness.held_entries()
    assert (other.external_id, "debit", txn.amount) in lines_of(entry)
    txn.refresh_from_db()
    assert txn.account_id == other.pk
    assert Correction.objects.filter(transaction=txn).count() == 1
    updated = AuditEvent.objects.get(organization=org, action="transaction.correction_updated")
    assert updated.after["confirmed_after_unknown_outcome"] is True
    assert AuditEvent.objects.filter(
        organization=org, action="transaction.correction_unknown"
    ).exists()


def test_an_update_that_never_reached_the_books_is_sent_again(
    harness, django_capture_on_commit_callbacks
):
    if not updates_drafts(harness):
        pytest.skip("these books take no updates")
    org, txn, other = synced(harness, django_capture_on_commit_callbacks, amount=Decimal("80.00"))
    harness.inject_on_update("500")  # refused before storing: the outcome is unknown to us

    first = reassign_synced(
        organization=org, actor=None, transaction_id=txn.pk, account_id=other.pk
    )
    assert first.state == CorrectionState.UPDATING
    again = reassign_synced(
        organization=org, actor=None, transaction_id=txn.pk, account_id=other.pk
    )
    assert again.pk == first.pk and again.state == CorrectionState.UPDATED
    [entry] = harness.held_entries()
    assert (other.external_id, "debit", Decimal("80.00")) in lines_of(entry)
    assert Transaction.objects.get(pk=txn.pk).account_id == other.pk
