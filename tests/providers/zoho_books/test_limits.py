"""Zoho's two limits under the sync engine, against the sandbox at Zoho's own numbers: past 100
requests a minute (code 44) the organization's pushes wait for the minute; with the daily quota
spent (code 45) they wait too, probing once every ZOHO_QUOTA_PROBE_SECONDS, while another
organization's run goes on; the quota back, the run resumes. Nothing failed, nothing sent
twice. The daily quota is the connection's `daily_quota` option."""

import time

import pytest
from rest_framework.exceptions import ValidationError

from accounting.models import SyncRun, SyncRunStatus, Transaction, TransactionStatus
from accounting.providers import RateLimited
from accounting.services.runs import start_sync_run
from accounting.services.turns import pending_batches, push_batch
from integrations.connections import connection_for
from integrations.models import Integration
from integrations.providers.zoho_books.options import DAILY_QUOTA
from integrations.providers.zoho_books.provider import ZohoBooksProvider, daily_quota_of
from integrations.providers.zoho_books.sandbox import seed
from sifi.models import Role
from tests.accounting.sync_runs import drain, verified
from tests.factories import api_client_for, make_org, make_user
from tests.providers.harnesses import ZohoBooksHarness
from tests.providers.zoho_books.test_tokens import all_at_once

pytestmark = pytest.mark.django_db

OTHER_ORGANIZATION = "20000001"  # a second Zoho organization of the same Zoho user


@pytest.fixture
def zoho(zoho_books_sandbox, settings):
    """The sandbox and the product at Zoho's limits (100 a minute, 1,000 a day)."""
    harness = ZohoBooksHarness(zoho_books_sandbox)
    zoho_books_sandbox.configure(rate_limit_per_minute=100, daily_quota=1000)
    settings.ZOHO_RATE_LIMIT_PER_MINUTE = 100
    return harness


