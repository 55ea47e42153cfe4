"""Reconciliation (SPEC §5): what Qoyod holds now against what we sent, over real HTTP
against the sandbox after a Qoyod accountant deleted, duplicated and changed entries."""

import datetime

import pytest

from accounting.models import Reconciliation, ReconciliationItem
from accounting.services.reconciliation import run_reconciliation
from accounting.services.runs import start_reconciliation, start_sync_run
from integrations.providers.qoyod.payloads import JournalEntryDraft, JournalEntryLine
from integrations.providers.qoyod.provider import open_qoyod_client
from sifi.models import Role
from tests.accounting.sync_runs import drain, verified
from tests.factories import api_client_for, make_org, make_user
from tests.fakes.sandbox import MARKETING, WALLET, connected_org, entries_by_reference

pytestmark = pytest.mark.django_db
DAY = datetime.date(2025, 3, 10)


def synced(sandbox, django_capture_on_commit_callbacks, count=6):
    org, marketing = connected_org(sandbox)
    txns = verified(org, marketing, count, transaction_date=DAY)
    with django_capture_on_commit_callbacks():
        run = start_sync_run(organization=org, actor=None)
    assert drain(run).status == "succeeded"
    return org, txns


def reconcile(org, date_from=DAY, date_to=DAY):
    reconciliation = Reconciliation.objects.create(
        organization=org, date_from=date_from, date_to=date_to
    )
    return run_reconciliation(reconciliation_id=reconciliation.pk)


def test_deleted_duplicated_and_changed_entries_are_found_and_the_rest_match(
    qoyod_sandbox, django_capture_on_commit_callbacks
):
    org, txns = synced(qoyod_sandbox, django_capture_on_commit_callbacks)
    deleted, duplicated, changed, moved, relined, untouched = txns
    entries = {ref: found[0] for ref, found in entries_by_reference(qoyod_sandbox).items()}
    qoyod_sandbox.delete_entry(entries[deleted.reference]["id"])
    with open_qoyod_client(api_key=qoyod_sandbox.demo_key) as client:
        client.create_journal_entry(  # someone entered it again by hand, same reference
            JournalEntryDraft(
                description=f"[{duplicated.reference}] copy",
                date=DAY,
                debit_lines=(JournalEntryLine(MARKETING, duplicated.amount),),
                credit_lines=(JournalEntryLine(WALLET, duplicated.amount),),
            )
        )
    qoyod_sandbox.change_entry(
        entries[changed.reference]["id"],
        debit_amounts=[{"account_id": MARKETING, "amount": "130.00"}],
        credit_amounts=[{"account_id": WALLET, "amount": "130.00"}],
    )
    qoyod_sandbox.change_entry(entries[moved.reference]["id"], date="2025-04-02")
    qoyod_sandbox.change_entry(
        entries[relined.reference]["id"],
        debit_amounts=[{"account_id": 1039, "amount": f"{relined.amount:.2f}"}],
    )

    done = reconcile(org)
    assert done.status == "succeeded", done.error
    assert (done.checked, done.matched) == (6, 1)
    assert (done.missing, done.duplicated, done.mismatched) == (1, 1, 3)
    found = {item.transaction_id: item for item in ReconciliationItem.objects.all()}
    assert untouched.pk not in found
    assert found[deleted.pk].problem == "missing"
    assert "deleted" in found[deleted.pk].detail
    assert found[duplicated.pk].problem == "duplicated"
    assert len(found[duplicated.pk].journal_entry_ids) == 2
    assert found[changed.pk].problem == "mismatched"
    assert f"amount {changed.amount:.2f} → 130.00" in found[changed.pk].detail
    assert found[moved.pk].problem == "mismatched"  # found by its id, outside the range
    assert "date 2025-03-10 → 2025-04-02" in found[moved.pk].detail
    assert "lines differ" in found[relined.pk].detail and "1039" in found[relined.pk].detail


def test_only_synced_transactions_in_the_range_are_checked(
    qoyod_sandbox, django_capture_on_commit_callbacks
):
    org, _txns = synced(qoyod_sandbox, django_capture_on_commit_callbacks, count=2)
    done = reconcile(org, DAY + datetime.timedelta(days=1), DAY + datetime.timedelta(days=30))
    assert (done.status, done.checked, done.matched) == ("succeeded", 0, 0)


def test_a_revoked_key_fails_the_reconciliation_with_the_reason(
    qoyod_sandbox, django_capture_on_commit_callbacks
):
    org, _txns = synced(qoyod_sandbox, django_capture_on_commit_callbacks, count=1)
    qoyod_sandbox.revoke()
    done = reconcile(org)
    assert done.status == "failed" and "rejected this API key" in done.error


def test_the_api_starts_one_and_reports_it_per_spec(
    qoyod_sandbox, django_capture_on_commit_callbacks
):
    org, txns = synced(qoyod_sandbox, django_capture_on_commit_callbacks, count=2)
    qoyod_sandbox.delete_entry(entries_by_reference(qoyod_sandbox)[txns[0].reference][0]["id"])
    api = api_client_for(make_user(org, Role.ACCOUNTANT))
    with django_capture_on_commit_callbacks() as queued:
        response = api.post(
            "/api/v1/accounting/reconciliations/",
            {"date_from": "2025-03-01", "date_to": "2025-03-31"},
            format="json",
        )
    assert response.status_code == 202 and response.json()["status"] == "queued"
    assert len(queued) == 1
    run_reconciliation(reconciliation_id=response.json()["id"])
    body = api.get(f"/api/v1/accounting/reconciliations/{response.json()['id']}/").json()
    assert {key: body[key] for key in ("status", "checked", "matched", "missing")} == {
        "status": "succeeded",
        "checked": 2,
        "matched": 1,
        "missing": 1,
    }
    [item] = body["items"]
    assert item["transaction"] == txns[0].pk and item["reference"] == txns[0].reference
    assert item["problem"] == "missing" and item["journal_entry_ids"]
    other = api_client_for(make_user(make_org(), Role.ADMIN))
    assert other.get(f"/api/v1/accounting/reconciliations/{body['id']}/").status_code == 404


