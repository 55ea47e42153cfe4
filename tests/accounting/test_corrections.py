"""Corrections (issue 26): the service's refusals, the API's shapes, the transaction page, the
audit trail. What each provider's books do with a correction is the contract suite's
(tests/providers/test_corrections_contract.py)."""

import threading
from decimal import Decimal

import pytest
from django.db import connection
from django.http import Http404
from django.urls import reverse

from accounting.models import Correction, CorrectionState, SyncRunStatus, TransactionStatus
from accounting.services.corrections import reassign_synced
from accounting.services.push import push_lock
from accounting.services.runs import start_sync_run
from sifi.exceptions import Conflict
from sifi.models import AuditEvent, Role
from tests.accounting.sync_runs import drain, verified
from tests.factories import (
    api_client_for,
    make_account,
    make_transaction,
    make_user,
    set_source_account,
)
from tests.providers.harnesses import OdooHarness, WafeqHarness

pytestmark = pytest.mark.django_db

URL = "/api/v1/accounting/transactions/{}/reassign/"


def synced_on(org, account, **fields):
    """A transaction synced to Qoyod (no request is needed: Qoyod's corrections are by hand)."""
    return make_transaction(
        org,
        status=TransactionStatus.SYNCED,
        account=account,
        journal_entry_id="7001",
        journal_entry_status="Draft",
        journal_entry_lines=[
            {"account": account.external_id, "side": "debit", "amount": "125.50"},
            {"account": "1003", "side": "credit", "amount": "125.50"},
        ],
        **fields,
    )


@pytest.fixture
def travel_a(org_a):
    return make_account(org_a, code="5301", name_en="Travel Expenses", name_ar="مصاريف السفر")


def test_qoyod_says_what_to_change_by_hand_and_sends_nothing(
    org_a, source_a, marketing_a, travel_a, accountant_api
):
    txn = synced_on(org_a, marketing_a)
    response = accountant_api.post(URL.format(txn.pk), {"account": travel_a.pk}, format="json")

    assert response.status_code == 409, response.content
    body = response.json()
    assert body["code"] == "correction_by_hand"
    assert "Qoyod's API cannot change an entry" in body["detail"]
    assert "entry 7001" in body["detail"] and "5201" in body["detail"] and "5301" in body["detail"]
    assert body["correction"]["state"] == "by_hand"
    assert body["correction"]["by_hand"] == {
        "journal_entry_id": "7001",
        "entry_url": body["correction"]["by_hand"]["entry_url"],
        "side": "debit",
        "amount": "125.50",
        "currency": "SAR",
        "from_account": str(marketing_a),
        "to_account": str(travel_a),
    }
    txn.refresh_from_db()
    assert txn.account == marketing_a  # what the books hold until someone changes them
    assert list(
        AuditEvent.objects.filter(target_id=txn.pk, action__startswith="transaction.correction")
        .order_by("id")
        .values_list("action", flat=True)
    ) == ["transaction.correction_requested", "transaction.correction_by_hand"]


