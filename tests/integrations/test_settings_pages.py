"""Settings → Integrations pages: the wizard a person clicks through (server-side checks)."""

import datetime

import pytest

from accounting.models import Account
from integrations.config_sync import run_config_sync
from integrations.jobs import start_config_sync
from integrations.models import ConnectionStatus, Integration, Job
from sifi.models import Role
from tests.factories import make_account
from tests.integrations.qoyod_payloads import qoyod_accepting

GOOD_KEY = "page-flow-good-key-4242"


@pytest.fixture
def qoyod():
    with qoyod_accepting(GOOD_KEY) as mock:
        yield mock


def test_admin_walks_the_wizard_consent_key_attributes(client, admin_a, org_a, qoyod):
    client.force_login(admin_a)
    page = client.get("/settings/integrations/qoyod/")
    assert b"Accept and continue" in page.content
    assert b"journal_entries:write" in page.content

    client.post("/settings/integrations/qoyod/consent/", {"accept": "1"})
    page = client.get("/settings/integrations/qoyod/")
    assert b"API key" in page.content and b"Check and connect" in page.content

    wrong = client.post("/settings/integrations/qoyod/connect/", {"api_key": "nope-nope"})
    assert wrong.status_code == 200
    assert "Qoyod rejected this API key" in wrong.content.decode()
    assert Integration.objects.get(organization=org_a).secrets.get("api_key", "") == ""

    right = client.post("/settings/integrations/qoyod/connect/", {"api_key": GOOD_KEY}, follow=True)
    text = right.content.decode()
    assert "Qoyod shows 8 accounts in the chart for this key" in text
    assert "Continue" in text and "Chart of accounts (required)" in text
    assert GOOD_KEY not in text

    client.post("/settings/integrations/qoyod/sync/", {"attributes": ["accounts"]})
    job = Job.objects.get(organization=org_a)
    page = client.get("/settings/integrations/qoyod/").content.decode()
    assert 'id="job-progress"' in page
    progress = client.get(f"/settings/integrations/jobs/{job.pk}/")
    assert b"Waiting for a worker" in progress.content


def test_configuration_page_saves_source_account_and_auto_sync(client, admin_a, org_a):
    Integration.objects.create(
        provider="qoyod",
        organization=org_a,
        status=ConnectionStatus.CONNECTED,
        secrets={"api_key": "k-1234"},
        secret_hint="1234",
    )
    bank = make_account(org_a, code="1101", name_en="Al Rajhi Bank", receive_payments=True)
    make_account(org_a, code="5101", name_en="Marketing Expenses")
    client.force_login(admin_a)
    page = client.get("/settings/integrations/qoyod/").content.decode()
    assert "Source Account" in page
    assert "Marketing Expenses" not in page  # the picker searches; the page carries no chart
    found = client.get("/api/v1/accounting/accounts/search/", {"purpose": "source"}).json()
    assert [a["code"] for a in found].index("1101") < [a["code"] for a in found].index("5101")
    response = client.post(
        "/settings/integrations/qoyod/configure/",
        {"source_account": bank.pk, "auto_sync": "on"},
        follow=True,
    )
    assert b"Configuration saved" in response.content
    integration = Integration.objects.get(organization=org_a)
    assert integration.source_account == bank and integration.auto_sync
    bad = client.post(
        "/settings/integrations/qoyod/configure/", {"source_account": "x"}, follow=True
    )
    assert b"Pick an account from the list" in bad.content


def test_accounts_table_searches_english_and_arabic(client, admin_a, org_a):
    make_account(org_a, code="5101", name_en="Marketing Expenses", name_ar="مصاريف تسويق")
    make_account(org_a, code="5201", name_en="Rent", name_ar="إيجار")
    client.force_login(admin_a)
    text = client.get("/settings/integrations/qoyod/accounts/", {"search": "تسويق"}).content
    assert b"Marketing Expenses" in text and b"Rent" not in text


@pytest.mark.parametrize("role", [Role.ACCOUNTANT, Role.EMPLOYEE])
def test_non_configuring_roles_cannot_post_wizard_actions(client, users_a, org_a, role):
    client.force_login(users_a[role])
    for action in ("consent", "connect", "sync", "configure", "disconnect"):
        response = client.post(f"/settings/integrations/qoyod/{action}/", {"accept": "1"})
        assert response.status_code == 403, action
    assert not Integration.objects.filter(organization=org_a).exists()


def test_accountant_sees_the_configuration_read_only(client, users_a, org_a):
    Integration.objects.create(
        provider="qoyod",
        organization=org_a,
        status=ConnectionStatus.CONNECTED,
        secrets={"api_key": "k-1234"},
        secret_hint="1234",
    )
    make_account(org_a)
    client.force_login(users_a[Role.ACCOUNTANT])
    page = client.get("/settings/integrations/qoyod/").content.decode()
    assert "Chart of accounts" in page
    assert "Disconnect" not in page and 'name="source_account"' not in page


