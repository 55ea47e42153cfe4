"""Verify = assign one account; unverify; bulk assign by ids or by filter (SPEC §4)."""

import threading
from decimal import Decimal

import pytest
from django.db import close_old_connections, connection

from accounting.models import Budget, Transaction, TransactionStatus
from accounting.services.verification import bulk_assign
from sifi.models import AuditEvent, Role
from tests.factories import make_account, make_org, make_transaction, make_user


def assign(api, txn, account):
    return api.post(
        f"/api/v1/accounting/transactions/{txn.pk}/assign/", {"account": account.pk}, format="json"
    )


@pytest.mark.parametrize("role", [Role.ADMIN, Role.FINANCE_MANAGER, Role.ACCOUNTANT])
def test_finance_roles_verify_a_transaction_by_assigning_an_account(
    client_for, users_a, org_a, source_a, marketing_a, role
):
    txn = make_transaction(org_a)
    response = assign(client_for(users_a[role]), txn, marketing_a)
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["status"] == "verified" and body["account"] == marketing_a.pk
    txn.refresh_from_db()
    assert txn.verified_by == users_a[role]
    audit = AuditEvent.objects.get(target_id=txn.pk, action="transaction.assigned")
    assert audit.actor == users_a[role]
    assert audit.before["status"] == "unverified" and audit.after["account"] == marketing_a.pk


def test_employee_cannot_verify(client_for, users_a, org_a, source_a, marketing_a):
    txn = make_transaction(org_a)
    assert assign(client_for(users_a[Role.EMPLOYEE]), txn, marketing_a).status_code == 403
    txn.refresh_from_db()
    assert txn.status == "unverified"


def test_another_organizations_transaction_is_not_found(client_for, admin_b, org_a, source_a):
    txn = make_transaction(org_a)
    api = client_for(admin_b)
    assert api.get(f"/api/v1/accounting/transactions/{txn.pk}/").status_code == 404
    account_b = make_account(admin_b.organization)
    assert assign(api, txn, account_b).status_code == 404
    assert api.post(f"/api/v1/accounting/transactions/{txn.pk}/unverify/").status_code == 404


def test_the_account_must_be_in_this_organizations_chart(accountant_api, org_a, org_b, source_a):
    txn = make_transaction(org_a)
    response = assign(accountant_api, txn, make_account(org_b))
    assert response.status_code == 400
    assert "chart of accounts" in response.json()["account"][0]


def test_an_unknown_account_is_a_field_error(accountant_api, org_a, source_a):
    txn = make_transaction(org_a)
    response = accountant_api.post(
        f"/api/v1/accounting/transactions/{txn.pk}/assign/", {"account": 987654}, format="json"
    )
    assert response.status_code == 400 and "account" in response.json()


def test_a_missing_account_field_is_a_field_error(accountant_api, org_a, source_a):
    txn = make_transaction(org_a)
    response = accountant_api.post(f"/api/v1/accounting/transactions/{txn.pk}/assign/", {})
    assert response.status_code == 400 and "account" in response.json()


def test_an_inactive_account_cannot_be_assigned(accountant_api, org_a, source_a):
    txn = make_transaction(org_a)
    response = assign(accountant_api, txn, make_account(org_a, active=False))
    assert response.status_code == 400
    assert "inactive" in response.json()["account"][0]


def test_the_source_account_cannot_be_assigned(accountant_api, org_a, source_a):
    txn = make_transaction(org_a)
    response = assign(accountant_api, txn, source_a)
    assert response.status_code == 400
    assert "Source Account" in response.json()["account"][0]


def test_verification_needs_a_configured_source_account(accountant_api, org_a, marketing_a):
    txn = make_transaction(org_a)
    response = assign(accountant_api, txn, marketing_a)
    assert response.status_code == 409
    assert response.json()["code"] == "source_account_missing"
    assert "Source Account" in response.json()["detail"]


@pytest.mark.parametrize("status", [TransactionStatus.SYNCED, TransactionStatus.SYNCING])
def test_synced_or_in_run_transactions_cannot_change(
    accountant_api, org_a, source_a, marketing_a, status
):
    from accounting.models import SyncRun

    run = SyncRun.objects.create(organization=org_a)
    txn = make_transaction(
        org_a, status=status, account=marketing_a, journal_entry_id="77", sync_run=run
    )
    assert assign(accountant_api, txn, make_account(org_a)).status_code == 409
    unverify = accountant_api.post(f"/api/v1/accounting/transactions/{txn.pk}/unverify/")
    assert unverify.status_code == 409
    txn.refresh_from_db()
    assert txn.status == status and txn.account == marketing_a