@pytest.mark.parametrize(
    ("dates", "field"),
    [
        ({"date_from": "2025-03-31", "date_to": "2025-03-01"}, "date_to"),
        ({"date_from": "2024-01-01", "date_to": "2025-03-01"}, "date_to"),
        ({"date_from": "2025-03-01"}, "date_to"),
        ({"date_from": "yesterday", "date_to": "2025-03-01"}, "date_from"),
    ],
)
def test_a_bad_range_is_a_400_and_starts_nothing(qoyod_sandbox, dates, field):
    org, _marketing = connected_org(qoyod_sandbox)
    api = api_client_for(make_user(org, Role.ACCOUNTANT))
    response = api.post("/api/v1/accounting/reconciliations/", dates, format="json")
    assert response.status_code == 400 and field in response.json()
    assert not Reconciliation.objects.exists()


def test_without_a_connection_it_says_what_to_do(admin_a):
    response = api_client_for(admin_a).post(
        "/api/v1/accounting/reconciliations/",
        {"date_from": "2025-03-01", "date_to": "2025-03-31"},
        format="json",
    )
    assert response.status_code == 409 and response.json()["code"] == "not_connected"


def test_asking_again_while_one_runs_gives_the_running_one(qoyod_sandbox):
    org, _marketing = connected_org(qoyod_sandbox)
    first = start_reconciliation(organization=org, actor=None, date_from=DAY, date_to=DAY)
    again = start_reconciliation(organization=org, actor=None, date_from=DAY, date_to=DAY)
    assert again.pk == first.pk and Reconciliation.objects.count() == 1


def test_the_nightly_run_reconciles_the_last_35_days_of_auto_sync_organizations(
    qoyod_sandbox, django_capture_on_commit_callbacks
):
    from integrations.models import Integration
    from integrations.services import start_nightly_reconciliations

    auto, _marketing = connected_org(qoyod_sandbox)
    manual, _marketing = connected_org(qoyod_sandbox)
    Integration.objects.filter(organization=auto).update(auto_sync=True)
    with django_capture_on_commit_callbacks() as queued:
        started = start_nightly_reconciliations(today=datetime.date(2025, 3, 31))
    [reconciliation] = Reconciliation.objects.filter(pk__in=started)
    assert reconciliation.organization == auto and reconciliation.trigger == "nightly"
    assert (reconciliation.date_from, reconciliation.date_to) == (
        datetime.date(2025, 2, 25),
        datetime.date(2025, 3, 31),
    )
    assert len(queued) == 1
    assert not Reconciliation.objects.filter(organization=manual).exists()


def test_findings_show_as_a_banner_until_someone_has_seen_the_report(
    qoyod_sandbox, django_capture_on_commit_callbacks, client
):
    org, txns = synced(qoyod_sandbox, django_capture_on_commit_callbacks, count=2)
    qoyod_sandbox.delete_entry(entries_by_reference(qoyod_sandbox)[txns[0].reference][0]["id"])
    client.force_login(make_user(org, Role.ACCOUNTANT))
    assert b"reconciliation-banner" not in client.get("/accounting/").content
    with django_capture_on_commit_callbacks():
        response = client.post(
            "/accounting/reconciliations/start/",
            {"date_from": "2025-03-01", "date_to": "2025-03-31"},
        )
    reconciliation = Reconciliation.objects.get(organization=org)
    assert response.url == f"/accounting/reconciliations/{reconciliation.pk}/"
    run_reconciliation(reconciliation_id=reconciliation.pk)

    page = client.get("/accounting/").content.decode()
    assert "Reconciliation of 2025-03-01 to 2025-03-31: 1 missing, 0 duplicated" in page
    report = client.get(response.url).content.decode()
    assert f'href="/accounting/transactions/{txns[0].pk}/"' in report
    assert "deleted" in report and "Missing" in report
    client.post("/accounting/reconciliations/dismiss/", {"reconciliation": reconciliation.pk})
    assert b"reconciliation-banner" not in client.get("/accounting/").content
    listing = client.get("/accounting/reconciliations/").content.decode()
    assert "2025-03-01 → 2025-03-31" in listing


def test_a_bad_range_on_the_page_is_a_message_not_an_error_page(qoyod_sandbox, client):
    org, _marketing = connected_org(qoyod_sandbox)
    client.force_login(make_user(org, Role.ACCOUNTANT))
    response = client.post(
        "/accounting/reconciliations/start/",
        {
            "date_from": "2025-03-31",
            "date_to": "2025-03-01",
            "next": "/accounting/reconciliations/",
        },
        follow=True,
    )
    assert response.status_code == 200
    assert "The end date is before the start date." in response.content.decode()
    assert not Reconciliation.objects.exists()
