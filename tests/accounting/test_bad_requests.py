"""Odd or hostile input to the Accounting menu gets a clear 4xx, never a server error."""

import pytest

from accounting.models import Budget, Transaction
from sifi.models import Role
from tests.factories import make_transaction


@pytest.fixture
def accountant_browser(client, users_a):
    client.force_login(users_a[Role.ACCOUNTANT])
    return client


@pytest.fixture
def other_orgs_budget(org_b):
    return Budget.objects.create(organization=org_b, name="Their Budget")


@pytest.mark.parametrize("budget", ["No Such Budget", "Their Budget", "²", "99999999999999999999"])
def test_bulk_assign_by_a_budget_that_matches_nothing_updates_nothing(
    accountant_api, org_a, source_a, marketing_a, other_orgs_budget, budget
):
    mine = make_transaction(org_a)
    response = accountant_api.post(
        "/api/v1/accounting/transactions/bulk-assign/",
        {"account": marketing_a.pk, "filter": {"budget": budget}},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert response.json() == {"updated": 0, "skipped": [], "skipped_count": 0}
    mine.refresh_from_db()
    assert mine.status == "unverified"


@pytest.mark.parametrize("budget", ["No Such Budget", "Their Budget"])
def test_bulk_assign_on_the_page_with_a_budget_that_matches_nothing(
    accountant_browser, org_a, source_a, marketing_a, other_orgs_budget, budget
):
    make_transaction(org_a)
    response = accountant_browser.post(
        "/accounting/bulk-assign/",
        {"scope": "filter", "tab": "expenses", "budget": budget, "account": marketing_a.pk},
        follow=True,
    )
    assert response.status_code == 200
    assert "0 transactions verified." in response.content.decode()
    assert not Transaction.objects.filter(status="verified").exists()


@pytest.mark.parametrize("action", ["assign", "unverify"])
@pytest.mark.parametrize("posted", [{"transaction": "abc"}, {}, {"transaction": "²"}])
def test_a_row_action_without_a_transaction_id_is_a_400_page(
    accountant_browser, org_a, source_a, marketing_a, action, posted
):
    response = accountant_browser.post(
        f"/accounting/{action}/", {**posted, "account": marketing_a.pk}
    )
    assert response.status_code == 400
    assert "This request could not be understood" in response.content.decode()


@pytest.mark.parametrize("posted", [{"reconciliation": "abc"}, {}, {"reconciliation": "٣"}])
def test_dismissing_a_reconciliation_without_its_id_is_a_400_page(accountant_browser, posted):
    response = accountant_browser.post("/accounting/reconciliations/dismiss/", posted)
    assert response.status_code == 400
    assert "This request could not be understood" in response.content.decode()


@pytest.mark.parametrize(
    "next_url",
    [
        "https://evil.example/phish",
        "//evil.example/phish",
        "http://evil.example",
        "javascript:alert(1)",
        "https:///evil.example",
    ],
)
def test_actions_never_send_people_to_another_site(
    accountant_browser, org_a, source_a, marketing_a, next_url
):
    txn = make_transaction(org_a)
    response = accountant_browser.post(
        "/accounting/unverify/", {"transaction": txn.pk, "next": next_url}
    )
    assert response.status_code == 302
    assert response["Location"] == "/accounting/"


def test_actions_go_back_to_the_page_they_came_from(
    accountant_browser, org_a, source_a, marketing_a
):
    txn = make_transaction(org_a)
    response = accountant_browser.post(
        "/accounting/assign/",
        {"transaction": txn.pk, "account": marketing_a.pk, "next": "/accounting/?tab=others"},
    )
    assert response["Location"] == "/accounting/?tab=others"


def test_a_nul_character_in_the_transaction_search_is_a_400(accountant_api, accountant_browser):
    response = accountant_api.get("/api/v1/accounting/transactions/?search=%00")
    assert response.status_code == 400
    assert "search" in response.json()
    page = accountant_browser.get("/accounting/?search=%00")
    assert page.status_code == 200  # the list page shows the filter's error
    assert "Null characters are not allowed." in page.content.decode()
