"""SPEC §3 and §8 for Odoo: consent, connect (address, database, login, API key), configure,
sync the chart, disconnect — against the Odoo sandbox over real HTTP, as each role would; and
one organization, one accounting system."""

import ipaddress
import logging

import httpx
import pytest
import respx
from django.db import IntegrityError, connection, transaction

from accounting.models import Account
from integrations import provider_urls
from integrations.config_sync import run_config_sync
from integrations.jobs import start_config_sync
from integrations.models import ConnectionStatus, Integration
from integrations.providers.odoo.connect import OdooConnect
from integrations.services import queue_nightly_auto_syncs
from sifi.models import AuditEvent, Role
from tests.factories import api_client_for, make_account, make_transaction
from tests.fakes.sandbox import free_port
from tests.integrations.qoyod_payloads import qoyod_accepting

BASE = "/api/v1/integrations/odoo/"


def consent(client):
    return client.post(f"{BASE}consent/", {"accept": True}, format="json")


def connect(client, sandbox, **changes):
    body = {**sandbox.credentials, **changes}
    return client.post(f"{BASE}connect/", body, format="json")


@pytest.fixture
def connected(admin_a, odoo_sandbox):
    client = api_client_for(admin_a)
    consent(client)
    response = connect(client, odoo_sandbox)
    assert response.status_code == 200, response.content
    return client


@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        (Role.ADMIN, True),
        (Role.FINANCE_MANAGER, True),
        (Role.ACCOUNTANT, False),
        (Role.EMPLOYEE, False),
    ],
)
def test_only_admin_and_finance_manager_connect_odoo(users_a, role, allowed, odoo_sandbox):
    client = api_client_for(users_a[role])
    responses = [consent(client), connect(client, odoo_sandbox)]
    responses.append(client.patch(BASE, {"auto_sync": True}, format="json"))
    responses.append(client.post(f"{BASE}sync/", {}, format="json"))
    responses.append(client.delete(BASE))
    if allowed:
        assert [r.status_code for r in responses] == [200, 200, 200, 202, 204]
    else:
        assert {r.status_code for r in responses} == {403}
        assert not Integration.objects.filter(consented_at__isnull=False).exists()


def test_consent_lists_odoos_permissions_and_calls_nothing(admin_a, odoo_sandbox):
    response = consent(api_client_for(admin_a))
    assert response.status_code == 200
    body = response.json()
    assert body["provider"] == "odoo" and body["consented_scopes"] == list(OdooConnect.scopes)
    assert [s["scope"] for s in body["scopes"]] == [
        "company:read",
        "journals:read",
        "accounts:read",
        "taxes:read",
        "journal_entries:write",
        "attachments:write",
    ]
    assert odoo_sandbox.stats()["served"] == 0


def test_connect_without_consent_is_409_and_calls_nothing(admin_a, odoo_sandbox):
    response = connect(api_client_for(admin_a), odoo_sandbox)
    assert response.status_code == 409 and "Accept the permissions" in response.json()["detail"]
    assert odoo_sandbox.stats()["served"] == 0


def test_a_good_connection_is_checked_stored_encrypted_and_the_key_never_returned(
    admin_a, odoo_sandbox, caplog
):
    caplog.set_level(logging.DEBUG)
    client = api_client_for(admin_a)
    consent(client)
    response = connect(client, odoo_sandbox, url=odoo_sandbox.url + "/odoo/accounting")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["state"] == "connected" and body["api_key_hint"] == "-key"
    assert (body["instance_url"], body["database"], body["username"]) == (
        odoo_sandbox.url,
        "demo",
        "sifi@demo.sa",
    )
    assert (body["company"], body["server_version"]) == ("Second Org", "17.0")
    assert body["journal_name"] == "MISC · Miscellaneous Operations"  # the default journal
    assert [j["code"] for j in body["journals"]] == ["EXCH", "MISC", "CABA"]  # general only
    assert body["accounts_found"] == 35
    integration = Integration.objects.get(organization=admin_a.organization, provider="odoo")
    assert integration.secrets.get("api_key", "") == odoo_sandbox.api_key
    assert integration.credentials()["company_id"] == "1"
    everything = [
        response.content.decode(),
        client.get(BASE).content.decode(),
        client.get("/api/v1/integrations/").content.decode(),
        caplog.text,
    ]
    with connection.cursor() as cursor:
        for table in ("integrations_integration", "sifi_auditevent"):
            cursor.execute(f"SELECT * FROM {table}")
            everything.append(repr(cursor.fetchall()))
    for text in everything:
        assert odoo_sandbox.api_key not in text


