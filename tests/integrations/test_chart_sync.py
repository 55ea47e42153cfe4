"""SPEC §3.4-3.6: the configuration sync job, re-sync as an upsert, auto sync, one at a time."""

from datetime import timedelta

import httpx
import pytest
import respx
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounting.models import Account
from integrations.config_sync import run_config_sync
from integrations.jobs import start_config_sync
from integrations.models import ConnectionStatus, Integration, Job, JobStatus, Vendor
from integrations.providers.qoyod.payloads import parent_codes
from integrations.tasks import run_nightly_auto_sync
from sifi.celery import app as celery_app
from sifi.models import AuditEvent
from tests.factories import api_client_for, make_org
from tests.integrations.qoyod_payloads import (
    QOYOD,
    account_row,
    accounts_body,
    small_chart,
    vendors_body,
)

KEY = "qoyod-key-for-sync-7777"


@pytest.fixture
def eager_celery():
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = False


def connected_integration(organization, key=KEY, **fields) -> Integration:
    return Integration.objects.create(
        provider="qoyod",
        organization=organization,
        status=ConnectionStatus.CONNECTED,
        secrets={"api_key": key},
        secret_hint=key[-4:],
        attributes=["accounts"],
        **fields,
    )


def chart_by_code(organization) -> dict[str, Account]:
    return {a.code: a for a in Account.objects.filter(organization=organization)}


def test_parents_come_from_the_longest_code_prefix():
    assert parent_codes(["1", "11", "1101", "110101", "5", "5101", "6"]) == {
        "11": "1",
        "1101": "11",
        "110101": "1101",
        "5101": "5",
    }


def test_continue_starts_a_job_whose_progress_the_user_can_watch(
    admin_a, org_a, eager_celery, django_capture_on_commit_callbacks
):
    connected_integration(org_a)
    client = api_client_for(admin_a)
    with respx.mock(base_url=QOYOD) as mock:
        mock.get("/accounts").respond(200, json=accounts_body(small_chart()))
        mock.get("/vendors").respond(200, json=vendors_body())
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                "/api/v1/integrations/qoyod/sync/", {"attributes": ["vendors"]}, format="json"
            )
    assert response.status_code == 202
    job_id = response.json()["id"]
    job = client.get(f"/api/v1/jobs/{job_id}/").json()
    assert job["status"] == "succeeded"
    assert job["done"] == job["total"] == len(small_chart()) + 2
    chart = chart_by_code(org_a)
    assert chart["5101"].name_ar == "مصاريف تسويق"
    assert chart["5101"].parent == chart["51"]
    assert chart["51"].parent == chart["5"]
    assert chart["1101"].receive_payments is True
    assert Vendor.objects.filter(organization=org_a).count() == 2
    integration = Integration.objects.get(organization=org_a)
    assert integration.attributes == ["accounts", "vendors"]
    assert integration.last_sync_status == "succeeded"
    assert integration.last_sync_at is not None


def test_unknown_attribute_is_a_400(admin_a, org_a):
    connected_integration(org_a)
    response = api_client_for(admin_a).post(
        "/api/v1/integrations/qoyod/sync/", {"attributes": ["invoices"]}, format="json"
    )
    assert response.status_code == 400
    assert "attributes" in response.json()
    assert not Job.objects.exists()


def test_resync_updates_renames_adds_new_and_deactivates_removed(admin_a, org_a):
    integration = connected_integration(org_a)
    with respx.mock(base_url=QOYOD) as mock:
        route = mock.get("/accounts")
        route.respond(200, json=accounts_body(small_chart()))
        run_config_sync(job_id=start_config_sync(actor=admin_a, organization=org_a).pk)

        changed = [row for row in small_chart() if row["code"] != "5103"]  # removed upstream
        for row in changed:
            if row["code"] == "5101":
                row["name_en"] = "Marketing & Advertising"
        changed.append(account_row(9, "5104", "Software Subscriptions", "اشتراكات برمجيات"))
        route.respond(200, json=accounts_body(changed))
        job = run_config_sync(job_id=start_config_sync(actor=admin_a, organization=org_a).pk)

    assert job is not None
    assert job.status == JobStatus.SUCCEEDED
    chart = chart_by_code(org_a)
    assert chart["5101"].name_en == "Marketing & Advertising"
    assert chart["5104"].active and chart["5104"].parent == chart["51"]
    assert chart["5103"].active is False  # kept, never deleted
    assert Account.objects.filter(organization=org_a).count() == len(small_chart()) + 1
    integration.refresh_from_db()
    assert "1 new" in integration.last_sync_message
    assert "1 removed" in integration.last_sync_message


