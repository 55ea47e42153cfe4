"""The fair scheduler, in one process: turns and their leases, a company's budget spent
(deferred, never slept on), first come first served within a company, reads after pushes,
and what people and operators see (the run page, the API, `manage.py sync_queues`).

The real-worker test with two companies is in test_fair_sync_worker.py.
"""

import time
from io import StringIO
from unittest import mock

import pytest
from django.core.management import call_command
from django.urls import reverse

from accounting import tasks
from accounting.models import (
    ReconciliationStatus,
    SyncRun,
    SyncRunItem,
    SyncRunItemOutcome,
    Transaction,
    TransactionStatus,
)
from accounting.services import scheduler
from accounting.services.runs import start_reconciliation, start_sync_run
from accounting.services.turns import claim_turns, pace_seconds, take_turn
from integrations import tasks as integration_tasks
from integrations.jobs import start_config_sync
from integrations.providers.qoyod.ratelimit import limiter_for_api_key
from sifi.models import Role
from tests.accounting.sync_runs import verified
from tests.factories import api_client_for, make_user
from tests.fakes.sandbox import connected_org, entries_by_reference

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clean_leases_and_budgets(qoyod_sandbox, settings):
    settings.QOYOD_RATE_LIMIT_PER_MINUTE = 300  # Qoyod's own: one turn per company
    scheduler.forget_all()
    limiter_for_api_key(qoyod_sandbox.demo_key).reset()
    limiter_for_api_key(qoyod_sandbox.second_key).reset()
    yield
    scheduler.forget_all()
    limiter_for_api_key(qoyod_sandbox.demo_key).reset()
    limiter_for_api_key(qoyod_sandbox.second_key).reset()


def started(org, *, count, marketing):
    """A run of `count` verified transactions, handed to the scheduler: its first lease."""
    verified(org, marketing, count)
    with mock.patch("accounting.tasks.dispatch_sync_run.delay"):
        run = start_sync_run(organization=org, actor=None)
    return run


def _budget(limit):
    budget = mock.Mock(limit=limit, period_seconds=60.0)
    return budget


def test_a_company_gets_turns_in_proportion_to_its_limit(settings):
    settings.SYNC_SECONDS_PER_REQUEST = 0.2
    settings.SYNC_MAX_TURNS_PER_COMPANY = 4
    assert scheduler.turns_for(_budget(300)) == 1  # Qoyod's 300 a minute: one at a time
    assert scheduler.turns_for(_budget(600)) == 2
    assert scheduler.turns_for(_budget(60_000)) == 4  # bounded, whatever the limit
    assert scheduler.turns_for(_budget(1)) == 1
    assert scheduler.turns_for(None) == 4


def test_a_limit_per_second_is_waited_out_a_longer_window_is_deferred(settings):
    settings.SYNC_LIMIT_PACE_SECONDS = 0.25
    per_second = mock.Mock(limit=10, period_seconds=1.0)  # Odoo's 10 a second
    per_minute = mock.Mock(limit=600, period_seconds=60.5)  # Qoyod's minute and our margin
    assert pace_seconds(per_second) == 1.0  # the next slot is never more than a second away
    assert pace_seconds(per_minute) == 0.25  # a minute's slot is not slept on: deferred
    assert pace_seconds(None) == 0.25


def test_a_stripe_has_one_turn_and_a_message_delivered_twice_does_nothing(qoyod_sandbox):
    org, marketing = connected_org(qoyod_sandbox)
    run = started(org, count=25, marketing=marketing)
    [(stripe, lease)] = claim_turns(org.pk)  # 300/min: one turn
    assert claim_turns(org.pk) == []  # already running: nobody starts a second

    end = take_turn(organization_id=org.pk, stripe=stripe, lease=lease)
    assert end.lease is not None and end.lease != lease  # the next message's lease
    assert SyncRunItem.objects.filter(run=run, outcome=SyncRunItemOutcome.SUCCEEDED).count() == 10

    # The first message again (acks late: delivered twice): the lease moved on, nothing runs.
    again = take_turn(organization_id=org.pk, stripe=stripe, lease=lease)
    assert again.lease is None
    assert SyncRunItem.objects.filter(run=run, outcome=SyncRunItemOutcome.SUCCEEDED).count() == 10

    following: str | None = end.lease
    while following is not None:
        following = take_turn(organization_id=org.pk, stripe=stripe, lease=following).lease
    run.refresh_from_db()
    assert run.status == "succeeded"
    assert all(len(found) == 1 for found in entries_by_reference(qoyod_sandbox).values())
    assert scheduler.turns_held(org.pk) == 0  # the turn ended with its work