def test_a_wrong_key_is_a_clear_400_and_nothing_is_stored(admin_a, odoo_sandbox):
    client = api_client_for(admin_a)
    consent(client)
    response = connect(client, odoo_sandbox, api_key="not-the-key")
    assert response.status_code == 400
    assert "Odoo refused this login and API key" in response.json()["api_key"][0]
    integration = Integration.objects.get(organization=admin_a.organization, provider="odoo")
    assert (integration.secrets.get("api_key", ""), integration.status) == (
        "",
        ConnectionStatus.NOT_CONNECTED,
    )


@pytest.mark.parametrize(
    ("changes", "field", "says"),
    [
        ({"database": "nope"}, "database", "no database named nope"),
        ({"username": "someone@else.sa"}, "api_key", "Odoo refused this login"),
        ({"url": "ftp://odoo"}, "url", "address of your Odoo"),
        ({"url": ""}, "url", "This field may not be blank"),
        ({"api_key": "مفتاح"}, "api_key", "printable ASCII"),
    ],
)
def test_what_to_fix_is_said_on_its_field(admin_a, odoo_sandbox, changes, field, says):
    client = api_client_for(admin_a)
    consent(client)
    response = connect(client, odoo_sandbox, **changes)
    assert response.status_code == 400
    assert says in response.json()[field][0]


def test_an_odoo_older_than_16_is_refused(admin_a, odoo_sandbox):
    odoo_sandbox.configure(server_version="15.0")
    client = api_client_for(admin_a)
    consent(client)
    response = connect(client, odoo_sandbox)
    assert response.status_code == 400
    assert response.json()["url"] == [
        "This Odoo is version 15.0; SiFi works with Odoo 16 or later."
    ]


def test_odoo_unreachable_is_a_502_and_nothing_is_stored(admin_a, odoo_sandbox):
    client = api_client_for(admin_a)
    consent(client)
    response = connect(client, odoo_sandbox, url=f"http://127.0.0.1:{free_port()}")
    assert response.status_code == 502 and "Nothing was saved" in response.json()["detail"]
    assert (
        Integration.objects.get(organization=admin_a.organization).secrets.get("api_key", "") == ""
    )


def test_in_production_a_private_or_plain_http_address_is_refused_before_any_call(
    admin_a, odoo_sandbox, settings
):
    settings.ALLOW_PRIVATE_PROVIDER_URLS = False
    client = api_client_for(admin_a)
    consent(client)
    response = connect(client, odoo_sandbox)
    assert response.status_code == 400 and "https://" in response.json()["url"][0]
    response = connect(client, odoo_sandbox, url=odoo_sandbox.url.replace("http:", "https:"))
    assert response.status_code == 400 and "private network" in response.json()["url"][0]
    assert odoo_sandbox.stats()["served"] == 0


def test_a_company_keeping_books_in_another_currency_is_refused(admin_a, odoo_sandbox):
    odoo_sandbox.add_database("usd", company="Acme US", currency="USD", currency_id=2)
    client = api_client_for(admin_a)
    consent(client)
    response = connect(client, odoo_sandbox, database="usd")
    assert response.status_code == 400
    assert "keeps its books in USD" in response.json()["detail"]


def test_odoo_online_refusing_the_external_api_says_it_needs_the_custom_plan(admin_a, monkeypatch):
    """Odoo Online opens the external API only on the Custom plan. Odoo documents no answer of
    its own for it: a refusal on Odoo Online says so."""
    monkeypatch.setattr(
        provider_urls, "resolve", lambda host, port: [ipaddress.ip_address("104.18.32.7")]
    )
    client = api_client_for(admin_a)
    consent(client)
    with respx.mock(base_url="https://acme.odoo.com") as mock:
        mock.post("/jsonrpc").mock(
            side_effect=[
                httpx.Response(
                    200, json={"jsonrpc": "2.0", "id": 1, "result": {"server_serie": "saas~18.2"}}
                ),
                httpx.Response(200, json={"jsonrpc": "2.0", "id": 2, "result": False}),
            ]
        )
        response = client.post(
            f"{BASE}connect/",
            {"url": "acme.odoo.com", "database": "acme", "username": "a@b.sa", "api_key": "k-123"},
            format="json",
        )
    assert response.status_code == 400
    assert "only on the Custom plan" in response.json()["api_key"][0]


def test_errors_speak_the_users_language(admin_a, odoo_sandbox):
    client = api_client_for(admin_a)
    consent(client)
    response = client.post(
        f"{BASE}connect/",
        {**odoo_sandbox.credentials, "api_key": "wrong"},
        format="json",
        HTTP_ACCEPT_LANGUAGE="ar",
    )
    assert response.status_code == 400
    assert response.json()["api_key"][0].startswith("رفض أودو اسم الدخول ومفتاح API")