def test_a_verified_transaction_can_be_reassigned_and_unverified(
    accountant_api, org_a, source_a, marketing_a
):
    txn = make_transaction(org_a)
    travel = make_account(org_a, name_en="Travel Expenses")
    assign(accountant_api, txn, marketing_a)
    assert assign(accountant_api, txn, travel).json()["account"] == travel.pk
    response = accountant_api.post(f"/api/v1/accounting/transactions/{txn.pk}/unverify/")
    assert response.status_code == 200
    assert response.json()["status"] == "unverified" and response.json()["account"] is None
    actions = list(
        AuditEvent.objects.filter(target_id=txn.pk).order_by("id").values_list("action", flat=True)
    )
    assert actions == ["transaction.assigned", "transaction.assigned", "transaction.unverified"]


def test_a_failed_transaction_can_be_fixed_by_reassigning(
    accountant_api, org_a, source_a, marketing_a
):
    txn = make_transaction(
        org_a, status=TransactionStatus.FAILED, account=make_account(org_a), status_reason="x"
    )
    body = assign(accountant_api, txn, marketing_a).json()
    assert body["status"] == "verified" and body["status_reason"] == ""


def test_the_detail_shows_documents_and_the_audit_trail(
    accountant_api, org_a, source_a, marketing_a
):
    txn = make_transaction(org_a)
    assign(accountant_api, txn, marketing_a)
    body = accountant_api.get(f"/api/v1/accounting/transactions/{txn.pk}/").json()
    assert body["documents"] == []
    assert body["audit"][0]["action"] == "transaction.assigned"
    assert body["audit"][0]["after"]["account_label"] == str(marketing_a)


# --- bulk assign -----------------------------------------------------------------------------


def bulk(api, **body):
    return api.post("/api/v1/accounting/transactions/bulk-assign/", body, format="json")


def test_bulk_assign_by_ids_reports_updated_and_skipped(
    accountant_api, org_a, source_a, marketing_a
):
    from accounting.models import SyncRun

    fresh = [make_transaction(org_a) for _ in range(3)]
    synced = make_transaction(
        org_a, status=TransactionStatus.SYNCED, account=marketing_a, journal_entry_id="5"
    )
    run = SyncRun.objects.create(organization=org_a)
    in_run = make_transaction(
        org_a, status=TransactionStatus.SYNCING, account=marketing_a, sync_run=run
    )
    ids = [t.pk for t in [*fresh, synced, in_run]]
    response = bulk(accountant_api, account=marketing_a.pk, ids=ids)
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["updated"] == 3 and body["skipped_count"] == 2
    reasons = {row["id"]: row["reason"] for row in body["skipped"]}
    assert reasons == {synced.pk: "already synced to Qoyod", in_run.pk: "in a sync run"}
    assert AuditEvent.objects.filter(action="transaction.assigned").count() == 3


def test_bulk_assign_by_filter_takes_everything_matching(
    accountant_api, org_a, source_a, marketing_a
):
    campaign = Budget.objects.create(organization=org_a, name="Marketing Campaign 2025")
    other = Budget.objects.create(organization=org_a, name="Office")
    in_budget = [make_transaction(org_a, budget=campaign) for _ in range(4)]
    outside = make_transaction(org_a, budget=other)
    response = bulk(
        accountant_api, account=marketing_a.pk, filter={"budget": "Marketing Campaign 2025"}
    )
    assert response.json()["updated"] == 4
    assert set(Transaction.objects.filter(account=marketing_a).values_list("pk", flat=True)) == {
        t.pk for t in in_budget
    }
    outside.refresh_from_db()
    assert outside.status == "unverified"
    audit = AuditEvent.objects.filter(action="transaction.assigned").first()
    assert audit.before == {"status": "unverified", "account": None, "account_label": None}
    assert audit.actor.role == Role.ACCOUNTANT