def test_synced_accounts_carry_the_providers_id_as_external_id_and_qoyod_id(admin_a, org_a):
    """SPEC §8: every provider's accounts carry `external_id`; Qoyod's keep `qoyod_id`."""
    connected_integration(org_a)
    with respx.mock(base_url=QOYOD) as mock:
        mock.get("/accounts").respond(200, json=accounts_body(small_chart()))
        run_config_sync(job_id=start_config_sync(actor=admin_a, organization=org_a).pk)
    rows = api_client_for(admin_a).get("/api/v1/integrations/qoyod/accounts/").json()["results"]
    upstream = {row["code"]: int(row["id"]) for row in small_chart()}
    assert {row["code"]: row["external_id"] for row in rows} == {
        code: str(qoyod_id) for code, qoyod_id in upstream.items()
    }
    # `qoyod_id` keeps what it always was: Qoyod's id, a number.
    assert {row["code"]: row["qoyod_id"] for row in rows} == upstream
    assert set(Account.objects.filter(organization=org_a).values_list("provider", flat=True)) == {
        "qoyod"
    }


def test_account_that_comes_back_upstream_is_active_again(admin_a, org_a):
    connected_integration(org_a)
    with respx.mock(base_url=QOYOD) as mock:
        route = mock.get("/accounts")
        route.respond(200, json=accounts_body(small_chart()[:-1]))
        run_config_sync(job_id=start_config_sync(actor=admin_a, organization=org_a).pk)
        route.respond(200, json=accounts_body(small_chart()))
        run_config_sync(job_id=start_config_sync(actor=admin_a, organization=org_a).pk)
        route.respond(200, json=accounts_body(small_chart()[:-1]))
        run_config_sync(job_id=start_config_sync(actor=admin_a, organization=org_a).pk)
        assert chart_by_code(org_a)["5103"].active is False
        route.respond(200, json=accounts_body(small_chart()))
        run_config_sync(job_id=start_config_sync(actor=admin_a, organization=org_a).pk)
    assert chart_by_code(org_a)["5103"].active is True


def test_removed_source_account_puts_the_connection_in_needs_attention(admin_a, org_a):
    integration = connected_integration(org_a)
    with respx.mock(base_url=QOYOD) as mock:
        route = mock.get("/accounts")
        route.respond(200, json=accounts_body(small_chart()))
        run_config_sync(job_id=start_config_sync(actor=admin_a, organization=org_a).pk)
        integration.source_account = chart_by_code(org_a)["1101"]
        integration.save()
        route.respond(200, json=accounts_body([r for r in small_chart() if r["code"] != "1101"]))
        run_config_sync(job_id=start_config_sync(actor=admin_a, organization=org_a).pk)
    integration.refresh_from_db()
    assert integration.status == ConnectionStatus.NEEDS_ATTENTION
    assert "source account" in integration.attention_reason


def test_a_revoked_key_during_sync_needs_attention_with_the_reason(admin_a, org_a):
    connected_integration(org_a)
    with respx.mock(base_url=QOYOD) as mock:
        mock.get("/accounts").respond(401, json={"message": "unauthorized"})
        job = run_config_sync(job_id=start_config_sync(actor=admin_a, organization=org_a).pk)
    assert job is not None and job.status == JobStatus.FAILED
    assert "Qoyod rejected this API key" in job.error
    integration = Integration.objects.get(organization=org_a)
    assert integration.status == ConnectionStatus.NEEDS_ATTENTION
    assert "Qoyod rejected this API key" in integration.attention_reason
    body = api_client_for(admin_a).get("/api/v1/integrations/").json()
    assert body[0]["state"] == "needs_attention"
    assert AuditEvent.objects.filter(action="integration.needs_attention").exists()