# --- one organization, one accounting system -------------------------------------------------


def test_odoo_cannot_be_connected_while_qoyod_is(admin_a, odoo_sandbox):
    client = api_client_for(admin_a)
    with qoyod_accepting("qoyod-key-1234"):
        client.post("/api/v1/integrations/qoyod/consent/", {"accept": True}, format="json")
        assert (
            client.post(
                "/api/v1/integrations/qoyod/connect/", {"api_key": "qoyod-key-1234"}, format="json"
            ).status_code
            == 200
        )
    for response in (consent(client), connect(client, odoo_sandbox)):
        assert response.status_code == 409
        assert response.json()["code"] == "other_provider_connected"
        assert "Disconnect Qoyod first" in response.json()["detail"]
    cards = {row["provider"]: row for row in client.get("/api/v1/integrations/").json()}
    assert cards["odoo"]["blocked_by"] == "Qoyod" and cards["qoyod"]["blocked_by"] == ""
    assert odoo_sandbox.stats()["served"] == 0
    # Qoyod disconnected, Odoo connects; its chart lives beside Qoyod's history.
    assert client.delete("/api/v1/integrations/qoyod/").status_code == 204
    assert consent(client).status_code == 200
    assert connect(client, odoo_sandbox).status_code == 200


def test_qoyod_cannot_be_connected_while_odoo_is(connected):
    with qoyod_accepting("qoyod-key-1234"):
        consent_qoyod = connected.post(
            "/api/v1/integrations/qoyod/consent/", {"accept": True}, format="json"
        )
        connect_qoyod = connected.post(
            "/api/v1/integrations/qoyod/connect/", {"api_key": "qoyod-key-1234"}, format="json"
        )
    for response in (consent_qoyod, connect_qoyod):
        assert response.status_code == 409
        assert "Disconnect Odoo first, then connect Qoyod." in response.json()["detail"]


def test_the_database_keeps_one_connected_system_per_organization(org_a):
    Integration.objects.create(organization=org_a, provider="qoyod", status="connected")
    with pytest.raises(IntegrityError), transaction.atomic():
        Integration.objects.create(organization=org_a, provider="odoo", status="needs_attention")


# --- configuration and chart ----------------------------------------------------------------


def synced_chart(client, org):
    response = client.post(f"{BASE}sync/", {"attributes": ["accounts"]}, format="json")
    assert response.status_code == 202
    job = run_config_sync(job_id=response.json()["id"])
    assert job is not None and job.status == "succeeded", job.error if job else None
    return {a.external_id: a for a in Account.objects.filter(organization=org, provider="odoo")}


def test_the_chart_syncs_with_headings_arabic_names_and_inactive_accounts(connected, org_a):
    chart = synced_chart(connected, org_a)
    marketing, group = chart["1026"], chart["group-10"]
    assert (marketing.code, marketing.name_en, marketing.name_ar) == (
        "521001",
        "Marketing Expenses",
        "مصاريف تسويق",
    )
    assert marketing.parent == group and group.is_heading and not marketing.is_heading
    assert (group.code, group.name_en, group.parent.code) == ("52", "Selling and Marketing", "5")
    assert chart["1028"].name_ar == ""  # Odoo has no Arabic name for it
    assert not chart["1034"].active  # deprecated in Odoo
    assert not chart["1035"].active  # off-balance: our entries cannot use it
    assert "group-12" not in chart  # a group holding none of the accounts is no heading of ours
    assert chart["1001"].receive_payments  # bank and cash first in the Source Account picker
    rows = connected.get(f"{BASE}accounts/", {"search": "تسويق"}).json()["results"]
    assert [(r["code"], r["external_id"], r["is_heading"]) for r in rows] == [
        ("52", "group-10", True),
        ("521001", "1026", False),
    ]
    assert "qoyod_id" not in rows[0]


def test_accounts_and_pickers_offer_only_the_connected_systems_chart(connected, org_a, client):
    make_account(org_a, provider="qoyod", code="5201", name_en="Old Qoyod Marketing")
    chart = synced_chart(connected, org_a)
    assert connected.get(f"{BASE}accounts/").json()["count"] == len(chart)
    qoyod_rows = connected.get("/api/v1/integrations/qoyod/accounts/").json()["results"]
    assert [r["name_en"] for r in qoyod_rows] == ["Old Qoyod Marketing"]
    connected.patch(BASE, {"source_account": chart["1001"].pk}, format="json")
    txn = make_transaction(org_a)
    # Every picker searches the same way (assign, bulk assign, Source, Input VAT).
    for purpose in ("assign", "source", "input_vat"):
        found = connected.get(
            "/api/v1/accounting/accounts/search/", {"q": "Marketing", "purpose": purpose}
        ).json()
        assert [a["code"] for a in found] == ["521001"], purpose
    # A code typed without the picker names an account of Odoo's chart only.
    client.force_login(Integration.objects.get(provider="odoo").connected_by)
    typed = client.post(
        "/settings/integrations/odoo/configure/",
        {"source_account_code": "5201", "journal": "4"},
        follow=True,
    )
    assert "No posting account has the code 5201" in typed.content.decode()
    accounting = client.get("/accounting/").content.decode()
    assert "Sync verified to Odoo" in accounting
    old = Account.objects.get(organization=org_a, provider="qoyod")
    response = connected.post(
        f"/api/v1/accounting/transactions/{txn.pk}/assign/", {"account": old.pk}, format="json"
    )
    assert response.status_code == 400
    assert "not in the chart of Odoo" in response.json()["account"][0]


