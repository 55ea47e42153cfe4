"""The posting-date policy and closed periods around the sync (issue 26): the setting in the API
and on the settings page (audited, 400 for a bad value, each organization its own), the
Verified tab's count of what the books' known closed period holds, the run's one click in the
API (tenants apart) and on the run page, and reconciliation of entries dated outside the policy.
The pushes themselves, against every provider's sandbox: tests/providers/test_closed_periods.py."""

import datetime
from decimal import Decimal

import pytest

from accounting.models import (
    AccountingSettings,
    PostingDatePolicy,
    ReconciliationProblem,
    SyncRun,
    SyncRunItem,
    SyncRunItemOutcome,
    SyncRunStatus,
    TransactionStatus,
)
from accounting.providers import HeldEntry, HeldLine
from accounting.services.accounting_settings import change_accounting_settings
from accounting.services.reconciliation import Dating, compare
from accounting.services.runs import start_sync_run
from integrations.models import Integration
from sifi.models import AuditEvent, Role
from tests.accounting.sync_runs import drain, verified
from tests.factories import api_client_for, make_account, make_transaction
from tests.providers.harnesses import QoyodHarness

pytestmark = pytest.mark.django_db

SETTINGS = "/api/v1/accounting/settings/"
LOCK = datetime.date(2026, 10, 31)
OPEN_DAY = datetime.date(2026, 11, 1)


# --- the setting ----------------------------------------------------------------------------


def test_entries_are_dated_on_the_transactions_date_until_the_organization_chooses(users_a):
    body = api_client_for(users_a[Role.ACCOUNTANT]).get(SETTINGS).json()
    assert body["posting_date_policy"] == "transaction_date"


