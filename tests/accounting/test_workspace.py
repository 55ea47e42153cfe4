"""The Accounting workspace at real scale (issue 17): account search instead of a chart in
every page, keyset pages, sync run pages, the audit trail in words, entries where they live,
and amounts nobody misreads."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from accounting.models import (
    SyncRun,
    SyncRunItem,
    SyncRunItemOutcome,
    SyncRunStatus,
    Transaction,
    TransactionStatus,
)
from accounting.services.verification import assign_account
from sifi.models import AuditEvent, Role
from tests.factories import api_client_for, make_account, make_org, make_transaction, make_user

SEARCH = "/api/v1/accounting/accounts/search/"


@pytest.fixture
def accountant_browser(client, users_a):
    client.force_login(users_a[Role.ACCOUNTANT])
    return client


# --- account search ------------------------------------------------------------------------------


def test_accounts_are_found_by_code_english_or_arabic_name_most_used_first(
    accountant_api, org_a, source_a, marketing_a
):
    travel = make_account(org_a, code="5305", name_en="Travel", name_ar="سفر وتنقلات")
    make_account(org_a, code="5306", name_en="Travel - Hotels", name_ar="فنادق")
    assert [a["code"] for a in accountant_api.get(SEARCH, {"q": "530"}).json()] == ["5305", "5306"]
    assert [a["code"] for a in accountant_api.get(SEARCH, {"q": "تسويق"}).json()] == ["5201"]
    assert [a["code"] for a in accountant_api.get(SEARCH, {"q": "hotel"}).json()] == ["5306"]
    for _ in range(2):  # the organization keeps choosing Travel
        txn = make_transaction(org_a)
        assign_account(organization=org_a, actor=None, transaction_id=txn.pk, account_id=travel.pk)
    first = accountant_api.get(SEARCH, {"q": "travel"}).json()[0]
    assert (first["code"], first["text"]) == ("5305", "5305 · Travel")
    assert accountant_api.get(SEARCH).json()[0]["code"] == "5305"  # before typing: most used


def test_search_leaves_out_the_wallet_headings_inactive_and_other_organizations(
    accountant_api, org_a, org_b, source_a
):
    make_account(org_a, code="5", name_en="Expenses", is_heading=True)
    make_account(org_a, code="5999", name_en="Old expenses", active=False)
    make_account(org_b, code="5100", name_en="Their expenses")
    codes = [a["code"] for a in accountant_api.get(SEARCH, {"q": ""}).json()]
    assert codes == []  # the wallet is the only posting account, and it is the other side
    sources = [a["code"] for a in accountant_api.get(SEARCH, {"purpose": "source"}).json()]
    assert sources == [source_a.code]


def test_search_answers_at_most_twenty_and_refuses_bad_input(accountant_api, org_a, users_a):
    for n in range(30):
        make_account(org_a, code=f"6{n:03d}", name_en=f"Line {n}")
    assert len(accountant_api.get(SEARCH, {"q": "6"}).json()) == 20
    assert len(accountant_api.get(SEARCH, {"q": "6", "limit": 5}).json()) == 5
    assert accountant_api.get(SEARCH, {"q": "a\x00"}).status_code == 400
    assert accountant_api.get(SEARCH, {"limit": 500}).status_code == 400
    employee = api_client_for(users_a[Role.EMPLOYEE])
    assert employee.get(SEARCH, {"q": "6"}).status_code == 403


def test_no_page_carries_the_chart(accountant_browser, client, users_a, org_a, source_a):
    """300 accounts in the chart: neither the Accounting page (with rows to assign) nor the
    configuration page embeds any of them; the pickers search instead."""
    for n in range(300):
        make_account(org_a, code=f"7{n:03d}", name_en=f"Chart line {n}")
    for _ in range(60):
        make_transaction(org_a)
    page = accountant_browser.get("/accounting/?tab=expenses").content.decode()
    assert page.count("data-account-picker") == 51  # 50 rows and the bulk form
    assert page.count("Chart line") == 0
    client.force_login(users_a[Role.ADMIN])
    from integrations.models import Integration

    Integration.objects.filter(organization=org_a).update(secrets={"api_key": "k"})
    settings_page = client.get("/settings/integrations/qoyod/").content.decode()
    assert settings_page.count("Chart line") == 0


def test_without_javascript_a_typed_account_code_assigns(
    accountant_browser, org_a, marketing_a, source_a
):
    txn = make_transaction(org_a)
    response = accountant_browser.post(
        "/accounting/assign/",
        {"transaction": txn.pk, "account": "", "account_code": "5201"},
        follow=True,
    )
    assert f"{txn.reference} verified with 5201 · Marketing Expenses." in response.content.decode()
    other = make_transaction(org_a)
    response = accountant_browser.post(
        "/accounting/assign/",
        {"transaction": other.pk, "account": "", "account_code": "9999"},
        follow=True,
    )
    assert "No posting account has the code 9999" in response.content.decode()
    other.refresh_from_db()
    assert other.status == TransactionStatus.UNVERIFIED


# --- pages of a long list ---------------------------------------------------------------------


def test_older_and_newer_pages_follow_each_other_without_counting(
    accountant_browser, org_a, source_a
):
    now = timezone.now()
    made = [
        make_transaction(
            org_a, occurred_at=now - datetime.timedelta(minutes=n), merchant=f"M{n:03d}"
        )
        for n in range(120)
    ]
    first = accountant_browser.get("/accounting/?tab=expenses")
    rows = first.context["page"].rows
    assert [t.merchant for t in rows] == [f"M{n:03d}" for n in range(50)]
    second = accountant_browser.get(
        "/accounting/", {"tab": "expenses", "after": first.context["page"].older}
    )
    assert [t.merchant for t in second.context["page"].rows] == [
        f"M{n:03d}" for n in range(50, 100)
    ]
    back = accountant_browser.get(
        "/accounting/", {"tab": "expenses", "before": second.context["page"].newer}
    )
    assert [t.merchant for t in back.context["page"].rows] == [f"M{n:03d}" for n in range(50)]
    last = accountant_browser.get(
        "/accounting/", {"tab": "expenses", "after": second.context["page"].older}
    )
    assert len(last.context["page"].rows) == 20 and last.context["page"].older == ""
    garbage = accountant_browser.get("/accounting/", {"tab": "expenses", "after": "nonsense"})
    assert garbage.status_code == 200 and garbage.context["page"].rows[0].pk == made[0].pk


def test_the_bulk_confirmation_gets_the_exact_count_of_the_filter(
    accountant_browser, org_a, source_a
):
    from accounting.models import Budget

    campaign = Budget.objects.create(organization=org_a, name="Marketing Campaign 2025")
    for _ in range(7):
        make_transaction(org_a, budget=campaign)
    make_transaction(org_a)
    counted = accountant_browser.get(
        "/accounting/matching-count/", {"tab": "expenses", "budget": campaign.name}
    ).json()
    assert counted == {"count": 7}
    bad = accountant_browser.get(
        "/accounting/matching-count/", {"tab": "expenses", "amount_min": "x"}
    )
    assert bad.status_code == 400


# --- sync runs ------------------------------------------------------------------------------------


@pytest.fixture
def finished_run(org_a, source_a, marketing_a, users_a):
    from integrations.models import Integration

    Integration.objects.filter(organization=org_a).update(secrets={"api_key": "qoyod-key"})
    run = SyncRun.objects.create(
        organization=org_a,
        status=SyncRunStatus.PARTIAL,
        total=2,
        started_by=users_a[Role.ACCOUNTANT],
        started_at=timezone.now() - datetime.timedelta(minutes=3),
        finished_at=timezone.now(),
    )
    synced = make_transaction(
        org_a,
        status=TransactionStatus.SYNCED,
        account=marketing_a,
        journal_entry_id="416",
        journal_entry_status="Draft",
    )
    failed = make_transaction(
        org_a,
        status=TransactionStatus.FAILED,
        account=marketing_a,
        status_reason="Qoyod refused it: account is locked.",
        error_code="qoyod_validation",
    )
    SyncRunItem.objects.create(
        run=run, transaction=synced, outcome=SyncRunItemOutcome.SUCCEEDED, journal_entry_id="416"
    )
    SyncRunItem.objects.create(
        run=run,
        transaction=failed,
        outcome=SyncRunItemOutcome.FAILED,
        error="Qoyod refused it: account is locked.",
        error_code="qoyod_validation",
    )
    return run, synced, failed


def test_the_runs_page_lists_who_when_how_it_went_and_how_long(accountant_browser, finished_run):
    run, _synced, _failed = finished_run
    page = accountant_browser.get("/accounting/runs/").content.decode()
    assert f"#{run.number}<" in page and "Partially failed" in page and "3 minutes" in page
    row = page[page.index(f"#{run.number}<") :]
    assert '<td class="num">1</td><td class="num">1</td><td class="num">0</td>' in row


def test_a_run_page_says_why_each_failure_and_what_to_do_then_retries_it(
    accountant_browser, finished_run, django_capture_on_commit_callbacks
):
    run, _synced, failed = finished_run
    page = accountant_browser.get(f"/accounting/runs/{run.pk}/").content.decode()
    assert (
        "Failed: Qoyod refused it: account is locked. Fix the account or the transaction, "
        "then retry." in page
    )
    assert "Qoyod entry #416 · Draft" in page
    failed_only = accountant_browser.get(f"/accounting/runs/{run.pk}/", {"outcome": "failed"})
    assert failed_only.content.decode().count('data-testid="run-item"') == 1
    with django_capture_on_commit_callbacks():
        response = accountant_browser.post("/accounting/runs/retry-failed/", {"run": run.pk})
    retry = SyncRun.objects.get(retry_of=run)
    assert response.url == f"/accounting/runs/{retry.pk}/"
    assert retry.total == 1
    failed.refresh_from_db()
    assert failed.status == TransactionStatus.SYNCING and failed.sync_run == retry


def test_the_failed_tab_retries_selected_or_all(
    accountant_browser, org_a, finished_run, marketing_a, django_capture_on_commit_callbacks
):
    _run, _synced, failed = finished_run
    another = make_transaction(org_a, status=TransactionStatus.FAILED, account=marketing_a)
    page = accountant_browser.get("/accounting/?tab=failed").content.decode()
    assert 'data-testid="retry-selected"' in page and 'data-testid="retry-all"' in page
    with django_capture_on_commit_callbacks():
        accountant_browser.post("/accounting/retry-failed/", {"scope": "ids", "ids": [another.pk]})
    another.refresh_from_db()
    failed.refresh_from_db()
    assert another.status == TransactionStatus.SYNCING and failed.status == TransactionStatus.FAILED
    with django_capture_on_commit_callbacks():
        accountant_browser.post("/accounting/retry-failed/", {"scope": "all"})
    failed.refresh_from_db()
    assert failed.status == TransactionStatus.SYNCING
    response = accountant_browser.post("/accounting/retry-failed/", {"scope": "all"}, follow=True)
    assert "No failed transactions to retry." in response.content.decode()


def test_another_organization_cannot_see_or_retry_a_run(client, finished_run):
    run, _synced, _failed = finished_run
    client.force_login(make_user(make_org(), Role.ADMIN))
    assert client.get(f"/accounting/runs/{run.pk}/").status_code == 404
    response = client.post("/accounting/runs/retry-failed/", {"run": run.pk}, follow=True)
    assert SyncRun.objects.filter(retry_of=run).count() == 0
    assert response.status_code in (200, 404)


# --- the audit trail in words ---------------------------------------------------------------------


def history_of(client, txn):
    page = client.get(f"/accounting/transactions/{txn.pk}/").content.decode()
    return page[page.index('data-testid="history"') :]


def test_the_audit_trail_reads_as_sentences_in_english_and_arabic(
    accountant_browser, org_a, source_a, marketing_a, users_a
):
    accountant = users_a[Role.ACCOUNTANT]
    accountant.first_name, accountant.last_name = "Sara", "Al-Otaibi"
    accountant.save()
    travel = make_account(org_a, code="5305", name_en="Travel")
    txn = make_transaction(org_a)
    assign_account(
        organization=org_a, actor=accountant, transaction_id=txn.pk, account_id=marketing_a.pk
    )
    assign_account(
        organization=org_a, actor=accountant, transaction_id=txn.pk, account_id=travel.pk
    )
    AuditEvent.objects.create(
        organization=org_a,
        actor=None,
        actor_label="system",
        action="transaction.journal_entry_created",
        target_type="transaction",
        target_id=txn.pk,
        after={"journal_entry_id": "416", "status": "Draft", "adopted": False},
    )
    AuditEvent.objects.create(
        organization=org_a,
        actor=None,
        actor_label="system",
        action="transaction.sync_failed",
        target_type="transaction",
        target_id=txn.pk,
        before={"status": "syncing"},
        after={
            "status": "failed",
            "error": "Qoyod refused it: account is locked.",
            "code": "qoyod_validation",
        },
    )
    history = history_of(accountant_browser, txn)
    assert f"Assigned to 5201 · Marketing Expenses by {accountant.username}" in history
    assert (
        f"Reassigned from 5201 · Marketing Expenses to 5305 · Travel by {accountant.username}"
        in history
    )
    assert "Status: Unverified → Verified" in history
    assert "Sent to Qoyod as draft entry 416 (Draft)" in history
    assert (
        "Failed: Qoyod refused it: account is locked. Fix the account or the transaction" in history
    )
    assert "{" not in history and "transaction.assigned" not in history

    accountant_browser.cookies["django_language"] = "ar"
    arabic = history_of(accountant_browser, txn)
    assert "أُسندت إلى 5201 · Marketing Expenses بواسطة" in arabic
    assert "أُرسلت إلى قيود كقيد مسودة رقم 416" in arabic
    assert "الحالة: غير محققة → تم التحقق" in arabic


# --- entries where they live, amounts nobody misreads ----------------------------------------


def test_synced_entries_link_to_the_provider_where_its_address_is_known(
    accountant_browser, org_a, source_a, marketing_a, settings
):
    txn = make_transaction(
        org_a,
        status=TransactionStatus.SYNCED,
        account=marketing_a,
        journal_entry_id="416",
        journal_entry_status="Draft",
    )
    listed = accountant_browser.get("/accounting/?tab=synced").content.decode()
    assert "Qoyod entry #416 · Draft" in listed and "entry-link" not in listed
    settings.QOYOD_ENTRY_URL = "https://qoyod.example/journal_entries/{id}"
    listed = accountant_browser.get("/accounting/?tab=synced").content.decode()
    assert 'href="https://qoyod.example/journal_entries/416"' in listed
    detail = accountant_browser.get(f"/accounting/transactions/{txn.pk}/").content.decode()
    assert 'href="https://qoyod.example/journal_entries/416"' in detail


def test_amounts_read_the_same_in_arabic(accountant_browser, org_a, source_a):
    txn = make_transaction(org_a, amount=Decimal("12482.48"), vat_amount=Decimal("1628.15"))
    accountant_browser.cookies["django_language"] = "ar"
    listed = accountant_browser.get("/accounting/?tab=expenses").content.decode()
    assert "12,482.48 SAR" in listed and "482,48" not in listed
    detail = accountant_browser.get(f"/accounting/transactions/{txn.pk}/").content.decode()
    assert "12,482.48 SAR" in detail and "1,628.15" in detail
    assert Transaction.objects.get(pk=txn.pk).amount == Decimal("12482.48")


def test_retry_failed_takes_the_ones_reassigned_since_too(
    accountant_browser, finished_run, org_a, django_capture_on_commit_callbacks
):
    run, synced, failed = finished_run
    fixed = make_account(org_a, code="5305", name_en="Travel")
    assign_account(organization=org_a, actor=None, transaction_id=failed.pk, account_id=fixed.pk)
    with django_capture_on_commit_callbacks():
        accountant_browser.post("/accounting/runs/retry-failed/", {"run": run.pk})
    retry = SyncRun.objects.get(retry_of=run)
    failed.refresh_from_db()
    synced.refresh_from_db()
    assert (retry.total, failed.sync_run, failed.account) == (1, retry, fixed)
    assert synced.status == TransactionStatus.SYNCED  # what is in the books stays out
