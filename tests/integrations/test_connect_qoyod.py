"""SPEC §3: consent, API key, configuration, disconnect — as each role would do it."""

import logging

import httpx
import pytest
import respx
from django.db import connection

from accounting.models import Account
from integrations.models import ConnectionStatus, Integration
from integrations.providers.qoyod.connect import QoyodConnect
from sifi.models import AuditEvent, Role
from tests.factories import api_client_for, make_account
from tests.integrations.qoyod_payloads import QOYOD, qoyod_accepting, small_chart

GOOD_KEY = "qoyod-live-key-abcd-9f3e"
BAD_KEY = "qoyod-wrong-key-0000"


@pytest.fixture
def qoyod():
    with qoyod_accepting(GOOD_KEY) as mock:
        yield mock


def consent(client):
    return client.post("/api/v1/integrations/qoyod/consent/", {"accept": True}, format="json")


def connect(client, key=GOOD_KEY):
    return client.post("/api/v1/integrations/qoyod/connect/", {"api_key": key}, format="json")


@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        (Role.ADMIN, True),
        (Role.FINANCE_MANAGER, True),
        (Role.ACCOUNTANT, False),
        (Role.EMPLOYEE, False),
    ],
)
def test_only_admin_and_finance_manager_connect_qoyod(users_a, role, allowed, qoyod):
    client = api_client_for(users_a[role])
    responses = [consent(client), connect(client)]
    responses.append(
        client.patch("/api/v1/integrations/qoyod/", {"auto_sync": True}, format="json")
    )
    responses.append(client.post("/api/v1/integrations/qoyod/sync/", {}, format="json"))
    responses.append(client.delete("/api/v1/integrations/qoyod/"))
    if allowed:
        assert [r.status_code for r in responses] == [200, 200, 200, 202, 204]
    else:
        assert {r.status_code for r in responses} == {403}
        assert not Integration.objects.filter(consented_at__isnull=False).exists()


def test_consent_records_who_when_and_scopes_without_calling_qoyod(admin_a, qoyod):
    response = consent(api_client_for(admin_a))
    assert response.status_code == 200
    integration = Integration.objects.get(organization=admin_a.organization)
    assert integration.consented_by == admin_a
    assert integration.consented_at is not None
    assert integration.consented_scopes == list(QoyodConnect.scopes)
    assert response.json()["consented_by"] == admin_a.username
    assert [s["scope"] for s in response.json()["scopes"]] == list(QoyodConnect.scopes)
    assert not qoyod.calls
    assert AuditEvent.objects.filter(action="integration.consent", actor=admin_a).count() == 1


def test_declining_consent_is_a_field_error(admin_a):
    client = api_client_for(admin_a)
    response = client.post("/api/v1/integrations/qoyod/consent/", {"accept": False}, format="json")
    assert response.status_code == 400
    assert "accept" in response.json()


def test_connect_without_consent_calls_nothing_and_is_409(admin_a, qoyod):
    response = connect(api_client_for(admin_a))
    assert response.status_code == 409
    assert "Accept the permissions" in response.json()["detail"]
    assert not qoyod.calls


def test_good_key_is_validated_stored_encrypted_and_never_returned(admin_a, qoyod, caplog):
    caplog.set_level(logging.DEBUG)
    client = api_client_for(admin_a)
    consent(client)
    response = connect(client)
    assert response.status_code == 200
    body = response.json()
    assert body["state"] == ConnectionStatus.CONNECTED
    assert body["api_key_hint"] == "9f3e"
    assert body["accounts_found"] == len(small_chart())
    assert qoyod.calls.last.request.headers["API-KEY"] == GOOD_KEY
    integration = Integration.objects.get(organization=admin_a.organization)
    assert integration.secrets.get("api_key", "") == GOOD_KEY

    # Never in clear: responses, logs, any column of any table we wrote.
    everything = [
        response.content.decode(),
        client.get("/api/v1/integrations/qoyod/").content.decode(),
        client.get("/api/v1/integrations/").content.decode(),
        caplog.text,
    ]
    with connection.cursor() as cursor:
        for table in ("integrations_integration", "sifi_auditevent"):
            cursor.execute(f"SELECT * FROM {table}")
            everything.append(repr(cursor.fetchall()))
    for text in everything:
        assert GOOD_KEY not in text


