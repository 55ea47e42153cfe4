"""Before a long run starts, the sync button says what it will cost: the requests it takes
against the organization's request limit and how long that makes it (a daily quota: days),
and a run waiting on a limit says why in a sentence (SPEC §3a: "Zoho's daily API limit for
this organization is used up; SiFi tries again at HH:MM"). Against the staged books (a minute
and a day window, a create and a second draft call per entry, one upload per receipt)."""

import html

import pytest
from django.utils import timezone
from django.utils.formats import date_format

from accounting.providers import provider_for
from accounting.services.estimate import sync_estimate
from accounting.services.turns import claim_turns, take_turn
from sifi.models import Role
from tests.accounting.sync_runs import verified, with_receipt
from tests.accounting.test_provider_capabilities import connected_org, fresh_leases, run_of  # noqa: F401
from tests.factories import api_client_for, make_user
from tests.fakes.staged_books import StagedBooksProvider

pytestmark = pytest.mark.django_db


def test_a_run_beyond_the_daily_quota_is_estimated_in_days_before_it_starts(
    staged_books, monkeypatch
):
    monkeypatch.setattr(StagedBooksProvider, "per_day", 20)
    org, expense = connected_org()
    for txn in verified(org, expense, 15):
        with_receipt(txn)
    estimate = sync_estimate(org)
    # 15 uploads, 15 creates, 15 second calls: 45 requests at 20 a day is the third day.
    assert (estimate.transactions, estimate.requests, estimate.limit) == (15, 45, 20)
    assert estimate.seconds == 3 * 86_400
    assert estimate.question == (
        "About 45 requests: Staged Books allows 20 a day, so this run takes about 3 days. "
        "Nothing is sent twice while it waits. Sync 15 verified transactions?"
    )
    api = api_client_for(make_user(org, Role.ACCOUNTANT))
    body = api.get("/api/v1/accounting/sync-runs/estimate/").json()
    assert (body["requests"], body["limit"], body["question"]) == (45, 20, estimate.question)

    page = api_client_for(make_user(org, Role.ACCOUNTANT), token=False)
    assert page.get("/accounting/sync/estimate/").json()["question"] == estimate.question
    assert staged_books.calls == []  # estimating asks the books nothing


def test_a_short_run_is_not_asked_about(staged_books):
    org, expense = connected_org()
    verified(org, expense, 3)
    estimate = sync_estimate(org)
    assert (estimate.requests, estimate.question) == (6, "")  # 3 creates, 3 second calls
    assert 0 < estimate.seconds < 60  # paced by the minute window: 6 at 100 a minute


def test_a_run_paced_by_a_minute_limit_for_hours_is_asked_about(staged_books, monkeypatch):
    monkeypatch.setattr(StagedBooksProvider, "per_minute", 1)
    org, expense = connected_org()
    verified(org, expense, 40)
    question = sync_estimate(org).question
    assert question.startswith("About 80 requests: Staged Books allows 1 a minute, so this")
    assert "about 2 hours" in question


def test_the_estimate_counts_only_this_organizations_verified_transactions(staged_books):
    org, expense = connected_org()
    other, other_expense = connected_org()
    verified(other, other_expense, 7)
    verified(org, expense, 2)
    assert sync_estimate(org).transactions == 2
    assert sync_estimate(other).transactions == 7


@pytest.mark.parametrize(("key", "requests"), [("qoyod", 14), ("odoo", 14)])
def test_books_that_attach_after_the_create_cost_one_request_per_file_more(key, requests):
    assert provider_for(key).estimated_requests(entries=10, files=4) == requests


def test_a_run_held_by_a_spent_daily_quota_says_when_it_tries_again(
    staged_books,
    fresh_leases,  # noqa: F811
):
    org, expense = connected_org()
    run, _txns = run_of(org, expense, 2)
    staged_books.fail("create", "quota_spent")
    [(stripe, lease)] = claim_turns(org.pk)
    take_turn(organization_id=org.pk, stripe=stripe, lease=lease)
    run.refresh_from_db()
    assert run.waiting_window == "day"
    at = date_format(timezone.localtime(run.waiting_until), "H:i")
    expected = (
        "Staged Books's daily API limit for this organization is used up; SiFi tries again "
        f"at {at}."
    )
    api = api_client_for(make_user(org, Role.ACCOUNTANT))
    body = api.get(f"/api/v1/accounting/sync-runs/{run.pk}/").json()
    assert body["waiting_reason"] == expected and body["waiting_seconds"] > 0
    page = api_client_for(make_user(org, Role.ACCOUNTANT), token=False)
    progress = page.get(f"/accounting/runs/{run.pk}/progress/").content.decode()
    assert html.escape(expected) in progress


def test_a_run_held_by_the_minute_limit_says_when_its_next_slot_opens(
    staged_books,
    fresh_leases,  # noqa: F811
    monkeypatch,
):
    monkeypatch.setattr(StagedBooksProvider, "per_minute", 2)
    org, expense = connected_org()
    run, _txns = run_of(org, expense, 3)
    [(stripe, lease)] = claim_turns(org.pk)
    take_turn(organization_id=org.pk, stripe=stripe, lease=lease)
    run.refresh_from_db()
    assert run.waiting_window == "minute"
    api = api_client_for(make_user(org, Role.ACCOUNTANT))
    reason = api.get(f"/api/v1/accounting/sync-runs/{run.pk}/").json()["waiting_reason"]
    assert reason.startswith("Waiting for Staged Books's limit (next slot in ")
