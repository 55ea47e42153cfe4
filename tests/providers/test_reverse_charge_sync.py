"""Reverse charge through each provider's sandbox (issue 27): a foreign service's entry holds
the expense, output VAT and input VAT at 15 % on lines of their own and the wallet, balanced,
in every book that takes lines on accounts; books that cannot take it (Wafeq's expense is one
account paid through one other) fail the transaction with the reason, sending nothing."""

from decimal import Decimal

import pytest

from accounting.models import CorrectionState, SyncRunStatus, Transaction, TransactionStatus
from accounting.providers import provider_for
from accounting.services.corrections import reassign_synced
from accounting.services.reverse_charge import set_merchant_reverse_charge
from accounting.services.runs import start_sync_run
from integrations.models import Integration
from integrations.providers.zoho_books.sandbox import seed as zoho_seed
from tests.accounting.sync_runs import drain, verified
from tests.factories import make_account

pytestmark = pytest.mark.django_db

# Each sandbox's Output VAT account (a liability of its demo chart): external id, code.
OUTPUT_VAT = {
    "qoyod": ("1018", "2102"),
    "odoo": ("1012", "211002"),
    "zoho_books": (zoho_seed.account_id(13), "2102"),
}


def connect_with_output_vat(harness):
    """An organization registered for VAT connected to the sandbox, its Output VAT account
    chosen (books that take reverse-charge lines), Amazon Web Services ticked "reverse
    charge"."""
    org, expense = harness.connect(vat=True)
    output = OUTPUT_VAT.get(harness.key)
    if output is not None:
        external_id, code = output
        account = make_account(
            org, provider=harness.key, external_id=external_id, code=code, type="Liability"
        )
        Integration.objects.filter(organization=org).update(output_vat_account=account)
    set_merchant_reverse_charge(
        organization=org, actor=None, merchant="Amazon Web Services", reverse_charge=True
    )
    return org, expense


def test_a_foreign_service_books_output_and_input_vat_on_lines_of_their_own(
    harness, django_capture_on_commit_callbacks
):
    org, expense = connect_with_output_vat(harness)
    output = OUTPUT_VAT.get(harness.key)
    [foreign] = verified(
        org,
        expense,
        1,
        merchant="Amazon Web Services",
        amount=Decimal("200.00"),
        vat_amount=Decimal("26.09"),
        original_amount=Decimal("53.33"),
        original_currency="USD",
    )
    [local] = verified(
        org, expense, 1, merchant="Jarir", amount=Decimal("115.00"), vat_amount=Decimal("15.00")
    )
    with django_capture_on_commit_callbacks():
        run = start_sync_run(organization=org, actor=None)
    drain(run)
    held = harness.held_by_reference()
    foreign.refresh_from_db()
    if output is None:  # books that cannot take reverse-charge lines
        assert foreign.status == TransactionStatus.FAILED
        assert foreign.error_code == "reverse_charge_validation"
        assert harness.name in foreign.status_reason
        assert foreign.reference not in held
        assert Transaction.objects.get(pk=local.pk).status == TransactionStatus.SYNCED
        return
    assert run.status == SyncRunStatus.SUCCEEDED
    [entry] = held[foreign.reference]
    assert {(line.account, line.side, line.amount) for line in entry.lines} == {
        (harness.expense_account, "debit", Decimal("200.00")),
        (harness.input_vat_account, "debit", Decimal("30.00")),
        (output[0], "credit", Decimal("30.00")),
        (harness.wallet_account, "credit", Decimal("200.00")),
    }
    assert entry.totals() == (Decimal("230.00"), Decimal("230.00"))
    assert "reverse charge" in entry.description
    assert foreign.reverse_charge_vat == Decimal("30.00")
    assert foreign.vat_reclaimed is None or foreign.vat_reclaimed == Decimal("0.00")
    [plain] = held[local.reference]
    assert "reverse charge" not in plain.description
    local.refresh_from_db()
    assert (local.vat_reclaimed, local.reverse_charge_vat) == (Decimal("15.00"), None)


def test_a_corrected_reverse_charge_entry_keeps_its_vat_lines(
    harness, django_capture_on_commit_callbacks
):
    """A correction rebuilds the entry as a push does: a reverse-charged foreign service moved
    to another account keeps its output and input VAT lines (never falls back to one line)."""
    output = OUTPUT_VAT.get(harness.key)
    if output is None or not provider_for(harness.key).can_update_drafts:
        pytest.skip("books that cannot take reverse charge or update a draft")
    org, expense = connect_with_output_vat(harness)
    external_id, _code = output
    [foreign] = verified(
        org,
        expense,
        1,
        merchant="Amazon Web Services",
        amount=Decimal("200.00"),
        original_amount=Decimal("53.33"),
        original_currency="USD",
    )
    with django_capture_on_commit_callbacks():
        run = start_sync_run(organization=org, actor=None)
    assert drain(run).status == SyncRunStatus.SUCCEEDED
    other_id, other_code, other_name = harness.other_expense_account
    other = make_account(
        org, provider=harness.key, external_id=other_id, code=other_code, name_en=other_name
    )

    correction = reassign_synced(
        organization=org, actor=None, transaction_id=foreign.pk, account_id=other.pk
    )

    assert correction.state == CorrectionState.UPDATED
    [entry] = harness.held_by_reference()[foreign.reference]
    assert {(line.account, line.side, line.amount) for line in entry.lines} == {
        (other_id, "debit", Decimal("200.00")),
        (harness.input_vat_account, "debit", Decimal("30.00")),
        (external_id, "credit", Decimal("30.00")),
        (harness.wallet_account, "credit", Decimal("200.00")),
    }