def test_configuration_sets_accounts_of_odoos_chart_and_a_general_journal(
    connected, org_a, odoo_sandbox
):
    chart = synced_chart(connected, org_a)
    qoyod_account = make_account(org_a, provider="qoyod", code="1101")
    for bad in (qoyod_account.pk, chart["group-10"].pk, chart["1034"].pk):
        response = connected.patch(BASE, {"source_account": bad}, format="json")
        assert response.status_code == 400 and "source_account" in response.json()
    response = connected.patch(
        BASE,
        {
            "source_account": chart["1001"].pk,
            "input_vat_account": chart["1007"].pk,
            "journal": "3",
            "auto_sync": True,
        },
        format="json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["source_account"], body["input_vat_account"]) == (
        chart["1001"].pk,
        chart["1007"].pk,
    )
    assert (body["journal"], body["journal_name"], body["auto_sync"]) == (
        "3",
        "EXCH · Exchange Difference",
        True,
    )
    assert connected.patch(BASE, {"journal": "5"}, format="json").status_code == 400  # a bank one
    assert (
        connected.post(f"{BASE}sync/", {"attributes": ["vendors"]}, format="json").status_code
        == 400
    )


def test_auto_sync_refreshes_odoos_chart_every_night(connected, org_a, odoo_sandbox):
    synced_chart(connected, org_a)
    connected.patch(BASE, {"auto_sync": True}, format="json")
    odoo_sandbox.change_accounts(rename={1026: {"name": "Marketing (renamed)"}})
    [(job, created)] = queue_nightly_auto_syncs()
    assert created and job.params["trigger"] == "auto"
    run_config_sync(job_id=job.pk)
    renamed = Account.objects.get(organization=org_a, provider="odoo", external_id="1026")
    assert renamed.name_en == "Marketing (renamed)"


def test_a_revoked_key_puts_the_connection_in_needs_attention_at_the_nightly_sync(
    connected, org_a, odoo_sandbox, admin_a
):
    odoo_sandbox.revoke()
    job = start_config_sync(actor=admin_a, organization=org_a, provider="odoo")
    run_config_sync(job_id=job.pk)
    job.refresh_from_db()
    integration = Integration.objects.get(organization=org_a, provider="odoo")
    assert job.status == "failed" and integration.status == ConnectionStatus.NEEDS_ATTENTION
    assert "Odoo refused this login and API key" in integration.attention_reason
    body = connected.get(BASE).json()
    assert body["state"] == "needs_attention"


def test_disconnect_removes_the_key_and_keeps_where_the_books_are(connected, org_a):
    assert connected.delete(BASE).status_code == 204
    integration = Integration.objects.get(organization=org_a, provider="odoo")
    assert (
        integration.secrets.get("api_key", ""),
        integration.secret_hint,
        integration.status,
    ) == (
        "",
        "",
        ConnectionStatus.NOT_CONNECTED,
    )
    assert integration.location["url"] and integration.location["database"] == "demo"
    actions = list(
        AuditEvent.objects.filter(organization=org_a)
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == ["integration.consent", "integration.connect", "integration.disconnect"]


def test_another_organization_sees_its_own_odoo_connection_only(connected, admin_b):
    body = api_client_for(admin_b).get(BASE).json()
    assert (body["state"], body["api_key_hint"], body["instance_url"]) == ("not_connected", "", "")


def test_the_configuration_page_says_where_the_books_are(
    connected, org_a, admin_a, client, odoo_sandbox
):
    synced_chart(connected, org_a)
    client.force_login(admin_a)
    page = client.get("/settings/integrations/odoo/").content.decode()
    where = f"{odoo_sandbox.url} · {odoo_sandbox.database} · {odoo_sandbox.login}"
    assert f"<dt>Odoo</dt><dd>{where}</dd>" in page
    assert "<dt>Company</dt><dd>Second Org (Odoo 17.0)</dd>" in page