def test_a_turn_takes_its_share_then_goes_behind_the_others(qoyod_sandbox, settings):
    settings.SYNC_TURN_TRANSACTIONS = 4
    org, marketing = connected_org(qoyod_sandbox)
    run = started(org, count=9, marketing=marketing)
    [(stripe, lease)] = claim_turns(org.pk)
    end = take_turn(organization_id=org.pk, stripe=stripe, lease=lease)
    assert (end.lease is not None, end.countdown) == (True, 0.0)  # more to do: requeued now
    assert Transaction.objects.filter(organization=org, status="synced").count() == 4
    assert SyncRun.objects.get(pk=run.pk).status == "running"


def test_within_a_company_runs_go_first_come_first_served(qoyod_sandbox, settings):
    settings.SYNC_TURN_TRANSACTIONS = 5
    org, marketing = connected_org(qoyod_sandbox)
    first = started(org, count=5, marketing=marketing)
    second = started(org, count=5, marketing=marketing)
    [(stripe, lease)] = claim_turns(org.pk)
    take_turn(organization_id=org.pk, stripe=stripe, lease=lease)
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == "succeeded"
    assert SyncRunItem.objects.filter(run=second, outcome="succeeded").count() == 0


def test_a_spent_budget_defers_the_turn_without_sleeping_and_people_see_the_wait(
    qoyod_sandbox, settings, client
):
    settings.QOYOD_RATE_LIMIT_PER_MINUTE = 5
    org, marketing = connected_org(qoyod_sandbox)
    run = started(org, count=3, marketing=marketing)
    budget = limiter_for_api_key(qoyod_sandbox.demo_key)
    for _ in range(5):  # another of the company's processes spent this minute's budget
        budget.acquire()
    [(stripe, lease)] = claim_turns(org.pk)

    began = time.monotonic()
    end = take_turn(organization_id=org.pk, stripe=stripe, lease=lease)
    assert time.monotonic() - began < 2  # the worker was handed back, not put to sleep
    assert end.lease is not None and 50 < end.countdown <= 61  # back when the window opens
    assert Transaction.objects.filter(organization=org, status="syncing").count() == 3
    assert qoyod_sandbox.stats()["served"] == 0  # nothing was sent over the limit
    assert SyncRunItem.objects.filter(run=run, attempts__gt=0).count() == 0  # not an attempt

    run.refresh_from_db()
    assert 50 < run.waiting_seconds <= 61
    client.force_login(make_user(org, Role.ACCOUNTANT))
    page = client.get(reverse("accounting-run-progress", args=[run.pk])).content.decode()
    assert "Waiting for Qoyod&#x27;s limit (next slot in" in page  # HTML-escaped
    api = api_client_for(make_user(org, Role.ACCOUNTANT))
    body = api.get(f"/api/v1/accounting/sync-runs/{run.pk}/")
    assert 50 < body.json()["waiting_seconds"] <= 61

    out = StringIO()
    call_command("sync_queues", stdout=out)
    line = next(row for row in out.getvalue().splitlines() if row.startswith(org.name))
    assert "5/5" in line and "waiting for the limit" in line
    # queued (deferred before its first push), running, waiting, batches, turns in flight
    assert line.split()[3:8] == ["1", "0", "3", "1", "1"]


def test_a_429_from_the_books_defers_instead_of_failing(qoyod_sandbox, settings):
    settings.SYNC_LIMIT_PACE_SECONDS = 0.25
    org, marketing = connected_org(qoyod_sandbox)
    run = started(org, count=2, marketing=marketing)
    qoyod_sandbox.inject(
        {"kind": "429", "path": "journal_entries$", "method": "POST", "count": 1},
    )
    [(stripe, lease)] = claim_turns(org.pk)
    end = take_turn(organization_id=org.pk, stripe=stripe, lease=lease)
    assert end.lease is not None and end.countdown > 0.25  # Retry-After: not slept on
    assert not Transaction.objects.filter(organization=org, status="failed").exists()
    time.sleep(end.countdown)
    following: str | None = end.lease
    while following is not None:
        following = take_turn(organization_id=org.pk, stripe=stripe, lease=following).lease
    run.refresh_from_db()
    assert run.status == "succeeded"
    assert sorted(len(found) for found in entries_by_reference(qoyod_sandbox).values()) == [1, 1]


