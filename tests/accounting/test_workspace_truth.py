"""The Accounting workspace says what is true (issue 25): the lists follow a run to its end,
the audit trail says what became of the receipts, runs read in words and plurals that fit,
filters refuse what cannot match, and the API answers JSON even for what it does not have."""

import datetime
import threading
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.db import connection, transaction
from django.utils import timezone

from accounting.models import (
    SyncRun,
    SyncRunItem,
    SyncRunItemOutcome,
    SyncRunStatus,
    TransactionStatus,
)
from accounting.services.runs import start_sync_run
from integrations.models import Integration
from sifi.models import AuditEvent, Role
from tests.accounting.sync_runs import drain, verified, with_receipt
from tests.factories import make_org, make_transaction, make_user
from tests.providers.harnesses import QoyodHarness


@pytest.fixture
def accountant_browser(client, users_a):
    client.force_login(users_a[Role.ACCOUNTANT])
    return client


def a_run(org, status, **fields):
    return SyncRun.objects.create(organization=org, status=status, total=1, **fields)


# --- 1. a page that learns a run's outcome draws its lists again ----------------------------------


@pytest.mark.parametrize(
    "status", [SyncRunStatus.SUCCEEDED, SyncRunStatus.FAILED, SyncRunStatus.STOPPED]
)
def test_the_progress_poll_that_sees_the_run_over_reloads_the_page(
    accountant_browser, org_a, status
):
    run = a_run(org_a, status)
    response = accountant_browser.get(f"/accounting/runs/{run.pk}/progress/")
    assert response.status_code == 200
    assert response["HX-Refresh"] == "true"


@pytest.mark.parametrize("status", [SyncRunStatus.QUEUED, SyncRunStatus.RUNNING])
def test_the_progress_of_a_run_still_going_keeps_polling_without_reloading(
    accountant_browser, org_a, status
):
    run = a_run(org_a, status)
    response = accountant_browser.get(f"/accounting/runs/{run.pk}/progress/")
    assert "HX-Refresh" not in response
    assert 'hx-trigger="every 1s"' in response.content.decode()


# --- 2. the audit trail says what became of the receipts ------------------------------------------


def synced_line(client, txn):
    event = AuditEvent.objects.get(target_id=txn.pk, action="transaction.synced")
    page = client.get(f"/accounting/transactions/{txn.pk}/").content.decode()
    history = page[page.index('data-testid="history"') :]
    return event, history


@pytest.mark.django_db
def test_the_synced_line_says_how_many_receipts_were_attached_or_that_there_were_none(
    qoyod_sandbox, client
):
    qoyod = QoyodHarness(qoyod_sandbox)
    org, marketing = qoyod.connect()
    attached, none = verified(org, marketing, 2)
    with_receipt(attached)
    run = start_sync_run(organization=org, actor=None)
    assert drain(run).status == SyncRunStatus.SUCCEEDED
    client.force_login(make_user(org, Role.ACCOUNTANT))
    event, history = synced_line(client, attached)
    assert event.after["receipts"] == 1 and event.after["receipts_attached"] == 1
    assert f"Synced: Qoyod entry {event.after['journal_entry_id']}, 1 receipt attached" in history
    event, history = synced_line(client, none)
    assert f"Synced: Qoyod entry {event.after['journal_entry_id']}, no receipts" in history
    assert "attached" not in history


@pytest.mark.django_db
def test_books_that_take_no_files_have_the_receipts_as_links_and_the_line_says_so(
    qoyod_sandbox, client
):
    qoyod = QoyodHarness(qoyod_sandbox)
    qoyod.without_attachments()
    org, marketing = qoyod.connect()
    txn = with_receipt(verified(org, marketing, 1)[0])
    run = start_sync_run(organization=org, actor=None)
    assert drain(run).status == SyncRunStatus.SUCCEEDED
    client.force_login(make_user(org, Role.ACCOUNTANT))
    event, history = synced_line(client, txn)
    assert event.after["receipts"] == 1 and event.after["receipts_attached"] == 0
    assert "1 receipt sent as a link" in history
    assert "attached" not in history