def test_other_organizations_job_progress_is_404(client, admin_b, org_a):
    job = Job.objects.create(organization=org_a, kind="config_sync")
    client.force_login(admin_b)
    assert client.get(f"/settings/integrations/jobs/{job.pk}/").status_code == 404


def test_connecting_again_keeps_auto_sync_and_syncs_the_chart_fresh_first(
    client, admin_a, org_a, qoyod
):
    client.force_login(admin_a)
    client.post("/settings/integrations/qoyod/consent/", {"accept": "1"})
    client.post("/settings/integrations/qoyod/connect/", {"api_key": GOOD_KEY})
    run_config_sync(job_id=start_config_sync(actor=admin_a, organization=org_a).pk)
    wallet = Account.objects.get(organization=org_a, code="1101")
    client.post(
        "/settings/integrations/qoyod/configure/", {"source_account": wallet.pk, "auto_sync": "on"}
    )
    assert "Configuration saved" in client.get("/settings/integrations/qoyod/").content.decode()

    client.post("/settings/integrations/qoyod/disconnect/")
    client.post("/settings/integrations/qoyod/consent/", {"accept": "1"})
    client.post("/settings/integrations/qoyod/connect/", {"api_key": GOOD_KEY})
    integration = Integration.objects.get(organization=org_a)
    assert integration.auto_sync and integration.source_account == wallet
    page = client.get("/settings/integrations/qoyod/").content.decode()
    assert "Chart of accounts (required)" in page  # the attributes step: sync before configuring

    run_config_sync(job_id=start_config_sync(actor=admin_a, organization=org_a).pk)
    page = client.get("/settings/integrations/qoyod/").content.decode()
    assert "Chart of accounts (required)" not in page and "Source Account" in page
    assert 'name="auto_sync" checked' in page


def test_a_blocked_card_offers_no_active_connect(client, admin_a, org_a):
    Integration.objects.create(
        provider="odoo", organization=org_a, status=ConnectionStatus.CONNECTED
    )
    client.force_login(admin_a)
    page = client.get("/settings/integrations/").content.decode()
    assert "disconnect Odoo first" in page
    assert '<button type="button" disabled data-testid="connect-qoyod">Connect</button>' in page
    assert 'href="/settings/integrations/qoyod/"' not in page
    assert 'href="/settings/integrations/odoo/" data-testid="connect-odoo">Open' in page


def test_the_consent_date_ends_the_sentence_once(client, admin_a, org_a):
    afternoon = datetime.datetime(2026, 12, 7, 10, 5, tzinfo=datetime.UTC)  # 13:05 in Riyadh
    Integration.objects.create(
        provider="qoyod", organization=org_a, consented_at=afternoon, consented_by=admin_a
    )
    client.force_login(admin_a)
    page = client.get("/settings/integrations/qoyod/").content.decode()
    assert "on 2026-12-07 13:05." in page  # as the run pages write dates
    assert ".." not in page.split("Permissions accepted by", 1)[1].split("</p>", 1)[0]


def test_odoo_chart_shows_odoos_type_labels_not_its_codes(client, admin_a, org_a):
    Integration.objects.create(
        provider="odoo", organization=org_a, status=ConnectionStatus.CONNECTED
    )
    make_account(org_a, provider="odoo", code="101401", type="asset_cash")
    make_account(org_a, provider="odoo", code="999999", type="something_new")
    make_account(org_a, code="1101", type="Asset")  # Qoyod's words, already readable
    client.force_login(admin_a)
    odoo = client.get("/settings/integrations/odoo/accounts/").content.decode()
    assert "<td>Bank and Cash</td>" in odoo and "asset_cash" not in odoo
    assert "<td>something_new</td>" in odoo
    qoyod = client.get("/settings/integrations/qoyod/accounts/").content.decode()
    assert "<td>Asset</td>" in qoyod


@pytest.mark.parametrize(
    ("provider", "path", "type_", "label"),
    [
        ("zoho_books", "zoho-books", "other_current_asset", "Other Current Asset"),
        ("wafeq", "wafeq", "LIABILITY", "Liability"),
    ],
)
def test_zoho_books_and_wafeq_charts_show_type_labels(
    client, admin_a, org_a, provider, path, type_, label
):
    make_account(org_a, provider=provider, code="1104", type=type_)
    client.force_login(admin_a)
    table = client.get(f"/settings/integrations/{path}/accounts/").content.decode()
    assert f"<td>{label}</td>" in table and type_ not in table


def test_the_account_counts_on_the_page_agree(client, admin_a, org_a, qoyod):
    client.force_login(admin_a)
    client.post("/settings/integrations/qoyod/consent/", {"accept": "1"})
    connected = client.post(
        "/settings/integrations/qoyod/connect/", {"api_key": GOOD_KEY}, follow=True
    ).content.decode()
    assert "Qoyod shows 8 accounts in the chart" in connected  # 4 of them headings
    run_config_sync(job_id=start_config_sync(actor=admin_a, organization=org_a).pk)
    page = client.get("/settings/integrations/qoyod/").content.decode()
    assert "4 active posting accounts, of 8 accounts in the chart (8 new, 0 removed)." in page
    assert "<dd>4 active posting accounts" in page