def test_wrong_key_is_a_clear_400_and_nothing_is_stored(admin_a, qoyod):
    client = api_client_for(admin_a)
    consent(client)
    response = connect(client, BAD_KEY)
    assert response.status_code == 400
    assert "Qoyod rejected this API key" in response.json()["api_key"][0]
    integration = Integration.objects.get(organization=admin_a.organization)
    assert integration.secrets.get("api_key", "") == ""
    assert integration.status == ConnectionStatus.NOT_CONNECTED


def test_errors_speak_the_users_language(admin_a, qoyod):
    client = api_client_for(admin_a)
    consent(client)
    response = client.post(
        "/api/v1/integrations/qoyod/connect/",
        {"api_key": BAD_KEY},
        format="json",
        HTTP_ACCEPT_LANGUAGE="ar",
    )
    assert response.status_code == 400
    assert response.json()["api_key"] == [
        "رفض قيود مفتاح API هذا (خاطئ، أو لم يُحفظ في قيود، أو يخص شركة أخرى)."
    ]


@pytest.mark.parametrize(
    "failure",
    [
        httpx.Response(503, text="Service Unavailable"),
        httpx.ConnectError("connection refused"),
        httpx.ReadTimeout("timed out"),
    ],
)
def test_qoyod_down_during_validation_is_502_and_nothing_is_stored(admin_a, failure):
    client = api_client_for(admin_a)
    consent(client)
    with respx.mock(base_url=QOYOD) as mock:
        mock.get("/accounts").mock(side_effect=[failure] * 10)
        response = connect(client)
    assert response.status_code == 502
    assert "Nothing was saved" in response.json()["detail"]
    integration = Integration.objects.get(organization=admin_a.organization)
    assert (integration.secrets.get("api_key", ""), integration.status) == (
        "",
        ConnectionStatus.NOT_CONNECTED,
    )


def test_empty_key_is_a_field_error(admin_a):
    client = api_client_for(admin_a)
    consent(client)
    response = client.post("/api/v1/integrations/qoyod/connect/", {"api_key": "  "}, format="json")
    assert response.status_code == 400
    assert "api_key" in response.json()


@pytest.fixture
def connected_a(admin_a, qoyod):
    client = api_client_for(admin_a)
    consent(client)
    assert connect(client).status_code == 200
    return client


def test_source_account_must_be_an_active_account_of_this_organization(connected_a, org_a, org_b):
    mine = make_account(org_a, code="1101", name_en="Al Rajhi Bank")
    inactive = make_account(org_a, code="1102", active=False)
    theirs = make_account(org_b, code="1101")
    url = "/api/v1/integrations/qoyod/"
    for bad in (theirs.pk, inactive.pk, 999_999):
        response = connected_a.patch(url, {"source_account": bad}, format="json")
        assert response.status_code == 400
        assert "source_account" in response.json()
    response = connected_a.patch(url, {"source_account": "abc"}, format="json")
    assert response.status_code == 400
    response = connected_a.patch(url, {"source_account": mine.pk, "auto_sync": True}, format="json")
    assert response.status_code == 200
    assert response.json()["source_account"] == mine.pk
    assert response.json()["auto_sync"] is True
    integration = Integration.objects.get(organization=org_a)
    assert (integration.source_account_id, integration.auto_sync) == (mine.pk, True)


def test_accountant_reads_the_connection_but_cannot_change_it(connected_a, users_a):
    client = api_client_for(users_a[Role.ACCOUNTANT])
    assert client.get("/api/v1/integrations/qoyod/").json()["state"] == "connected"
    assert client.patch("/api/v1/integrations/qoyod/", {"auto_sync": True}).status_code == 403


def test_configure_before_connecting_is_409(admin_a):
    response = api_client_for(admin_a).patch(
        "/api/v1/integrations/qoyod/", {"auto_sync": True}, format="json"
    )
    assert response.status_code == 409


def test_disconnect_removes_the_key_and_keeps_history(connected_a, org_a):
    account = make_account(org_a)
    response = connected_a.delete("/api/v1/integrations/qoyod/")
    assert response.status_code == 204
    integration = Integration.objects.get(organization=org_a)
    assert (integration.secrets.get("api_key", ""), integration.secret_hint) == ("", "")
    assert integration.status == ConnectionStatus.NOT_CONNECTED
    assert Account.objects.filter(pk=account.pk).exists()
    actions = list(
        AuditEvent.objects.filter(organization=org_a)
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == ["integration.consent", "integration.connect", "integration.disconnect"]


def test_another_organization_sees_its_own_connection_only(connected_a, admin_b):
    body = api_client_for(admin_b).get("/api/v1/integrations/qoyod/").json()
    assert body["state"] == "not_connected"
    assert body["api_key_hint"] == ""