def test_an_older_synced_line_claims_nothing_about_receipts(accountant_browser, org_a):
    txn = make_transaction(org_a)
    AuditEvent.objects.create(
        organization=org_a,
        actor_label="system",
        action="transaction.synced",
        target_type="transaction",
        target_id=txn.pk,
        after={"status": "synced", "journal_entry_id": "433"},
    )
    page = accountant_browser.get(f"/accounting/transactions/{txn.pk}/").content.decode()
    assert "entry 433" in page and "receipts" not in page[page.index('data-testid="history"') :]


@pytest.mark.parametrize(
    ("receipts", "attached", "words"),
    [
        (0, 0, "Synced: Qoyod entry 433, no receipts"),
        (2, 2, "Synced: Qoyod entry 433, 2 receipts attached"),
        (2, 0, "Synced: Qoyod entry 433, 2 receipts sent as links"),
        (3, 1, "Synced: Qoyod entry 433, receipts: 1 attached, 2 sent as links"),
    ],
)
def test_the_synced_line_in_words(org_a, receipts, attached, words):
    from accounting.presenters import describe_event

    event = AuditEvent(
        organization=org_a,
        action="transaction.synced",
        after={"journal_entry_id": "433", "receipts": receipts, "receipts_attached": attached},
        created_at=timezone.now(),
    )
    assert describe_event(event, provider="Qoyod").sentence == words


# --- 7. runs in words that fit -------------------------------------------------------------------


def finished(org, *, seconds, status=SyncRunStatus.SUCCEEDED, **fields):
    end = timezone.now()
    return a_run(
        org,
        status,
        started_at=end - datetime.timedelta(seconds=seconds),
        finished_at=end,
        **fields,
    )


@pytest.mark.parametrize(
    ("seconds", "words"),
    [(0.4, "less than a second"), (1, "1 second"), (2, "2 seconds"), (180, "3 minutes")],
)
def test_how_long_a_run_took_is_said_in_the_unit_that_fits(
    accountant_browser, org_a, seconds, words
):
    run = finished(org_a, seconds=seconds)
    assert words in accountant_browser.get("/accounting/runs/").content.decode()
    page = accountant_browser.get(f"/accounting/runs/{run.pk}/").content.decode()
    assert f'<dd data-testid="run-took">{words}</dd>' in page
    assert "0\xa0minutes" not in page and "0 minutes" not in page


def test_a_run_of_one_transaction_says_one_transaction(
    accountant_browser, org_a, source_a, marketing_a, django_capture_on_commit_callbacks
):
    Integration.objects.filter(organization=org_a).update(secrets={"api_key": "qoyod-key"})
    make_transaction(org_a, status=TransactionStatus.VERIFIED, account=marketing_a)
    with django_capture_on_commit_callbacks():
        response = accountant_browser.post("/accounting/sync/", follow=True)
    assert "Sync run #1 started with 1 transaction." in response.content.decode()


@pytest.mark.parametrize(
    ("status", "bar"),
    [
        (SyncRunStatus.SUCCEEDED, "bar-succeeded"),
        (SyncRunStatus.FAILED, "bar-failed"),
        (SyncRunStatus.PARTIAL, "bar-partially_failed"),
    ],
)
def test_the_bar_of_a_run_says_how_it_went(accountant_browser, org_a, status, bar):
    run = a_run(org_a, status)
    page = accountant_browser.get(f"/accounting/runs/{run.pk}/").content.decode()
    assert f'<progress class="{bar}"' in page


def test_failing_bars_are_not_drawn_in_the_colour_of_success():
    css = (settings.BASE_DIR / "static/css/app.css").read_text()
    assert "progress.bar-failed::-webkit-progress-value { background:var(--bad); }" in css
    assert "progress.bar-failed::-moz-progress-bar { background:var(--bad); }" in css
    assert ".progress-box progress.bar-partially_failed::-webkit-progress-value" in css


def failed_in(run, org, account, code, error):
    txn = make_transaction(
        org, status=TransactionStatus.FAILED, account=account, error_code=code, status_reason=error
    )
    SyncRunItem.objects.create(
        run=run,
        transaction=txn,
        outcome=SyncRunItemOutcome.FAILED,
        error=error,
        error_code=code,
        attempts=3,
    )


def test_after_an_outage_the_hint_says_retry_later_not_assign_another_account(
    accountant_browser, org_a, source_a, marketing_a
):
    run = finished(org_a, seconds=5, status=SyncRunStatus.FAILED)
    failed_in(run, org_a, marketing_a, "qoyod_unavailable", "Qoyod could not be reached.")
    page = accountant_browser.get(f"/accounting/runs/{run.pk}/").content.decode()
    assert "could not be reached: retry later" in page
    assert "assign another account" not in page