def test_a_transaction_that_is_not_synced_is_refused_with_409(
    org_a, source_a, marketing_a, travel_a, accountant_api
):
    txn = make_transaction(org_a, status=TransactionStatus.VERIFIED, account=marketing_a)
    response = accountant_api.post(URL.format(txn.pk), {"account": travel_a.pk}, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "transaction_not_synced"
    assert not Correction.objects.exists()


@pytest.mark.parametrize(
    ("account", "words"),
    [
        ("inactive", "inactive"),
        ("source", "Source Account"),
        ("missing", "not in your organization's chart"),
        ("other_org", "not in your organization's chart"),
        ("same", "already booked on"),
    ],
)
def test_an_account_that_cannot_take_it_is_a_400_on_the_account_field(
    org_a, org_b, source_a, marketing_a, accountant_api, account, words
):
    txn = synced_on(org_a, marketing_a)
    chosen = {
        "inactive": lambda: make_account(org_a, active=False).pk,
        "source": lambda: source_a.pk,
        "missing": lambda: 999_999,
        "other_org": lambda: make_account(org_b).pk,
        "same": lambda: marketing_a.pk,
    }[account]()
    response = accountant_api.post(URL.format(txn.pk), {"account": chosen}, format="json")
    assert response.status_code == 400
    assert words in " ".join(response.json()["account"])
    assert not Correction.objects.exists()


def test_bad_input_is_a_400_with_field_messages(org_a, source_a, marketing_a, accountant_api):
    txn = synced_on(org_a, marketing_a)
    for body in ({}, {"account": "abc"}, {"account": None}):
        response = accountant_api.post(URL.format(txn.pk), body, format="json")
        assert response.status_code == 400 and "account" in response.json()


def test_another_organizations_transaction_is_404(org_a, org_b, marketing_a, travel_a):
    source_b = make_account(org_b, code="110101", type="Asset")
    set_source_account(org_b, source_b)
    theirs = synced_on(org_b, make_account(org_b, code="5201"))
    ours = api_client_for(make_user(org_a, Role.ACCOUNTANT))
    response = ours.post(URL.format(theirs.pk), {"account": travel_a.pk}, format="json")
    assert response.status_code == 404
    assert not Correction.objects.exists()


def test_employees_may_not_correct(org_a, source_a, marketing_a, travel_a, users_a):
    txn = synced_on(org_a, marketing_a)
    employee = api_client_for(users_a[Role.EMPLOYEE])
    response = employee.post(URL.format(txn.pk), {"account": travel_a.pk}, format="json")
    assert response.status_code == 403


def test_the_service_refuses_another_organizations_transaction(org_a, org_b, marketing_a):
    theirs = synced_on(org_b, make_account(org_b))
    with pytest.raises(Http404):
        reassign_synced(
            organization=org_a, actor=None, transaction_id=theirs.pk, account_id=marketing_a.pk
        )


# --- the books update drafts: Odoo's sandbox ------------------------------------------------


@pytest.fixture
def odoo_synced(odoo_sandbox, django_capture_on_commit_callbacks):
    harness = OdooHarness(odoo_sandbox)
    org, expense = harness.connect()
    [txn] = verified(org, expense, 1, amount=Decimal("230.00"))
    with django_capture_on_commit_callbacks():
        run = start_sync_run(organization=org, actor=None)
    assert drain(run).status == SyncRunStatus.SUCCEEDED
    external_id, code, name = harness.other_expense_account
    other = make_account(org, provider="odoo", external_id=external_id, code=code, name_en=name)
    txn.refresh_from_db()
    return harness, org, txn, other


def test_the_api_corrects_a_draft_in_place(odoo_synced):
    harness, org, txn, other = odoo_synced
    client = api_client_for(make_user(org, Role.ACCOUNTANT))
    response = client.post(URL.format(txn.pk), {"account": other.pk}, format="json")

    assert response.status_code == 200, response.content
    correction = response.json()["correction"]
    assert correction["state"] == "updated" and correction["to_account"] == other.pk
    assert correction["journal_entry_id"] == txn.journal_entry_id
    assert correction["by_hand"] is None
    [entry] = harness.held_entries()
    assert {line.account for line in entry.lines} == {other.external_id, harness.wallet_account}
    detail = client.get(f"/api/v1/accounting/transactions/{txn.pk}/").json()
    assert detail["account"] == other.pk and detail["status"] == "synced"


def test_the_api_says_a_posted_entry_is_to_change_by_hand(odoo_synced):
    harness, org, txn, other = odoo_synced
    harness.post_entry(txn.journal_entry_id)
    client = api_client_for(make_user(org, Role.ACCOUNTANT))
    response = client.post(URL.format(txn.pk), {"account": other.pk}, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "correction_by_hand"
    assert "Odoo has posted this entry" in response.json()["detail"]


def test_an_unknown_outcome_is_a_503_and_the_same_request_settles_it(odoo_synced):
    harness, org, txn, other = odoo_synced
    harness.inject_on_update(harness.stored_then_lost)
    client = api_client_for(make_user(org, Role.ACCOUNTANT))
    first = client.post(URL.format(txn.pk), {"account": other.pk}, format="json")
    assert first.status_code == 503 and first.json()["code"] == "correction_outcome_unknown"
    again = client.post(URL.format(txn.pk), {"account": other.pk}, format="json")
    assert (
        again.status_code == 200
        and again.json()["correction"]["id"] == (first.json()["correction"]["id"])
    )


def test_a_request_for_another_account_after_a_lost_update_settles_it_first(odoo_synced):
    """The first update landed (its answer lost); the next request, for yet another
    account, confirms the first by reading the entry, then moves it on."""
    harness, org, txn, other = odoo_synced
    third = make_account(org, provider="odoo", external_id="1023", code="511005")
    harness.inject_on_update(harness.stored_then_lost)
    first = reassign_synced(
        organization=org, actor=None, transaction_id=txn.pk, account_id=other.pk
    )
    assert first.state == CorrectionState.UPDATING
    second = reassign_synced(
        organization=org, actor=None, transaction_id=txn.pk, account_id=third.pk
    )
    first.refresh_from_db()
    assert first.state == CorrectionState.UPDATED
    assert second.state == CorrectionState.UPDATED and second.from_account == other
    [entry] = harness.held_entries()
    assert "1023" in {line.account for line in entry.lines}


def test_the_books_deleted_the_entry_the_correction_is_refused(odoo_synced):
    harness, org, txn, other = odoo_synced
    harness.delete_entry(txn.journal_entry_id)
    correction = reassign_synced(
        organization=org, actor=None, transaction_id=txn.pk, account_id=other.pk
    )
    assert correction.state == CorrectionState.REFUSED
    assert "no longer in Odoo" in correction.reason
    txn.refresh_from_db()
    assert txn.account.external_id == harness.expense_account


def test_a_transaction_being_pushed_is_not_corrected_at_once(odoo_synced):
    _harness, org, txn, other = odoo_synced
    held, release = threading.Event(), threading.Event()

    def hold() -> None:
        with push_lock(txn.pk):
            held.set()
            release.wait(10)
        connection.close()

    worker = threading.Thread(target=hold)
    worker.start()
    held.wait(10)
    try:
        with pytest.raises(Conflict) as busy:
            reassign_synced(
                organization=org, actor=None, transaction_id=txn.pk, account_id=other.pk
            )
        assert busy.value.code == "transaction_busy"
    finally:
        release.set()
        worker.join()


def test_a_wafeq_refund_posted_as_a_manual_journal_is_changed_by_hand(
    wafeq_sandbox, django_capture_on_commit_callbacks
):
    harness = WafeqHarness(wafeq_sandbox)
    org, expense = harness.connect()
    [refund] = verified(org, expense, 1, type="card_refund", direction="credit")
    with django_capture_on_commit_callbacks():
        run = start_sync_run(organization=org, actor=None)
    assert drain(run).status == SyncRunStatus.SUCCEEDED
    external_id, code, name = harness.other_expense_account
    other = make_account(org, provider="wafeq", external_id=external_id, code=code, name_en=name)
    [before] = harness.held_entries()
    correction = reassign_synced(
        organization=org, actor=None, transaction_id=refund.pk, account_id=other.pk
    )
    assert correction.state == CorrectionState.BY_HAND
    assert "credit line" in correction.reason and "5102" in correction.reason
    [after] = harness.held_entries()
    assert after.lines == before.lines


# --- the transaction page -------------------------------------------------------------------


def test_the_page_offers_the_correction_beside_the_synced_entry_and_shows_it(
    org_a, source_a, marketing_a, travel_a, users_a
):
    txn = synced_on(org_a, marketing_a)
    page = api_client_for(users_a[Role.ACCOUNTANT], token=False)
    url = reverse("accounting-transaction", args=[txn.pk])
    html = page.get(url).content.decode()
    assert 'data-testid="correction"' in html and "Show what to change by hand" in html

    response = page.post(
        reverse("accounting-reassign"),
        {"transaction": txn.pk, "account": travel_a.pk, "next": url},
        follow=True,
    )
    html = response.content.decode()
    assert response.redirect_chain[-1][0] == url
    assert "cannot change an entry once it is created" in html  # the message
    assert 'data-testid="corrections"' in html and "To change by hand" in html
    assert "Correction requested for entry 7001 in Qoyod" in html  # the audit trail


def test_the_page_offers_no_correction_before_the_sync(org_a, source_a, marketing_a, users_a):
    txn = make_transaction(org_a, status=TransactionStatus.VERIFIED, account=marketing_a)
    page = api_client_for(users_a[Role.ACCOUNTANT], token=False)
    html = page.get(reverse("accounting-transaction", args=[txn.pk])).content.decode()
    assert 'data-testid="correction"' not in html


def test_the_page_reports_a_refusal_as_an_error(org_a, source_a, marketing_a, users_a):
    txn = synced_on(org_a, marketing_a)
    page = api_client_for(users_a[Role.ACCOUNTANT], token=False)
    url = reverse("accounting-transaction", args=[txn.pk])
    response = page.post(
        reverse("accounting-reassign"),
        {"transaction": txn.pk, "account": source_a.pk, "next": url},
        follow=True,
    )
    assert "Source Account" in response.content.decode()
    assert not Correction.objects.exists()


def test_a_correction_left_in_flight_before_anything_was_sent_is_replaced(
    org_a, source_a, marketing_a, travel_a
):
    """A worker died after recording a correction, before asking the books: the next one,
    to another account, closes it as replaced (one correction in flight per transaction)."""
    txn = synced_on(org_a, marketing_a)
    left = Correction.objects.create(
        organization=org_a,
        transaction=txn,
        from_account=marketing_a,
        to_account=make_account(org_a, code="5999"),
        journal_entry_id="7001",
    )
    correction = reassign_synced(
        organization=org_a, actor=None, transaction_id=txn.pk, account_id=travel_a.pk
    )
    left.refresh_from_db()
    assert left.state == CorrectionState.REFUSED and "Replaced by a correction" in left.reason
    assert correction.pk != left.pk and correction.state == CorrectionState.BY_HAND
    assert correction.to_account == travel_a