def test_an_admin_chooses_the_first_open_day_and_it_is_audited(users_a, org_a):
    response = api_client_for(users_a[Role.FINANCE_MANAGER]).patch(
        SETTINGS, {"posting_date_policy": "first_open_day"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["posting_date_policy"] == "first_open_day"
    assert response.json()["vat_reclaim"] == "as_reported"  # untouched
    event = AuditEvent.objects.get(organization=org_a, action="accounting_settings.changed")
    assert event.before == {"posting_date_policy": "transaction_date"}
    assert event.after == {"posting_date_policy": "first_open_day"}


def test_a_bad_policy_is_a_400_naming_the_field(users_a):
    response = api_client_for(users_a[Role.ADMIN]).patch(
        SETTINGS, {"posting_date_policy": "whenever"}, format="json"
    )
    assert response.status_code == 400
    assert "posting_date_policy" in response.json()
    assert not AccountingSettings.objects.exists()


def test_accountants_cannot_change_the_policy(users_a):
    response = api_client_for(users_a[Role.ACCOUNTANT]).patch(
        SETTINGS, {"posting_date_policy": "first_open_day"}, format="json"
    )
    assert response.status_code == 403


def test_each_organization_has_its_own_policy(users_a, org_b, admin_b):
    change_accounting_settings(
        organization=org_b, actor=admin_b, posting_date_policy=PostingDatePolicy.FIRST_OPEN_DAY
    )
    body = api_client_for(users_a[Role.ADMIN]).get(SETTINGS).json()
    assert body["posting_date_policy"] == "transaction_date"


def test_the_settings_page_chooses_the_policy(client, users_a, org_a):
    client.force_login(users_a[Role.ADMIN])
    page = client.get("/accounting/settings/").content.decode()
    assert 'name="posting_date_policy" value="transaction_date" checked' in page
    response = client.post(
        "/accounting/settings/save/",
        {
            "vat_reclaim": "as_reported",
            "posting_date_policy": "first_open_day",
            "next": "/accounting/settings/",
        },
        follow=True,
    )
    assert 'name="posting_date_policy" value="first_open_day" checked' in response.content.decode()
    chosen = AccountingSettings.objects.get(organization=org_a)
    assert chosen.posting_date_policy == "first_open_day"
    bad = client.post(
        "/accounting/settings/save/",
        {"vat_reclaim": "as_reported", "posting_date_policy": "never", "next": "/"},
        follow=True,
    )
    assert "Choose which date entries are booked on." in bad.content.decode()


# --- before a sync: the Verified tab ---------------------------------------------------------


@pytest.fixture
def qoyod_org(org_a):
    """Organization A connected to Qoyod (no sandbox needed: nothing is pushed)."""
    wallet = make_account(org_a, provider="qoyod", external_id="1003", code="110101")
    expense = make_account(org_a, provider="qoyod", external_id="1038", code="5201")
    Integration.objects.create(
        organization=org_a,
        provider="qoyod",
        status="connected",
        source_account=wallet,
        secrets={"api_key": "k"},
    )
    return org_a, expense


def test_the_verified_tab_counts_transactions_dated_in_the_known_closed_period(
    client, users_a, qoyod_org, org_b
):
    org, expense = qoyod_org
    for day in (datetime.date(2026, 10, 14), LOCK, OPEN_DAY):
        make_transaction(
            org, status=TransactionStatus.VERIFIED, account=expense, transaction_date=day
        )
    theirs = make_account(org_b, provider="qoyod", external_id="1038", code="5201")
    make_transaction(
        org_b, status=TransactionStatus.VERIFIED, account=theirs, transaction_date=LOCK
    )
    Integration.objects.create(
        organization=org_b, provider="qoyod", status="connected", books_closed_until=LOCK
    )
    client.force_login(users_a[Role.ACCOUNTANT])
    counts = client.get("/accounting/vat-counts/").content.decode()
    assert "closed-period-count" not in counts  # no lock date known yet

    Integration.objects.filter(organization=org).update(books_closed_until=LOCK)
    counts = client.get("/accounting/vat-counts/").content.decode()
    assert "2 transactions are dated when the books are closed (up to 2026-10-31)" in counts
    assert "they will fail unless booked on 2026-11-01" in counts
    change_accounting_settings(
        organization=org, actor=None, posting_date_policy=PostingDatePolicy.FIRST_OPEN_DAY
    )
    counts = client.get("/accounting/vat-counts/").content.decode()
    assert "they will be booked on 2026-11-01" in counts


# --- the one click ---------------------------------------------------------------------------


@pytest.fixture
def qoyod(qoyod_sandbox):
    return QoyodHarness(qoyod_sandbox)


def closed_run(qoyod, org, django_capture_on_commit_callbacks):
    org, expense = qoyod.connect(org)
    [closed] = verified(org, expense, 1, transaction_date=datetime.date(2026, 10, 14))
    [open_one] = verified(org, expense, 1, transaction_date=datetime.date(2026, 11, 2))
    qoyod.sandbox.configure(lock_date=LOCK.isoformat())
    with django_capture_on_commit_callbacks():
        run = start_sync_run(organization=org, actor=None)
    assert drain(run).status == SyncRunStatus.PARTIAL
    return run, closed, open_one


def test_the_run_page_offers_one_click_booking_on_the_first_open_day(
    qoyod, client, users_a, org_a, django_capture_on_commit_callbacks
):
    run, closed, _open = closed_run(qoyod, org_a, django_capture_on_commit_callbacks)
    client.force_login(users_a[Role.ACCOUNTANT])
    page = client.get(f"/accounting/runs/{run.pk}/").content.decode()
    assert "The books are closed up to 2026-10-31." in page
    assert "Book on 2026-11-01" in page
    with django_capture_on_commit_callbacks(execute=False):
        response = client.post("/accounting/runs/book-on-open-day/", {"run": run.pk})
    assert response.status_code == 302
    closed.refresh_from_db()
    assert (closed.status, closed.booked_on) == ("syncing", OPEN_DAY)
    again = closed.sync_run
    assert again.retry_of_id == run.pk and again.total == 1
    assert drain(again).status == SyncRunStatus.SUCCEEDED
    [entry] = qoyod.held_by_reference()[closed.reference]
    assert entry.date == OPEN_DAY
    assert "2026-10-14 (books closed; booked on 2026-11-01)" in entry.description


def test_the_one_click_api_books_them_and_another_organization_cannot(
    qoyod, users_a, org_a, admin_b, django_capture_on_commit_callbacks
):
    run, closed, _open = closed_run(qoyod, org_a, django_capture_on_commit_callbacks)
    path = f"/api/v1/accounting/sync-runs/{run.pk}/book-on-open-day/"
    assert api_client_for(admin_b).post(path).status_code == 404
    closed.refresh_from_db()
    assert closed.status == "failed"
    with django_capture_on_commit_callbacks(execute=False):
        response = api_client_for(users_a[Role.ACCOUNTANT]).post(path)
    assert response.status_code == 202
    assert response.json()["retry_of"] == run.pk
    event = AuditEvent.objects.get(action="sync_run.booked_on_open_day")
    assert event.after == {"booked_on": "2026-11-01", "transactions": [closed.pk]}
    again = api_client_for(users_a[Role.ACCOUNTANT]).post(path)
    assert again.status_code == 409 and again.json()["code"] == "nothing_to_book"


def test_without_a_known_lock_date_the_one_click_is_refused(users_a, qoyod_org):
    org, expense = qoyod_org
    txn = make_transaction(org, status=TransactionStatus.FAILED, account=expense)
    run = start_run_with_failure(org, txn)
    response = api_client_for(users_a[Role.ACCOUNTANT]).post(
        f"/api/v1/accounting/sync-runs/{run.pk}/book-on-open-day/"
    )
    assert response.status_code == 409
    assert response.json()["code"] == "lock_date_unknown"


def start_run_with_failure(org, txn):
    run = SyncRun.objects.create(organization=org, total=1, status=SyncRunStatus.FAILED)
    SyncRunItem.objects.create(
        run=run,
        transaction=txn,
        outcome=SyncRunItemOutcome.FAILED,
        error="The books are closed on this transaction's date: ?",
        error_code="qoyod_closed",
    )
    return run


def test_the_one_click_is_in_the_api_schema(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").content.decode()
    assert "/api/v1/accounting/sync-runs/{run_id}/book-on-open-day/" in schema


# --- reconciliation --------------------------------------------------------------------------


def held(day):
    return HeldEntry(
        id="7",
        reference="SIFI-1",
        date=day,
        status="Draft",
        lines=(
            HeldLine("1038", "debit", Decimal("125.50")),
            HeldLine("1003", "credit", Decimal("125.50")),
        ),
    )


@pytest.fixture
def synced(qoyod_org):
    org, expense = qoyod_org
    return make_transaction(
        org,
        status=TransactionStatus.SYNCED,
        account=expense,
        journal_entry_id="7",
        transaction_date=datetime.date(2026, 10, 14),
        journal_entry_lines=[
            {"account": "1038", "side": "debit", "amount": "125.50"},
            {"account": "1003", "side": "credit", "amount": "125.50"},
        ],
    )


def test_an_entry_on_the_day_we_booked_it_matches(synced):
    synced.booked_on = OPEN_DAY
    dating = Dating(closed_until=LOCK)
    assert compare(synced, held(OPEN_DAY), [held(OPEN_DAY)], dating=dating) is None
    assert compare(synced, held(synced.transaction_date), [], dating=Dating()) is not None


def test_an_entry_moved_outside_the_policy_is_reported(synced):
    day = datetime.date(2026, 12, 5)
    finding = compare(synced, held(day), [], dating=Dating(closed_until=LOCK))
    assert finding is not None
    problem, _ids, detail = finding
    assert problem == ReconciliationProblem.MISMATCHED
    assert detail.startswith("date 2026-10-14 → 2026-12-05 (outside the posting-date policy")


def test_an_entry_moved_into_the_closed_period_is_reported(synced):
    synced.booked_on = OPEN_DAY
    moved_back = datetime.date(2026, 10, 20)
    finding = compare(synced, held(moved_back), [], dating=Dating(closed_until=LOCK))
    assert finding is not None
    _problem, _ids, detail = finding
    assert "date 2026-11-01 → 2026-10-20 (inside the closed period" in detail


def test_the_first_open_day_in_the_books_is_what_that_policy_allows(synced):
    first_open = Dating(closed_until=LOCK, policy=PostingDatePolicy.FIRST_OPEN_DAY)
    assert compare(synced, held(OPEN_DAY), [], dating=first_open) is None
    by_date = Dating(closed_until=LOCK, policy=PostingDatePolicy.TRANSACTION_DATE)
    assert compare(synced, held(OPEN_DAY), [], dating=by_date) is not None


# --- the lock date mirrored with the chart ----------------------------------------------------


def test_the_chart_sync_mirrors_odoos_lock_date(odoo_sandbox, admin_a, org_a):
    from integrations.config_sync import run_config_sync
    from integrations.jobs import start_config_sync
    from integrations.models import JobStatus
    from tests.providers.harnesses import OdooHarness

    OdooHarness(odoo_sandbox).connect(org_a)
    odoo_sandbox.configure(lock_date=LOCK.isoformat())
    job = run_config_sync(job_id=start_config_sync(actor=admin_a, organization=org_a).pk)
    assert job is not None and job.status == JobStatus.SUCCEEDED, job and job.error
    assert Integration.objects.get(organization=org_a).books_closed_until == LOCK
    odoo_sandbox.configure(lock_date="")
    run_config_sync(job_id=start_config_sync(actor=admin_a, organization=org_a).pk)
    assert Integration.objects.get(organization=org_a).books_closed_until is None


def test_a_day_learned_from_a_refusal_is_asked_again_and_forgotten_once_lifted(
    qoyod, org_a, django_capture_on_commit_callbacks
):
    """Books known only from their refusals are not second-guessed: their lock may have been
    lifted since, and the books say so by taking the entry."""
    org, expense = qoyod.connect(org_a)
    change_accounting_settings(
        organization=org, actor=None, posting_date_policy=PostingDatePolicy.FIRST_OPEN_DAY
    )
    Integration.objects.filter(organization=org).update(books_closed_until=LOCK)
    [txn] = verified(org, expense, 1, transaction_date=datetime.date(2026, 10, 14))
    with django_capture_on_commit_callbacks():
        run = start_sync_run(organization=org, actor=None)
    assert drain(run).status == SyncRunStatus.SUCCEEDED
    txn.refresh_from_db()
    assert txn.booked_on is None
    [entry] = qoyod.held_by_reference()[txn.reference]
    assert entry.date == datetime.date(2026, 10, 14)
    assert Integration.objects.get(organization=org).books_closed_until is None