def test_a_refused_entry_hints_to_fix_the_account_first(
    accountant_browser, org_a, source_a, marketing_a
):
    run = finished(org_a, seconds=5, status=SyncRunStatus.FAILED)
    failed_in(run, org_a, marketing_a, "qoyod_unavailable", "Qoyod could not be reached.")
    failed_in(run, org_a, marketing_a, "qoyod_validation", "Qoyod refused it: account locked.")
    hint = accountant_browser.get(f"/accounting/runs/{run.pk}/").content.decode()
    assert "for example assign another account" in hint
    assert "retry later" not in hint


@pytest.mark.django_db
def test_an_unreachable_provider_reads_as_sentences_without_doubled_brackets(
    qoyod_sandbox, settings
):
    settings.SYNC_RETRY_BASE_SECONDS = 0
    qoyod = QoyodHarness(qoyod_sandbox)
    org, marketing = qoyod.connect()
    [txn] = verified(org, marketing, 1)
    qoyod.inject("500", on="create", count=9)
    run = start_sync_run(organization=org, actor=None)
    assert drain(run).status == SyncRunStatus.FAILED
    txn.refresh_from_db()
    assert txn.status_reason.startswith("Qoyod could not be reached after 3 attempts: Qoyod ")
    assert txn.status_reason.endswith(". Retry the failed transactions later.")
    assert ".)" not in txn.status_reason and ".." not in txn.status_reason


def test_a_wait_too_short_to_notice_is_not_shown_as_waiting(org_a):
    from accounting.services.turns import _mark_waiting

    run = a_run(org_a, SyncRunStatus.RUNNING)
    _mark_waiting(org_a.pk, 0.4, window="minute")
    run.refresh_from_db()
    assert run.waiting_until is None and run.waiting_seconds == 0
    _mark_waiting(org_a.pk, 30, window="minute")
    run.refresh_from_db()
    assert run.waiting_seconds == 30 and run.waiting_window == "minute"
    _mark_waiting(org_a.pk, 0.3)  # paced again: the long wait is over
    run.refresh_from_db()
    assert run.waiting_until is None


# --- run numbers of each organization's own -------------------------------------------------------


def test_each_organization_numbers_its_runs_from_one(org_a, org_b):
    first_a, second_a = a_run(org_a, SyncRunStatus.SUCCEEDED), a_run(org_a, SyncRunStatus.FAILED)
    first_b = a_run(org_b, SyncRunStatus.SUCCEEDED)
    assert (first_a.number, second_a.number, first_b.number) == (1, 2, 1)
    assert first_b.pk == second_a.pk + 1  # ids stay shared; numbers do not


def test_pages_say_the_number_and_the_api_gives_both(
    accountant_browser, accountant_api, org_a, org_b
):
    a_run(org_b, SyncRunStatus.SUCCEEDED)
    first = a_run(org_a, SyncRunStatus.FAILED)
    retry = a_run(org_a, SyncRunStatus.SUCCEEDED, retry_of=first)
    page = accountant_browser.get(f"/accounting/runs/{retry.pk}/").content.decode()
    assert "<h1>Sync run #2</h1>" in page
    assert f'<a href="/accounting/runs/{first.pk}/">#1</a>' in page
    runs = accountant_browser.get("/accounting/runs/").content.decode()
    assert f'<a href="/accounting/runs/{retry.pk}/">#2</a>' in runs and "(retry of #1)" in runs
    progress = accountant_browser.get(f"/accounting/runs/{retry.pk}/progress/").content.decode()
    assert "Sync run #2:" in progress
    body = accountant_api.get(f"/api/v1/accounting/sync-runs/{retry.pk}/").json()
    assert (body["id"], body["number"]) == (retry.pk, 2)


@pytest.mark.django_db(transaction=True)
def test_runs_started_at_the_same_time_get_one_number_each():
    """Two runs of one organization created at once: the second waits for the first's number
    (without the lock both would read the same last number and one would fail)."""
    org = make_org()
    both_inside = threading.Barrier(2)
    numbers, errors = [], []

    def start():
        try:
            with transaction.atomic():
                both_inside.wait(timeout=5)
                run = a_run(org, SyncRunStatus.QUEUED)
                time.sleep(0.3)  # still uncommitted while the other one numbers its run
                numbers.append(run.number)
        except Exception as error:  # reported by the assertion below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=start) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == [] and sorted(numbers) == [1, 2]