def started(org, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks():
        return start_sync_run(organization=org, actor=None)


def push_once(run) -> float | None:
    """One worker's pass over the run: the seconds it was deferred by, or None."""
    for batch in pending_batches(run):
        wait = push_batch(run_id=run.pk, transaction_ids=batch)
        if wait:
            return wait
    return None


def statuses(org) -> dict[str, int]:
    found: dict[str, int] = {}
    for status in Transaction.objects.filter(organization=org).values_list("status", flat=True):
        found[status] = found.get(status, 0) + 1
    return found


def test_the_daily_quota_is_the_connections_option_and_1000_by_default(zoho):
    provider = ZohoBooksProvider()
    credentials = zoho.sandbox.credentials
    windows = {w.name: w.limit for w in provider.request_budget(credentials).windows()}
    assert windows == {"minute": 100, "day": 1000}
    paid = provider.request_budget(credentials, options={"daily_quota": 5000}).windows()
    assert {w.name: w.limit for w in paid} == {"minute": 100, "day": 5000}


def test_past_100_requests_a_minute_the_run_waits_the_minute_and_fails_nothing(
    zoho, django_capture_on_commit_callbacks
):
    zoho.sandbox.configure(rate_limit_per_minute=3)  # Zoho counts what others sent too
    org, expense = zoho.connect()
    verified(org, expense, 5)
    run = started(org, django_capture_on_commit_callbacks)
    wait = push_once(run)
    assert wait is not None and 55 <= wait <= 61  # code 44: the minute
    assert statuses(org) == {"synced": 3, "syncing": 2}
    budget = {w.name: w.wait_seconds for w in connection_for(org).request_budget().windows()}
    assert budget["minute"] > 55 and budget["day"] == 0
    run.refresh_from_db()
    assert run.status in (SyncRunStatus.QUEUED, SyncRunStatus.RUNNING)
    assert run.waiting_seconds > 55
    answer = api_client_for(make_user(org, Role.ACCOUNTANT)).get(
        f"/api/v1/accounting/sync-runs/{run.pk}/"
    )
    assert answer.json()["waiting_seconds"] > 55
    assert answer.json()["waiting_reason"].startswith("Waiting for Zoho Books's limit")
    assert len(zoho.held_entries()) == 3


def test_the_daily_quota_spent_defers_that_organization_probing_and_others_go_on(
    zoho, settings, django_capture_on_commit_callbacks
):
    settings.ZOHO_QUOTA_PROBE_SECONDS = 3.0  # 900 in production
    org, expense = zoho.connect()
    verified(org, expense, 4)
    zoho.sandbox.add_organization(OTHER_ORGANIZATION, name="Other Zoho Co.")
    other, other_expense = zoho.connect(make_org("Other Org"))
    Integration.objects.filter(organization=other).update(
        location={**zoho.connection_fields()["location"], "organization_id": OTHER_ORGANIZATION}
    )
    verified(other, other_expense, 3)
    run = started(org, django_capture_on_commit_callbacks)
    other_run = started(other, django_capture_on_commit_callbacks)
    zoho.sandbox.spend_quota(1000)

    wait = push_once(run)
    assert wait is not None and 2.5 <= wait <= 3.0
    assert statuses(org) == {"syncing": 4}  # nothing failed, nothing sent
    budget = {w.name: w.wait_seconds for w in connection_for(org).request_budget().windows()}
    assert budget["day"] > 2.0 and budget["minute"] == 0  # the day window waits
    reason = (
        api_client_for(make_user(org, Role.ACCOUNTANT))
        .get(f"/api/v1/accounting/sync-runs/{run.pk}/")
        .json()["waiting_reason"]
    )
    assert reason.startswith(
        "Zoho Books's daily API limit for this organization is used up; SiFi tries again at "
    )
    assert SyncRun.objects.get(pk=run.pk).waiting_window == "day"
    # Another organization's run goes on meanwhile.
    assert drain(other_run).status == SyncRunStatus.SUCCEEDED
    assert statuses(other) == {"synced": 3}

    # Until the probe is due, nothing is asked of Zoho; then one probe, refused again.
    assert push_once(run) is not None
    assert zoho.sandbox.stats()["quota_refused"] == 1
    time.sleep(3.1)
    assert push_once(run) is not None
    assert zoho.sandbox.stats()["quota_refused"] == 2

    # The quota comes back (Zoho's new day): the run resumes and ends, each entry once.
    zoho.sandbox.spend_quota(0)
    time.sleep(3.1)
    assert drain(run).status == SyncRunStatus.SUCCEEDED
    held = zoho.held_by_reference()
    references = Transaction.objects.filter(organization=org).values_list("reference", flat=True)
    assert all(len(held[reference]) == 1 for reference in references)
    assert statuses(org) == {"synced": 4}
    assert not Transaction.objects.filter(status=TransactionStatus.FAILED).exists()


def test_the_quota_spent_in_the_middle_of_a_run_loses_and_doubles_nothing(
    zoho, settings, django_capture_on_commit_callbacks
):
    settings.ZOHO_QUOTA_PROBE_SECONDS = 1.0
    org, expense = zoho.connect()
    verified(org, expense, 10)
    run = started(org, django_capture_on_commit_callbacks)
    zoho.sandbox.configure(daily_quota=4)  # four creates, then code 45
    assert push_once(run) is not None
    assert statuses(org) == {"synced": 4, "syncing": 6}
    zoho.sandbox.configure(daily_quota=1000)
    time.sleep(1.1)
    assert drain(run).status == SyncRunStatus.SUCCEEDED
    held = zoho.held_by_reference()
    assert len(held) == 10 and all(len(found) == 1 for found in held.values())
    assert Transaction.objects.filter(status=TransactionStatus.FAILED).count() == 0
    assert zoho.sandbox.organization_id == seed.DEMO_ORGANIZATION_ID


def test_the_daily_quota_option_takes_a_plans_quota_and_nothing_below_zohos_smallest():
    field = DAILY_QUOTA.field(required=False)
    assert field.run_validation(5000) == 5000
    assert DAILY_QUOTA.default == 1000
    with pytest.raises(ValidationError):
        field.run_validation(100)
    assert daily_quota_of({"daily_quota": 2000}) == 2000
    assert daily_quota_of({}) == daily_quota_of(None) == 1000


def test_once_the_quota_is_spent_one_request_at_a_time_probes_zoho(zoho, settings):
    settings.ZOHO_QUOTA_PROBE_SECONDS = 1.0
    provider = ZohoBooksProvider()
    credentials = zoho.sandbox.credentials
    zoho.sandbox.spend_quota(1000)
    with provider.open_session(credentials, max_wait=0.5) as books, pytest.raises(RateLimited):
        books.read_chart()
    assert zoho.sandbox.stats()["quota_refused"] == 1
    time.sleep(1.1)

    def read() -> object:
        try:
            with provider.open_session(credentials, max_wait=0.5) as books:
                return len(books.read_chart())
        except RateLimited as waited:
            return waited

    # Still spent: of four workers asking at once, one probe reaches Zoho.
    answers = all_at_once(4, read)
    assert all(isinstance(answer, RateLimited) for answer in answers)
    assert zoho.sandbox.stats()["quota_refused"] == 2
    # Back: the probe's answer lets every worker go on.
    zoho.sandbox.spend_quota(0)
    time.sleep(1.1)
    answers = all_at_once(4, read)
    assert answers == [answers[0]] * 4 and isinstance(answers[0], int)
    assert zoho.sandbox.stats()["quota_refused"] == 2


def test_a_connection_without_the_option_has_zoho_daily_quota(settings):
    settings.ZOHO_DAILY_QUOTA = 2000
    assert daily_quota_of({}) == 2000
    assert daily_quota_of({"daily_quota": 5000}) == 5000