def test_bulk_assign_never_touches_another_organization(client_for, admin_b, org_a, source_a):
    from tests.factories import set_source_account

    org_b = admin_b.organization
    set_source_account(org_b)
    account_b = make_account(org_b)
    mine = make_transaction(org_a)
    response = bulk(client_for(admin_b), account=account_b.pk, ids=[mine.pk])
    assert response.status_code == 404
    response = bulk(client_for(admin_b), account=account_b.pk, filter={"tab": "expenses"})
    assert response.json()["updated"] == 0
    mine.refresh_from_db()
    assert mine.status == "unverified"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"filter": {"budgett": "Marketing"}}, "filter"),
        ({"filter": {}}, "filter"),
        ({"filter": {"date_from": "31/12/2025"}}, "filter"),
        ({"filter": {"amount_min": "10", "amount_max": "5"}}, "filter"),
        ({"filter": {"tab": "everything"}}, "filter"),
        ({"ids": []}, "ids"),
        ({"ids": ["x"]}, "ids"),
        ({"ids": list(range(1, 10_002))}, "ids"),
        ({}, "non_field_errors"),
        ({"ids": [1], "filter": {"tab": "expenses"}}, "non_field_errors"),
    ],
)
def test_bad_bulk_input_is_a_clear_400_and_changes_nothing(
    accountant_api, org_a, source_a, marketing_a, body, field
):
    txn = make_transaction(org_a)
    response = bulk(accountant_api, account=marketing_a.pk, **body)
    assert response.status_code == 400
    assert field in response.json()
    txn.refresh_from_db()
    assert txn.status == "unverified"


def test_bulk_assign_with_an_inactive_account_changes_nothing(accountant_api, org_a, source_a):
    txns = [make_transaction(org_a) for _ in range(2)]
    response = bulk(
        accountant_api, account=make_account(org_a, active=False).pk, ids=[t.pk for t in txns]
    )
    assert response.status_code == 400 and "account" in response.json()
    assert not Transaction.objects.filter(status="verified").exists()


def test_bulk_assign_is_all_or_nothing_when_one_id_is_unknown(
    accountant_api, org_a, source_a, marketing_a
):
    txn = make_transaction(org_a)
    response = bulk(accountant_api, account=marketing_a.pk, ids=[txn.pk, 99_999_999])
    assert response.status_code == 404
    assert "99999999" in response.json()["detail"]
    txn.refresh_from_db()
    assert txn.status == "unverified"


def test_bulk_assign_reassigns_verified_and_failed_rows_with_their_before_state(
    accountant_api, org_a, source_a, marketing_a
):
    travel = make_account(org_a, code="5301", name_en="Travel Expenses")
    fresh = make_transaction(org_a)
    verified = make_transaction(org_a, status=TransactionStatus.VERIFIED, account=travel)
    failed = make_transaction(org_a, status=TransactionStatus.FAILED, account=travel)
    response = bulk(accountant_api, account=marketing_a.pk, filter={"search": "Merchant"})
    assert response.json()["updated"] == 3
    for txn in (fresh, verified, failed):
        txn.refresh_from_db()
        assert txn.status == "verified" and txn.account == marketing_a
    before = {
        event.target_id: event.before
        for event in AuditEvent.objects.filter(action="transaction.assigned")
    }
    assert before == {
        fresh.pk: {"status": "unverified", "account": None, "account_label": None},
        verified.pk: {"status": "verified", "account": travel.pk, "account_label": str(travel)},
        failed.pk: {"status": "failed", "account": travel.pk, "account_label": str(travel)},
    }


def test_bulk_assign_counts_every_skipped_row_and_shows_the_first_by_id(
    accountant_api, org_a, source_a, marketing_a, monkeypatch
):
    from accounting.models import SyncRun
    from accounting.services import verification

    monkeypatch.setattr(verification, "MAX_REPORTED_SKIPS", 5)
    run = SyncRun.objects.create(organization=org_a)
    in_run = [
        make_transaction(org_a, status=TransactionStatus.SYNCING, account=marketing_a, sync_run=run)
        for _ in range(2)
    ]
    synced = [
        make_transaction(
            org_a, status=TransactionStatus.SYNCED, account=marketing_a, journal_entry_id=str(n)
        )
        for n in range(6)
    ]
    make_transaction(org_a)
    response = bulk(accountant_api, account=marketing_a.pk, filter={"search": "Merchant"})
    body = response.json()
    assert body["updated"] == 1 and body["skipped_count"] == 8
    first_five = sorted(t.pk for t in [*in_run, *synced])[:5]
    assert [row["id"] for row in body["skipped"]] == first_five