def test_a_turn_whose_lease_expired_under_it_takes_it_back(qoyod_sandbox, settings):
    settings.SYNC_TURN_TRANSACTIONS = 2
    org, marketing = connected_org(qoyod_sandbox)
    started(org, count=4, marketing=marketing)
    [(stripe, lease)] = claim_turns(org.pk)
    scheduler.forget_all()  # a slow turn outlived its lease; nobody else took the stripe
    assert take_turn(organization_id=org.pk, stripe=stripe, lease=lease).lease is None
    [(stripe, lease)] = claim_turns(org.pk)  # what the reaper does for a silent run
    end = take_turn(organization_id=org.pk, stripe=stripe, lease=lease)
    scheduler.forget_all()
    assert end.lease is not None
    assert scheduler.advance(org.pk, stripe, end.lease) is not None  # reclaimed, not lost


def test_another_company_cannot_be_pushed_with_a_lease_of_this_one(qoyod_sandbox):
    org_a, _ = connected_org(qoyod_sandbox)
    org_b, marketing_b = connected_org(qoyod_sandbox)
    started(org_b, count=2, marketing=marketing_b)
    [(stripe, lease_a)] = claim_turns(org_a.pk)
    assert take_turn(organization_id=org_b.pk, stripe=stripe, lease=lease_a).lease is None
    assert not Transaction.objects.filter(organization=org_b, status="synced").exists()


def test_a_reconciliation_waits_while_the_companys_pushes_are_pending(
    qoyod_sandbox, django_capture_on_commit_callbacks
):
    org, marketing = connected_org(qoyod_sandbox)
    started(org, count=2, marketing=marketing)
    today = Transaction.objects.filter(organization=org).first().transaction_date
    with mock.patch("accounting.tasks.reconcile.delay"):
        reconciliation = start_reconciliation(
            organization=org, actor=None, date_from=today, date_to=today
        )
    with mock.patch.object(tasks.reconcile, "apply_async") as later:
        assert tasks.reconcile(reconciliation.pk) == "waiting-for-pushes"
    later.assert_called_once_with((reconciliation.pk,), countdown=5.0)
    reconciliation.refresh_from_db()
    assert reconciliation.status == ReconciliationStatus.QUEUED

    [(stripe, lease)] = claim_turns(org.pk)
    take_turn(organization_id=org.pk, stripe=stripe, lease=lease)  # the pushes are done
    assert tasks.reconcile(reconciliation.pk) == ReconciliationStatus.SUCCEEDED


def test_a_chart_sync_waits_while_the_companys_pushes_are_pending(
    qoyod_sandbox, django_capture_on_commit_callbacks
):
    org, marketing = connected_org(qoyod_sandbox)
    started(org, count=1, marketing=marketing)
    with (
        mock.patch("integrations.tasks.sync_configuration.delay"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        job = start_config_sync(organization=org, actor=None)
    with mock.patch.object(integration_tasks.sync_configuration, "apply_async") as later:
        assert integration_tasks.sync_configuration(job.pk) == "waiting-for-pushes"
    later.assert_called_once()
    job.refresh_from_db()
    assert job.status == "queued"
    SyncRun.objects.filter(organization=org).update(status="succeeded")  # pushes done
    assert integration_tasks.sync_configuration(job.pk) == "succeeded"


def test_books_that_do_not_answer_defer_the_turn_instead_of_holding_the_worker(
    qoyod_sandbox, settings
):
    settings.SYNC_RETRY_BASE_SECONDS = 0.5
    org, marketing = connected_org(qoyod_sandbox)
    run = started(org, count=1, marketing=marketing)
    qoyod_sandbox.inject({"kind": "500", "path": "journal_entries$", "method": "POST", "count": 9})
    [(stripe, lease)] = claim_turns(org.pk)
    countdowns = []
    following: str | None = lease
    while following is not None:
        began = time.monotonic()
        end = take_turn(organization_id=org.pk, stripe=stripe, lease=following)
        assert time.monotonic() - began < 1.5  # one attempt per turn, no backoff slept here
        countdowns.append(end.countdown)
        following = end.lease
    # Two deferred turns with a growing backoff (1 s, 2 s), then the third attempt fails it.
    assert countdowns[:2] == [1.0, 2.0]
    txn = Transaction.objects.get(organization=org)
    assert txn.status == TransactionStatus.FAILED
    assert "could not be reached after 3 attempts" in txn.status_reason
    assert SyncRunItem.objects.get(run=run).attempts == 3