def test_qoyod_down_fails_the_job_with_a_readable_reason(admin_a, org_a):
    connected_integration(org_a)
    with respx.mock(base_url=QOYOD) as mock:
        mock.get("/accounts").mock(side_effect=httpx.ConnectError("refused"))
        job = run_config_sync(job_id=start_config_sync(actor=admin_a, organization=org_a).pk)
    assert job is not None and job.status == JobStatus.FAILED
    assert job.error.startswith("Qoyod:")
    assert Integration.objects.get(organization=org_a).status == ConnectionStatus.CONNECTED


def test_two_syncs_of_one_organization_never_run_at_once(admin_a, org_a):
    connected_integration(org_a)
    first = start_config_sync(actor=admin_a, organization=org_a)
    second = start_config_sync(actor=admin_a, organization=org_a)
    assert first.pk == second.pk
    assert Job.objects.filter(organization=org_a).count() == 1
    # The database refuses a second active sync even if code forgot to check.
    with pytest.raises(IntegrityError), transaction.atomic():
        Job.objects.create(organization=org_a, kind=first.kind, status=JobStatus.RUNNING)


def test_a_sync_whose_worker_died_does_not_block_the_next_one(admin_a, org_a):
    connected_integration(org_a)
    dead = start_config_sync(actor=admin_a, organization=org_a)
    Job.objects.filter(pk=dead.pk).update(
        status=JobStatus.RUNNING, updated_at=timezone.now() - timedelta(hours=1)
    )
    fresh = start_config_sync(actor=admin_a, organization=org_a)
    assert fresh.pk != dead.pk
    dead.refresh_from_db()
    assert dead.status == JobStatus.FAILED
    assert "Start it again" in dead.error


def test_a_job_is_run_once_even_if_delivered_twice(admin_a, org_a):
    connected_integration(org_a)
    with respx.mock(base_url=QOYOD) as mock:
        route = mock.get("/accounts").respond(200, json=accounts_body(small_chart()))
        job = start_config_sync(actor=admin_a, organization=org_a)
        assert run_config_sync(job_id=job.pk) is not None
        assert run_config_sync(job_id=job.pk) is None
    assert route.call_count == 1


def test_nightly_auto_sync_runs_each_enabled_organization_once(
    db, eager_celery, django_capture_on_commit_callbacks
):
    enabled = [make_org(), make_org()]
    disabled = make_org()
    disconnected = make_org()
    failing = make_org()
    for organization in enabled:
        connected_integration(organization, auto_sync=True)
    connected_integration(disabled, auto_sync=False)
    Integration.objects.create(provider="qoyod", organization=disconnected, auto_sync=True)
    connected_integration(failing, key="revoked-key-0001", auto_sync=True)

    def accounts(request):
        if request.headers["API-KEY"] == KEY:
            return httpx.Response(200, json=accounts_body(small_chart()))
        return httpx.Response(401, json={"message": "unauthorized"})

    with respx.mock(base_url=QOYOD) as mock:
        mock.get("/accounts").mock(side_effect=accounts)
        with django_capture_on_commit_callbacks(execute=True):
            run_nightly_auto_sync.delay()

    jobs = Job.objects.all()
    assert sorted(job.organization_id for job in jobs) == sorted(
        [o.pk for o in enabled] + [failing.pk]
    )
    for job in jobs:
        expected = JobStatus.FAILED if job.organization_id == failing.pk else JobStatus.SUCCEEDED
        assert job.status == expected
        assert job.params["trigger"] == "auto"
    for organization in enabled:
        assert Account.objects.filter(organization=organization).count() == len(small_chart())


def test_two_systems_vendors_with_one_id_keep_rows_of_their_own(org_a):
    from dataclasses import dataclass

    from integrations.config_sync import sync_vendors
    from integrations.models import Vendor

    @dataclass
    class Supplier:
        id: str
        name: str
        status: str = "Active"
        tax_number: str = ""
        email: str = ""
        phone_number: str = ""

    sync_vendors(organization_id=org_a.pk, provider="qoyod", vendors=[Supplier("7", "Jarir")])
    sync_vendors(organization_id=org_a.pk, provider="odoo", vendors=[Supplier("7", "Extra")])
    sync_vendors(organization_id=org_a.pk, provider="odoo", vendors=[])  # gone from Odoo
    rows = {(v.provider, v.external_id): (v.name, v.active) for v in Vendor.objects.all()}
    assert rows == {("qoyod", "7"): ("Jarir", True), ("odoo", "7"): ("Extra", False)}