@pytest.mark.parametrize(
    "statuses",
    [
        [],
        ["verified"],
        ["unverified", "failed"],
        ["unverified", "verified", "failed"],
        ["syncing", "synced"],
        list(TransactionStatus.values),
    ],
)
def test_status_in_matches_exactly_the_statuses_given(org_a, marketing_a, statuses):
    from accounting.models import SyncRun, status_in

    run = SyncRun.objects.create(organization=org_a)
    for status in TransactionStatus.values:
        make_transaction(
            org_a,
            status=status,
            account=None if status == "unverified" else marketing_a,
            journal_entry_id="1",
            sync_run=run,
        )
    found = Transaction.objects.filter(status_in(statuses)).values_list("status", flat=True)
    assert sorted(found) == sorted(statuses)


def test_a_deleted_user_leaves_the_audit_trail_with_their_name(
    client_for, users_a, org_a, source_a, marketing_a
):
    accountant = users_a[Role.ACCOUNTANT]
    txn = make_transaction(org_a)
    assign(client_for(accountant), txn, marketing_a)
    accountant.delete()  # audit rows and verified_by name users without database keys
    txn.refresh_from_db()
    assert txn.status == "verified" and txn.verified_by is None
    event = AuditEvent.objects.get(target_id=txn.pk)
    assert event.actor is None and event.actor_label == str(accountant)


@pytest.mark.django_db(transaction=True)
def test_concurrent_bulk_assignments_on_overlapping_filters_lose_no_update():
    """Two accountants assign overlapping sets at the same instant: every row ends with one
    of the two accounts, and its audit trail chains (each 'before' is the previous 'after')."""
    from tests.factories import set_source_account

    org = make_org()
    set_source_account(org)
    alice, bob = make_user(org, Role.ACCOUNTANT), make_user(org, Role.ACCOUNTANT)
    campaign = Budget.objects.create(organization=org, name="Marketing Campaign 2025")
    marketing, travel = make_account(org), make_account(org)
    for index in range(300):
        make_transaction(org, budget=campaign if index % 2 else None, amount=Decimal("10.00"))
    barrier = threading.Barrier(2)
    results = {}

    def run(name, actor, account, matching_kwargs):
        try:
            barrier.wait()
            matching = Transaction.objects.filter(organization=org, **matching_kwargs)
            results[name] = bulk_assign(
                organization=org, actor=actor, account_id=account.pk, matching=matching
            ).updated
        finally:
            connection.close()

    threads = [
        threading.Thread(target=run, args=("alice", alice, marketing, {"budget": campaign})),
        threading.Thread(target=run, args=("bob", bob, travel, {})),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    close_old_connections()
    assert results == {"alice": 150, "bob": 300}
    assert Transaction.objects.filter(organization=org, status="verified").count() == 300
    for txn in Transaction.objects.filter(organization=org, budget=campaign):
        trail = list(
            AuditEvent.objects.filter(target_id=txn.pk, target_type="transaction").order_by("id")
        )
        assert len(trail) == 2
        assert trail[1].before["account"] == trail[0].after["account"]
        assert txn.account_id == trail[1].after["account"]


def test_an_account_removed_upstream_sends_its_verified_transactions_back(
    org_a, source_a, marketing_a
):
    from accounting.services.verification import unverify_on_inactive_accounts

    txn = make_transaction(org_a, status=TransactionStatus.VERIFIED, account=marketing_a)
    synced = make_transaction(
        org_a, status=TransactionStatus.SYNCED, account=marketing_a, journal_entry_id="3"
    )
    count = unverify_on_inactive_accounts(
        organization=org_a, account_ids=[marketing_a.pk], reason="was removed from Qoyod."
    )
    assert count == 1
    txn.refresh_from_db()
    synced.refresh_from_db()
    assert txn.status == "unverified" and txn.account is None
    assert "Marketing Expenses" in txn.status_reason and "removed" in txn.status_reason
    assert synced.status == "synced" and synced.account == marketing_a
