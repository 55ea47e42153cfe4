"""What is true of syncing to Wafeq only (SPEC §3b; the promises every provider keeps are in
tests/providers/test_engine_contract.py): card spending as draft expenses (marked as draft
when Wafeq answers POSTED), refunds as manual journals only behind the switch, VAT as the
input tax rate, closed books in Wafeq's words, the idempotency key replayed and the lookup
by external_id after the key's hour, the request limit — against the sandbox over HTTP."""

from decimal import Decimal

import httpx
import pytest

from accounting.models import SyncRunStatus, Transaction
from accounting.services.runs import retry_failed, start_sync_run
from integrations.models import Integration
from integrations.providers.wafeq.sandbox.seed import DEMO_KEY
from sifi.models import AuditEvent
from tests.accounting.sync_runs import drain, verified, with_receipt
from tests.providers.harnesses import WafeqHarness

pytestmark = pytest.mark.django_db


@pytest.fixture
def wafeq(wafeq_sandbox):
    return WafeqHarness(wafeq_sandbox)


def sync(org, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks():
        run = start_sync_run(organization=org, actor=None)
    return drain(run)


def switch_off_credits(org):
    integration = Integration.objects.get(organization=org)
    integration.options = {**integration.options, "post_credits_as_manual_journals": False}
    integration.save()


def test_expenses_wafeq_answers_posted_are_marked_as_draft_three_requests_each(
    wafeq, django_capture_on_commit_callbacks
):
    wafeq.sandbox.configure(posted_every=1)  # Wafeq answers every new expense POSTED
    org, expense = wafeq.connect()
    txns = [with_receipt(t) for t in verified(org, expense, 4)]
    assert sync(org, django_capture_on_commit_callbacks).status == SyncRunStatus.SUCCEEDED
    held = wafeq.held_by_reference()
    assert all(held[t.reference][0].status == "DRAFT" for t in txns)
    for txn in Transaction.objects.filter(organization=org):
        assert txn.journal_entry_status == "DRAFT"
    drafted = AuditEvent.objects.filter(action="transaction.journal_entry_drafted")
    assert drafted.count() == 4
    # The floor: an upload, a create and a mark-as-draft per expense, nothing else.
    assert wafeq.sandbox.stats()["served"] == 4 * 3


def test_a_refund_fails_with_the_reason_while_the_switch_is_off_and_retry_pushes_it(
    wafeq, django_capture_on_commit_callbacks
):
    org, expense = wafeq.connect()
    switch_off_credits(org)
    [refund] = verified(org, expense, 1, type="card_refund", direction="credit")
    [spend] = verified(org, expense, 1)
    run = sync(org, django_capture_on_commit_callbacks)
    assert run.status == SyncRunStatus.PARTIAL
    refund.refresh_from_db()
    assert refund.status == "failed" and refund.error_code == "wafeq_validation"
    assert "Post refunds and money received as manual journals" in refund.status_reason
    assert [entry.reference for entry in wafeq.held_entries()] == [spend.reference]

    integration = Integration.objects.get(organization=org)
    integration.options = {**integration.options, "post_credits_as_manual_journals": True}
    integration.save()
    with django_capture_on_commit_callbacks():
        retry = retry_failed(organization=org, actor=None, run_id=run.pk)
    assert drain(retry).status == SyncRunStatus.SUCCEEDED
    refund.refresh_from_db()
    [journal] = wafeq.held_by_reference()[refund.reference]
    assert refund.journal_entry_id == journal.id and journal.id.startswith("jou_")
    assert refund.journal_entry_status == "POSTED"  # Wafeq's API has no draft journal
    assert journal.totals() == (refund.amount, refund.amount)


def test_vat_goes_as_the_input_tax_rate_and_wafeq_splits_it_out(
    wafeq, django_capture_on_commit_callbacks
):
    org, expense = wafeq.connect(vat=True)
    [txn] = verified(org, expense, 1, amount=Decimal("230.00"), vat_amount=Decimal("30.00"))
    assert sync(org, django_capture_on_commit_callbacks).status == SyncRunStatus.SUCCEEDED
    [held] = wafeq.sandbox.entries()["expenses"]
    assert (held["amount"], held["tax_rate"], held["tax_amount"]) == (
        "230.00",
        wafeq.input_vat_account,
        "30.00",
    )
    assert held["tax_amount_type"] == "TAX_INCLUSIVE"
    txn.refresh_from_db()
    assert {line["account"] for line in txn.journal_entry_lines} >= {wafeq.input_vat_account}


def test_closed_books_fail_with_the_day_wafeq_names(wafeq, django_capture_on_commit_callbacks):
    org, expense = wafeq.connect()
    [txn] = verified(org, expense, 1)
    wafeq.sandbox.configure(lock_date=txn.transaction_date.isoformat())
    assert sync(org, django_capture_on_commit_callbacks).status == SyncRunStatus.FAILED
    txn.refresh_from_db()
    assert txn.status == "failed" and txn.error_code == "wafeq_closed"
    assert txn.status_reason == f"The books are closed up to {txn.transaction_date}."
    assert wafeq.held_entries() == []


def test_a_lost_answer_is_replayed_by_wafeq_for_the_same_key_not_created_twice(
    wafeq, django_capture_on_commit_callbacks
):
    org, expense = wafeq.connect()
    txns = verified(org, expense, 3)
    wafeq.inject("502_after_commit", on="create", count=2)
    assert sync(org, django_capture_on_commit_callbacks).status == SyncRunStatus.SUCCEEDED
    held = wafeq.held_by_reference()
    assert sorted(held) == sorted(t.reference for t in txns)
    assert all(len(found) == 1 for found in held.values())
    assert wafeq.sandbox.stats()["replayed"] == 2


def test_after_the_keys_hour_an_unknown_outcome_is_found_by_external_id(
    wafeq, django_capture_on_commit_callbacks
):
    """The create reached Wafeq but every answer was lost; when the transaction is tried
    again Wafeq has forgotten the key: the lookup by external_id finds the entry."""
    wafeq.sandbox.configure(idempotency_window_s=0)
    org, expense = wafeq.connect()
    [txn] = verified(org, expense, 1)
    # Lost on the first send; its resends (same key, forgotten) are refused as a server error.
    wafeq.inject("502_after_commit", on="create", count=1)
    wafeq.inject("500", on="create", count=3)
    assert sync(org, django_capture_on_commit_callbacks).status == SyncRunStatus.SUCCEEDED
    [entry] = wafeq.held_entries()
    txn.refresh_from_db()
    assert txn.journal_entry_id == entry.id
    adopted = AuditEvent.objects.get(action="transaction.journal_entry_created", target_id=txn.pk)
    assert adopted.after["adopted"] is True


def test_wafeqs_429_is_waited_out_as_told_and_nothing_is_sent_twice(
    wafeq, django_capture_on_commit_callbacks
):
    org, expense = wafeq.connect()
    txns = verified(org, expense, 6)
    wafeq.inject("429", on="create", count=2)  # Retry-After: 1
    assert sync(org, django_capture_on_commit_callbacks).status == SyncRunStatus.SUCCEEDED
    held = wafeq.held_by_reference()
    assert sorted(held) == sorted(t.reference for t in txns)
    assert all(len(found) == 1 for found in held.values())
    assert wafeq.faults_left() == []


def test_the_sandbox_refuses_past_its_limit_with_retry_after(wafeq):
    wafeq.sandbox.configure(rate_limit_per_minute=2)
    with wafeq.session() as session:
        session.read_chart()
        session.read_chart()
    response = httpx.get(
        f"{wafeq.sandbox.base_url}/accounts/", headers={"Authorization": f"Api-Key {DEMO_KEY}"}
    )
    assert response.status_code == 429 and int(response.headers["Retry-After"]) >= 1


def test_the_limit_is_sixty_a_minute_per_key_by_default(settings):
    from integrations.providers.wafeq.provider import WafeqProvider

    settings.WAFEQ_RATE_LIMIT_PER_MINUTE = 60
    budget = WafeqProvider().request_budget({"api_key": DEMO_KEY})
    assert (budget.limit, round(budget.period_seconds)) == (60, 60)


def test_reconciliation_compares_expenses_and_manual_journals_found_by_external_id(
    wafeq, django_capture_on_commit_callbacks
):
    from accounting.models import ReconciliationStatus
    from accounting.services.reconciliation import run_reconciliation
    from accounting.services.runs import start_reconciliation

    org, expense = wafeq.connect(vat=True)
    [spend] = verified(org, expense, 1, amount=Decimal("115.00"), vat_amount=Decimal("15.00"))
    [refund] = verified(org, expense, 1, type="card_refund", direction="credit")
    [changed] = verified(org, expense, 1)
    assert sync(org, django_capture_on_commit_callbacks).status == SyncRunStatus.SUCCEEDED
    held = wafeq.held_by_reference()
    wafeq.change_amount(held[changed.reference][0].id, Decimal("99.00"))
    dates = sorted(t.transaction_date for t in (spend, refund, changed))
    with django_capture_on_commit_callbacks():
        reconciliation = start_reconciliation(
            organization=org, actor=None, date_from=dates[0], date_to=dates[-1]
        )
    done = run_reconciliation(reconciliation_id=reconciliation.pk)
    assert done is not None and done.status == ReconciliationStatus.SUCCEEDED, done.error
    assert (done.checked, done.matched, done.missing, done.mismatched) == (3, 2, 0, 1)