# --- 11. filters that cannot match, the icon, the API's 404 ---------------------------------------


def test_a_minimum_above_the_maximum_is_an_error_at_the_field_not_an_empty_list(
    accountant_browser, org_a
):
    make_transaction(org_a)
    page = accountant_browser.get(
        "/accounting/", {"amount_min": "100", "amount_max": "10"}
    ).content.decode()
    assert (
        'name="amount_max" value="10" class="short" aria-invalid="true" '
        'aria-describedby="amount_max-error"><span class="error-text" id="amount_max-error" '
        'data-testid="filter-error">The maximum amount is below the minimum.</span>'
    ) in page
    assert '<li class="error">Max: The maximum amount is below the minimum.</li>' in page
    assert "amount_max:" not in page
    assert "Correct the filters above to see transactions." in page
    assert "Nothing here with these filters." not in page


def test_the_api_list_refuses_a_minimum_above_the_maximum_with_the_field(accountant_api, org_a):
    response = accountant_api.get(
        "/api/v1/accounting/transactions/", {"amount_min": "100", "amount_max": "10"}
    )
    assert response.status_code == 400
    assert response.json() == {"amount_max": ["The maximum amount is below the minimum."]}
    counts = accountant_api.get(
        "/api/v1/accounting/transactions/counts/", {"amount_min": "100", "amount_max": "10"}
    )
    assert counts.status_code == 400 and "amount_max" in counts.json()


def test_every_page_names_its_icon_and_the_usual_address_leads_to_it(accountant_browser):
    page = accountant_browser.get("/accounting/").content.decode()
    assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in page
    response = accountant_browser.get("/favicon.ico")
    assert response.status_code == 301 and response["Location"] == "/static/favicon.svg"
    icon = finders.find("favicon.svg")
    assert icon and Path(icon).read_text().startswith("<svg")


UNKNOWN_API_ADDRESSES = [
    "/api/",
    "/api/nope/",
    "/api/v1/",
    "/api/v1/nope/",
    "/api/v1/accounting/nope/",
    "/api/v1/accounting/transactions/not-a-number/",
    "/api/v2/accounting/transactions/",
    "/api/docs/nope/",
    "/api/v1/nope",  # without its slash: sent to the address with one, then the JSON 404
]


@pytest.mark.parametrize("debug", [False, True])
@pytest.mark.parametrize("path", UNKNOWN_API_ADDRESSES)
def test_every_404_under_the_api_is_json_with_debug_on_or_off(
    accountant_api, settings, debug, path
):
    settings.DEBUG = debug
    for method in ("get", "post", "delete"):
        if method != "get" and not path.endswith("/"):
            continue  # Django refuses to redirect a POST that lost its slash (DEBUG: an error)
        response = getattr(accountant_api, method)(path, follow=True)
        assert response.status_code == 404, (method, path)
        assert response["Content-Type"] == "application/json", (method, path)
        assert response.json()["detail"].startswith("Not found."), (method, path)


def test_an_object_that_is_not_there_is_a_json_404_too(accountant_api, settings):
    settings.DEBUG = True
    response = accountant_api.get("/api/v1/accounting/sync-runs/999999/")
    assert response.status_code == 404 and response.json() == {"detail": "No such sync run."}


@pytest.mark.parametrize(
    ("supported", "words"),
    [(True, "attached in Qoyod"), (False, "linked from the entry in Qoyod")],
)
def test_the_receipts_section_says_attached_as_the_audit_line_does(
    accountant_browser, org_a, source_a, marketing_a, supported, words
):
    """Books that take files got each receipt, even when they answered no id for it (the
    audit line says "attached"); books that take none have the links only."""
    Integration.objects.filter(organization=org_a).update(attachments_supported=supported)
    txn = with_receipt(
        make_transaction(
            org_a, status=TransactionStatus.SYNCED, account=marketing_a, journal_entry_id="433"
        )
    )
    txn.documents.update(attached_at=timezone.now(), external_attachment_id=None)
    page = accountant_browser.get(f"/accounting/transactions/{txn.pk}/").content.decode()
    assert f"receipt.pdf</a> (15\xa0bytes) — {words}" in page
