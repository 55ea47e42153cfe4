"""The Accounting menu's list: tabs, filters, newest first, paginated, tab counts."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from accounting.models import Budget, Employee, TransactionStatus
from sifi.models import Role
from tests.factories import make_transaction

LIST = "/api/v1/accounting/transactions/"


def references(response):
    assert response.status_code == 200, response.json()
    return [row["reference"] for row in response.json()["results"]]


@pytest.fixture
def ledger(org_a, marketing_a):
    """One transaction of every type, plus a verified, a synced and a failed one."""
    now = timezone.now()
    made = {}
    for minutes, kind in enumerate(
        [
            "card_expense",
            "card_refund",
            "transfer_out",
            "transfer_in",
            "reimbursement",
            "cash_out",
            "cash_in",
        ]
    ):
        made[kind] = make_transaction(
            org_a,
            reference=kind.upper(),
            type=kind,
            occurred_at=now - datetime.timedelta(minutes=minutes),
        )
    made["verified"] = make_transaction(
        org_a, reference="VERIFIED", status=TransactionStatus.VERIFIED, account=marketing_a
    )
    made["synced"] = make_transaction(
        org_a,
        reference="SYNCED",
        status=TransactionStatus.SYNCED,
        account=marketing_a,
        journal_entry_id="1",
    )
    made["failed"] = make_transaction(
        org_a,
        reference="FAILED",
        status=TransactionStatus.FAILED,
        account=marketing_a,
        status_reason="Qoyod refused it: account is locked.",
    )
    return made


@pytest.mark.parametrize(
    ("tab", "expected"),
    [
        ("expenses", ["CARD_EXPENSE", "CARD_REFUND"]),
        ("transfers", ["TRANSFER_OUT", "TRANSFER_IN", "REIMBURSEMENT"]),
        ("others", ["CASH_OUT", "CASH_IN"]),
        ("verified", ["VERIFIED"]),
        ("synced", ["SYNCED"]),
        ("failed", ["FAILED"]),
    ],
)
def test_each_tab_shows_its_transactions_newest_first(accountant_api, ledger, tab, expected):
    assert references(accountant_api.get(LIST, {"tab": tab})) == expected


def test_the_failed_tab_shows_qoyods_message(accountant_api, ledger):
    row = accountant_api.get(LIST, {"tab": "failed"}).json()["results"][0]
    assert row["error"] == "Qoyod refused it: account is locked."


def test_tab_counts_follow_the_filters(accountant_api, ledger, org_a):
    counts = accountant_api.get(LIST + "counts/").json()
    assert counts == {
        "expenses": 2,
        "transfers": 3,
        "others": 2,
        "verified": 1,
        "synced": 1,
        "failed": 1,
        "cap": 5_000,
        "capped": [],
    }
    counts = accountant_api.get(LIST + "counts/", {"type": "cash_in"}).json()
    assert counts["others"] == 1 and counts["expenses"] == 0


def test_tab_counts_are_exact_up_to_the_cap_and_say_when_there_are_more(
    accountant_api, ledger, org_a, monkeypatch, client_for, users_a
):
    monkeypatch.setattr("accounting.apis.transactions.COUNT_CAP", 2)
    monkeypatch.setattr("accounting.views.transactions.COUNT_CAP", 2)
    counts = accountant_api.get(LIST + "counts/").json()
    assert counts["transfers"] == 2 and counts["expenses"] == 2 and counts["verified"] == 1
    assert counts["cap"] == 2 and counts["capped"] == ["transfers"]
    exact = accountant_api.get(LIST + "counts/", {"exact": "true"}).json()
    assert exact["transfers"] == 3 and exact["cap"] is None and exact["capped"] == []

    page = client_for(users_a[Role.ACCOUNTANT], token=False).get("/accounting/?tab=transfers")
    assert page.status_code == 200
    assert 'Transfers <span class="badge">2+</span>' in page.content.decode()


def test_filters_by_budget_name_or_id_employee_type_amount_text_and_date(accountant_api, org_a):
    campaign = Budget.objects.create(organization=org_a, name="Marketing Campaign 2025")
    sara = Employee.objects.create(organization=org_a, reference="E1", name="Sara")
    march = timezone.make_aware(datetime.datetime(2025, 3, 10, 12))
    make_transaction(
        org_a,
        reference="A",
        budget=campaign,
        employee=sara,
        amount=Decimal("50.00"),
        merchant="مكتبة جرير",
        occurred_at=march,
        transaction_date=march.date(),
    )
    make_transaction(org_a, reference="B", amount=Decimal("500.00"), merchant="Careem")
    assert references(accountant_api.get(LIST, {"budget": "Marketing Campaign 2025"})) == ["A"]
    assert references(accountant_api.get(LIST, {"budget": campaign.pk})) == ["A"]
    assert references(accountant_api.get(LIST, {"employee": sara.pk})) == ["A"]
    assert references(accountant_api.get(LIST, {"amount_min": "100"})) == ["B"]
    assert references(accountant_api.get(LIST, {"amount_max": "100"})) == ["A"]
    assert references(accountant_api.get(LIST, {"search": "جرير"})) == ["A"]
    assert references(accountant_api.get(LIST, {"search": "careem"})) == ["B"]
    march_only = {"date_from": "2025-03-01", "date_to": "2025-03-31"}
    assert references(accountant_api.get(LIST, march_only)) == ["A"]
    assert references(accountant_api.get(LIST, {"status": "unverified", "type": "card_expense"}))


def test_a_budget_filter_names_this_organizations_budget_by_id(accountant_api, org_a, org_b):
    from django.db import connection

    mine = Budget.objects.create(organization=org_a, name="Marketing")
    theirs = Budget.objects.create(organization=org_b, name="Marketing")
    make_transaction(org_a, reference="A", budget=mine)
    make_transaction(org_b, reference="B", budget=theirs)
    sent: list[str] = []

    def record(run, sql, *args):
        sent.append(sql)
        return run(sql, *args)

    with connection.execute_wrapper(record):
        assert references(accountant_api.get(LIST, {"budget": "Marketing"})) == ["A"]
    assert references(accountant_api.get(LIST, {"budget": theirs.pk})) == []
    assert references(accountant_api.get(LIST, {"budget": "Nobody's budget"})) == []
    # The ledger query gets the budget as a constant (so PostgreSQL walks that budget's
    # index), not a join on its name.
    ledger_sql = next(sql for sql in sent if '"accounting_transaction"."reference"' in sql)
    where = ledger_sql.split(" WHERE ", 1)[1]
    assert '"accounting_transaction"."budget_id" IN (%s)' in where
    assert "accounting_budget" not in where


@pytest.mark.parametrize(
    "params",
    [
        {"tab": "all"},
        {"date_from": "March"},
        {"date_from": "2025-04-01", "date_to": "2025-03-01"},
        {"amount_min": "ten"},
        {"status": "lost"},
        {"type": "gift"},
    ],
)
def test_a_malformed_filter_is_a_400_with_the_field(accountant_api, ledger, params):
    response = accountant_api.get(LIST, params)
    assert response.status_code == 400
    assert set(response.json()) & {*params, "date_to"}


def test_pages_follow_each_other_without_gaps_or_repeats(accountant_api, org_a):
    made = {make_transaction(org_a).reference for _ in range(7)}
    seen, url, pages = [], LIST + "?page_size=3", 0
    while url:
        body = accountant_api.get(url).json()
        seen.extend(row["reference"] for row in body["results"])
        url, pages = body["next"], pages + 1
    assert pages == 3 and len(seen) == 7 and set(seen) == made


def test_the_list_shows_only_my_organization(client_for, admin_b, ledger):
    assert references(client_for(admin_b).get(LIST)) == []


@pytest.mark.parametrize("role", [Role.ADMIN, Role.FINANCE_MANAGER, Role.ACCOUNTANT])
def test_finance_roles_see_the_list(client_for, users_a, ledger, role):
    assert client_for(users_a[role]).get(LIST).status_code == 200


def test_employees_and_anonymous_are_refused(client_for, users_a):
    assert client_for(users_a[Role.EMPLOYEE]).get(LIST).status_code == 403
    assert client_for(None).get(LIST).status_code == 401


def test_the_list_costs_a_fixed_number_of_queries(
    accountant_api, ledger, django_assert_max_num_queries
):
    with django_assert_max_num_queries(6):
        accountant_api.get(LIST, {"page_size": 50})
