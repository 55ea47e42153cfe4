"""The customer guide in a real browser: Debian's Chromium driven by Playwright against a live
server, with a real Celery worker and the Qoyod sandbox over HTTP.

Screenshots go to $SCREENSHOTS_DIR when set (`SCREENSHOTS_DIR=docs/screenshots bin/test
tests/e2e` refreshes the README's pictures), else to the test's temporary directory.
"""

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from accounting.models import Budget, Transaction, TransactionStatus
from integrations.models import Integration
from integrations.services import mark_needs_attention
from sifi.models import Role
from tests.factories import PASSWORD, make_org, make_transaction, make_user

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not shutil.which(CHROMIUM) and not os.environ.get("REQUIRE_BROWSER"),
        reason=f"{CHROMIUM} is not installed (`apt-get install chromium`; .ci/run does it)",
    ),
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    # Playwright's sync API runs an event loop in this thread; the live server and the ORM
    # calls of the test itself are plain synchronous code.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=["--no-sandbox"]
        )
        yield chromium
        chromium.close()


@pytest.fixture
def shots(tmp_path) -> Path:
    folder = Path(os.environ.get("SCREENSHOTS_DIR") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def company(db):
    """An organization with users of each role and unverified spending in two budgets."""
    org = make_org("Nakheel Trading")
    users = {
        role: make_user(org, role, username=role, first_name=role.replace("_", " ").title())
        for role in Role.values
    }
    campaign = Budget.objects.create(organization=org, name="Marketing Campaign 2025")
    travel = Budget.objects.create(organization=org, name="Sales Travel")
    merchants = ["Snapchat Ads", "جرير", "Google Ads", "Meta Ads", "مطبعة الرياض"]
    for i, merchant in enumerate(merchants):
        make_transaction(org, budget=campaign, merchant=merchant, reference=f"TX-MKT-{i}")
    for i in range(3):
        make_transaction(org, budget=travel, merchant="Saudia", reference=f"TX-TRV-{i}")
    return org, users


def page_for(
    browser: Browser,
    live_server,
    username: str,
    *,
    locale: str = "en-US",
    viewport: tuple[int, int] = (1280, 860),
) -> Page:
    context = browser.new_context(
        base_url=live_server.url,
        locale=locale,
        viewport={"width": viewport[0], "height": viewport[1]},
    )
    page = context.new_page()
    page.goto("/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"^(?!.*/login/)"))
    return page


def connect_qoyod(org, api_key: str, *, expense: str, expense_ar: str = ""):
    """The company connected to Qoyod with `api_key`: its Wallet as Source Account, an expense
    account Qoyod knows (1038) and one it does not (`gone`, 424242: a push to it is refused)."""
    from accounting.models import Account

    wallet = Account.objects.create(
        organization=org, provider="qoyod", external_id="1003", code="110101", name_en="Wallet"
    )
    known = Account.objects.create(
        organization=org,
        provider="qoyod",
        external_id="1038",
        code="5201",
        name_en=expense,
        name_ar=expense_ar,
    )
    gone = Account.objects.create(
        organization=org, provider="qoyod", external_id="424242", code="5999", name_en="Old"
    )
    Integration.objects.create(
        provider="qoyod",
        organization=org,
        status="connected",
        secrets={"api_key": api_key},
        source_account=wallet,
    )
    return known, gone


def test_admin_connects_then_accountant_assigns_by_budget_and_syncs(
    browser, live_server, worker, qoyod_sandbox, company, shots
):
    org, _users = company

    # --- the admin connects Qoyod and sets the source account ------------------------------
    admin = page_for(browser, live_server, Role.ADMIN)
    admin.get_by_role("link", name=re.compile("Integrations")).click()
    expect(admin.get_by_role("heading", name="Qoyod")).to_be_visible()
    admin.screenshot(path=shots / "integrations.png", full_page=True)
    # Two systems are offered now (one card each): Qoyod's card's Connect.
    admin.get_by_role("region", name="Qoyod").get_by_role("link", name="Connect").click()
    admin.get_by_role("button", name="Accept and continue").click()

    admin.fill("#id_api_key", "not-a-real-key")
    admin.get_by_role("button", name="Check and connect").click()
    expect(admin.get_by_role("alert")).to_contain_text("Qoyod rejected this API key")

    admin.fill("#id_api_key", qoyod_sandbox.demo_key)
    admin.get_by_role("button", name="Check and connect").click()
    admin.get_by_role("button", name="Continue").click()
    # The worker syncs the chart; the page follows the job until the configuration appears.
    expect(admin.get_by_role("heading", name="Configuration")).to_be_visible(timeout=30_000)
    # The account picker searches as you type; Enter takes the highlighted match.
    admin.get_by_test_id("source-account").fill("110101")
    expect(admin.locator("#source_account-list [role=option]").first).to_contain_text("110101")
    admin.get_by_test_id("source-account").press("Enter")
    expect(admin.get_by_test_id("source-account")).to_have_value(re.compile("^110101 · "))
    admin.get_by_role("button", name="Save").click()
    expect(admin.get_by_text("Configuration saved.")).to_be_visible()
    expect(admin.get_by_test_id("source-account")).to_have_value(re.compile("^110101 · "))
    assert Integration.objects.get(organization=org).source_account.code == "110101"
    # Typing something that is no account is refused with a reason; the source stays.
    admin.get_by_test_id("source-account").fill("no such account")
    admin.get_by_role("button", name="Save").click()
    expect(admin.get_by_text("No posting account has the code no such account")).to_be_visible()
    assert Integration.objects.get(organization=org).source_account.code == "110101"
    admin.screenshot(path=shots / "qoyod-configuration.png", full_page=True)

    # --- the accountant filters by budget, bulk-assigns, syncs --------------------------------
    accountant = page_for(browser, live_server, Role.ACCOUNTANT)
    accountant.get_by_role("link", name="Accounting").click()
    accountant.get_by_label("Budget").select_option("Marketing Campaign 2025")
    accountant.get_by_role("button", name="Filter").click()
    expect(accountant.get_by_test_id("txn-row")).to_have_count(5)

    # Without an account chosen, the browser asks for one instead of asking to confirm.
    dialogs: list[str] = []

    def refuse(dialog):
        dialogs.append(dialog.message)
        dialog.dismiss()

    accountant.on("dialog", refuse)
    accountant.get_by_test_id("bulk-filter").click()
    expect(accountant.locator("#bulk-account:invalid")).to_have_count(1)
    assert dialogs == []
    accountant.remove_listener("dialog", refuse)

    # Search by the Arabic name ("marketing expenses"); arrows and Enter choose 5201.
    picker = accountant.get_by_test_id("bulk-account")
    picker.fill("مصاريف تسويق")
    expect(accountant.locator("#bulk-account-list [role=option]").first).to_contain_text("5201")
    accountant.screenshot(path=shots / "accounting-bulk-assign.png", full_page=True)
    picker.press("ArrowDown")
    picker.press("ArrowUp")
    picker.press("Enter")
    expect(picker).to_have_value(re.compile("^5201 · Marketing Expenses"))
    # The confirmation asks with the exact number the filter matches.
    questions: list[str] = []

    def accept(dialog):
        questions.append(dialog.message)
        dialog.accept()

    accountant.once("dialog", accept)
    accountant.get_by_test_id("bulk-filter").click()
    expect(accountant.get_by_text("5 transactions verified")).to_be_visible()
    assert questions == ["Assign this account to all 5 transactions matching the filter?"]

    verified = Transaction.objects.filter(organization=org, status=TransactionStatus.VERIFIED)
    assert (
        sorted(verified.values_list("budget__name", flat=True)) == ["Marketing Campaign 2025"] * 5
    )
    assert set(verified.values_list("account__code", flat=True)) == {"5201"}

    accountant.get_by_test_id("sync-button").click()
    progress = accountant.get_by_test_id("run-progress")
    expect(progress).to_have_attribute("data-status", "succeeded", timeout=60_000)
    expect(progress).to_contain_text("5 synced, 0 failed, 0 pending of 5")
    accountant.goto("/accounting/?tab=synced")
    expect(accountant.get_by_test_id("txn-row")).to_have_count(5)
    accountant.screenshot(path=shots / "accounting-synced.png", full_page=True)

    entries = qoyod_sandbox.journal_entries()
    assert len(entries) == 5
    assert all(e["status"] == "Draft" for e in entries)
    assert all(e["total_debit"] == e["total_credit"] for e in entries)


def test_admin_connects_odoo_then_accountant_syncs_drafts_to_it(
    browser, live_server, worker, odoo_sandbox, company, shots
):
    org, _users = company

    # --- the admin connects Odoo through the same wizard ------------------------------------
    admin = page_for(browser, live_server, Role.ADMIN)
    admin.goto("/settings/integrations/")
    odoo_card = admin.get_by_role("region", name="Odoo")
    expect(odoo_card).to_contain_text("Odoo 16 or later")
    odoo_card.get_by_role("link", name="Connect").click()
    expect(admin.get_by_text("journal_entries:write")).to_be_visible()
    admin.get_by_role("button", name="Accept and continue").click()

    admin.fill("#id_url", odoo_sandbox.url + "/odoo/accounting")  # pasted from the browser
    admin.fill("#id_database", odoo_sandbox.database)
    admin.fill("#id_username", odoo_sandbox.login)
    admin.fill("#id_api_key", "not-the-key")
    admin.get_by_role("button", name="Check and connect").click()
    expect(admin.get_by_role("alert")).to_contain_text("Odoo refused this login and API key")
    expect(admin.locator("#id_database")).to_have_value(odoo_sandbox.database)  # kept
    expect(admin.locator("#id_api_key")).to_have_value("")  # never sent back

    admin.fill("#id_api_key", odoo_sandbox.api_key)
    admin.get_by_role("button", name="Check and connect").click()
    expect(admin.get_by_text("Company: Second Org (Odoo 17.0).")).to_be_visible()
    admin.get_by_role("button", name="Continue").click()
    expect(admin.get_by_role("heading", name="Configuration")).to_be_visible(timeout=30_000)
    expect(admin.get_by_test_id("journal").locator("option:checked")).to_have_text(
        "MISC · Miscellaneous Operations"
    )
    # The shared account picker searches Odoo's chart (its headings are never offered).
    admin.get_by_test_id("source-account").fill("111001")
    expect(admin.locator("#source_account-list [role=option]").first).to_contain_text("111001")
    admin.get_by_test_id("source-account").press("Enter")
    expect(admin.get_by_test_id("source-account")).to_have_value(re.compile("^111001 · "))
    admin.get_by_role("button", name="Save").click()
    expect(admin.get_by_text("Configuration saved.")).to_be_visible()
    integration = Integration.objects.get(organization=org, provider="odoo")
    assert integration.source_account.code == "111001" and integration.journal_external_id == "4"
    admin.screenshot(path=shots / "odoo-configuration.png", full_page=True)
    admin.goto("/settings/integrations/")
    expect(admin.get_by_test_id("blocked-qoyod")).to_contain_text("disconnect Odoo first")

    # --- the accountant assigns by budget and syncs to Odoo ---------------------------------
    accountant = page_for(browser, live_server, Role.ACCOUNTANT)
    accountant.get_by_role("link", name="Accounting").click()
    accountant.get_by_label("Budget").select_option("Marketing Campaign 2025")
    accountant.get_by_role("button", name="Filter").click()
    expect(accountant.get_by_test_id("txn-row")).to_have_count(5)
    picker = accountant.get_by_test_id("bulk-account")
    picker.fill("مصاريف تسويق")
    expect(accountant.locator("#bulk-account-list [role=option]").first).to_contain_text("521001")
    picker.press("Enter")
    expect(picker).to_have_value(re.compile("^521001 · Marketing Expenses"))
    accountant.once("dialog", lambda dialog: dialog.accept())
    accountant.get_by_test_id("bulk-filter").click()
    expect(accountant.get_by_text("5 transactions verified")).to_be_visible()
    expect(accountant.get_by_test_id("sync-button")).to_have_text("Sync verified to Odoo")
    accountant.get_by_test_id("sync-button").click()
    progress = accountant.get_by_test_id("run-progress")
    expect(progress).to_have_attribute("data-status", "succeeded", timeout=60_000)
    expect(progress).to_contain_text("5 synced, 0 failed, 0 pending of 5")

    moves = odoo_sandbox.moves()
    assert len(moves) == 5 and {m["state"] for m in moves} == {"draft"}
    for move in moves:
        assert sum(line["debit"] for line in move["lines"]) == sum(
            line["credit"] for line in move["lines"]
        )
    refs = set(
        Transaction.objects.filter(organization=org, status="synced").values_list(
            "reference", flat=True
        )
    )
    assert {m["ref"] for m in moves} == refs


def test_admin_connects_zoho_books_through_its_consent_page(
    browser, live_server, zoho_books_sandbox, worker, company, settings, shots
):
    org, _users = company
    settings.PUBLIC_BASE_URL = live_server.url  # where Zoho sends the browser back

    admin = page_for(browser, live_server, Role.ADMIN)
    admin.goto("/settings/integrations/")
    admin.get_by_role("region", name="Zoho Books").get_by_role("link", name="Connect").click()
    expect(admin.get_by_text("journals:write")).to_be_visible()
    admin.get_by_role("button", name="Accept and continue").click()
    admin.get_by_role("button", name="Sign in to Zoho Books").click()

    # Zoho's consent page (the sandbox's accounts server), then back to our callback.
    admin.wait_for_url(f"{zoho_books_sandbox.accounts_server}/oauth/v2/auth?**")
    expect(admin.get_by_text("ZohoBooks.accountants.CREATE")).to_be_visible()
    admin.get_by_role("button", name="Accept").click()
    admin.wait_for_url(f"{live_server.url}/settings/integrations/zoho-books/")
    expect(admin.get_by_text("Connected to Zoho Books.")).to_be_visible()

    admin.get_by_role("button", name="Continue").click()  # Accounts (mandatory): the worker
    expect(admin.get_by_role("heading", name="Configuration")).to_be_visible(timeout=30_000)
    expect(admin.get_by_text("Zoho Demo Co.")).to_be_visible()
    expect(admin.locator("#accounts-table")).to_contain_text("Al Rajhi Bank - SiFi Wallet")
    admin.screenshot(path=shots / "zoho-books-configuration.png", full_page=True)
    integration = Integration.objects.get(organization=org, provider="zoho_books")
    assert integration.status == "connected"
    assert integration.location["organization_id"] == zoho_books_sandbox.organization_id

    # Zoho refuses the grant later: the page says so, and Reconnect signs in again.
    zoho_books_sandbox.revoke(integration.secrets["refresh_token"])
    mark_needs_attention(
        integration_id=integration.pk,
        reason="Zoho refused SiFi's saved authorization (invalid_code). Reconnect Zoho Books.",
    )
    admin.reload()
    expect(admin.get_by_role("alert")).to_contain_text("Reconnect Zoho Books.")
    admin.get_by_role("button", name="Reconnect Zoho Books").click()
    admin.wait_for_url(f"{zoho_books_sandbox.accounts_server}/oauth/v2/auth?**")
    admin.get_by_role("button", name="Accept").click()
    admin.wait_for_url(f"{live_server.url}/settings/integrations/zoho-books/")
    expect(admin.get_by_text("Connected to Zoho Books.")).to_be_visible()
    expect(admin.get_by_text("Needs attention:")).to_have_count(0)
    integration.refresh_from_db()
    assert integration.status == "connected" and integration.attention_reason == ""
    assert integration.location["organization_id"] == zoho_books_sandbox.organization_id


def test_admin_connects_wafeq_through_the_wizard_and_configures_it(
    browser, live_server, wafeq_sandbox, worker, company, shots
):
    """Consent (saying plainly that manual journals are posted at once), the API key, the
    chart and tax rates synced by the worker, then the configuration: a Source Account that
    takes payments, the input VAT tax rate, the manual journals switch with its sentence."""
    org, _users = company
    admin = page_for(browser, live_server, Role.ADMIN)
    admin.goto("/settings/integrations/")
    wafeq_card = admin.get_by_role("region", name="Wafeq")
    expect(wafeq_card).to_contain_text("draft expenses with receipts out")
    wafeq_card.get_by_role("link", name="Connect").click()
    expect(admin.get_by_text("manual_journals:write")).to_be_visible()
    expect(admin.get_by_text("Wafeq posts manual journals at once")).to_be_visible()
    admin.get_by_role("button", name="Accept and continue").click()

    admin.fill("#id_api_key", "not-the-wafeq-key")
    admin.get_by_role("button", name="Check and connect").click()
    expect(admin.get_by_role("alert")).to_contain_text("Wafeq refused this API key")
    admin.fill("#id_api_key", wafeq_sandbox.api_key)
    admin.get_by_role("button", name="Check and connect").click()
    admin.get_by_role("button", name="Continue").click()
    expect(admin.get_by_role("heading", name="Configuration")).to_be_visible(timeout=30_000)

    # The picker offers only accounts that take payments: an expense account is not one.
    admin.get_by_test_id("source-account").fill("5101")
    admin.wait_for_timeout(500)
    expect(admin.locator("#source_account-list [role=option]")).to_have_count(0)
    admin.get_by_test_id("source-account").fill("1101")
    expect(admin.locator("#source_account-list [role=option]").first).to_contain_text("1101")
    admin.get_by_test_id("source-account").press("Enter")
    expect(admin.get_by_test_id("source-account")).to_have_value(re.compile("^1101 · "))
    expect(admin.get_by_test_id("input-vat-account")).to_have_count(0)  # a tax rate instead
    admin.get_by_test_id("option-input_vat_tax_rate").select_option(
        label="VAT 15% (purchases) (15.00 %)"
    )
    switch = admin.get_by_test_id("option-post_credits_as_manual_journals")
    expect(switch).to_contain_text("Post refunds and money received as manual journals")
    expect(admin.get_by_text("a manual journal that Wafeq posts at once")).to_be_visible()
    expect(switch.locator("input")).not_to_be_checked()  # off by default
    admin.get_by_role("button", name="Save").click()
    expect(admin.get_by_text("Configuration saved.")).to_be_visible()
    integration = Integration.objects.get(organization=org, provider="wafeq")
    assert integration.source_account.code == "1101"
    assert integration.options["input_vat_tax_rate"] == "tax_InputVat15"
    assert integration.options["post_credits_as_manual_journals"] is False
    admin.screenshot(path=shots / "wafeq-configuration.png", full_page=True)


def test_an_employee_does_not_see_accounting(browser, live_server, company):
    page = page_for(browser, live_server, Role.EMPLOYEE)
    expect(page.locator("nav.sidebar")).to_be_visible()
    expect(page.get_by_role("link", name="Accounting")).to_have_count(0)
    response = page.goto("/accounting/")
    assert response is not None and response.status == 403


def test_the_arabic_page_is_right_to_left(browser, live_server, company, shots):
    page = page_for(browser, live_server, Role.ACCOUNTANT)
    page.goto("/accounting/")
    expect(page.locator("html")).to_have_attribute("dir", "ltr")
    with page.expect_navigation():
        page.get_by_label("Language").select_option("ar")  # the language switch
    page.goto("/accounting/")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    expect(page.locator("html")).to_have_attribute("lang", "ar")
    expect(page.get_by_role("heading", level=1)).to_have_text("المحاسبة")
    expect(page.get_by_role("link", name=re.compile("المصروفات"))).to_be_visible()
    page.screenshot(path=shots / "accounting-arabic.png", full_page=True)


def test_a_browser_asking_for_arabic_gets_arabic(browser, live_server, company):
    page = page_for(browser, live_server, Role.ACCOUNTANT, locale="ar-SA")
    page.goto("/accounting/")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    expect(page.get_by_role("heading", level=1)).to_have_text("المحاسبة")


def test_no_page_needs_an_inline_script_or_style(browser, live_server, company, settings):
    """The Content-Security-Policy forbids inline scripts and styles: a page that relied on
    one would be broken. The browser reports every refused script, style or image."""
    org, users = company
    users[Role.ADMIN].is_staff = users[Role.ADMIN].is_superuser = True
    users[Role.ADMIN].save()
    txn = Transaction.objects.filter(organization=org).first()
    page = page_for(browser, live_server, Role.ADMIN)
    page.add_init_script(
        "window.cspViolations = [];"
        "document.addEventListener('securitypolicyviolation', e => window.cspViolations.push("
        "e.violatedDirective + ' ' + e.blockedURI + ' ' + e.sourceFile + ':' + e.lineNumber));"
    )
    paths = [
        "/accounting/",
        "/accounting/?tab=verified",
        f"/accounting/transactions/{txn.pk}/",
        "/settings/integrations/",
        "/settings/integrations/qoyod/",
        "/settings/integrations/odoo/",
        "/accounting/reconciliations/",
        "/accounting/runs/",
        "/accounting/no-such-page/",
        "/admin/",
        "/api/docs/",
    ]
    for path in paths:
        response = page.goto(path)
        assert response is not None
        assert "script-src 'self'" in response.headers["content-security-policy"]
        page.wait_for_load_state("networkidle")
        assert page.evaluate("window.cspViolations") == [], path
    # The API docs work offline under the same policy: Swagger UI lists our endpoints.
    expect(page.get_by_text("/api/v1/accounting/transactions/bulk-assign/")).to_be_visible()
    # The behaviours moved out of inline handlers still work: select all, language switch.
    page.goto("/accounting/")
    page.get_by_label("Select all").check()
    expect(page.locator("input[name=ids]:checked")).to_have_count(8)
    with page.expect_navigation():
        page.get_by_label("Language").select_option("ar")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    assert page.evaluate("window.cspViolations") == []


def test_the_api_docs_load_with_every_other_host_blocked(browser, live_server, company):
    """Swagger UI is served from our own static files: with the network to any other host
    cut, the docs still list our endpoints."""
    page = page_for(browser, live_server, Role.ADMIN)
    elsewhere: list[str] = []

    def only_ours(route):
        if route.request.url.startswith(live_server.url):
            route.continue_()
        else:
            elsewhere.append(route.request.url)
            route.abort()

    page.route("**/*", only_ours)
    page.goto("/api/docs/")
    expect(page.get_by_text("/api/v1/accounting/accounts/search/")).to_be_visible()
    assert elsewhere == []


def test_a_failed_run_says_why_the_account_is_fixed_by_keyboard_and_the_retry_syncs(
    browser, live_server, worker, qoyod_sandbox, company, shots
):

    org, _users = company
    marketing, gone = connect_qoyod(
        org, qoyod_sandbox.demo_key, expense="Marketing Expenses", expense_ar="مصاريف تسويق"
    )
    txns = list(Transaction.objects.filter(organization=org).order_by("reference"))
    Transaction.objects.filter(pk=txns[0].pk).update(status="verified", account=gone)
    Transaction.objects.filter(pk=txns[1].pk).update(status="verified", account=marketing)

    page = page_for(browser, live_server, Role.ACCOUNTANT)
    page.goto("/accounting/?tab=verified")
    page.get_by_test_id("sync-button").click()
    expect(page.get_by_test_id("run-progress")).to_have_attribute(
        "data-status", "partially_failed", timeout=60_000
    )
    page.get_by_role("link", name="Sync runs").click()
    page.get_by_test_id("run-row").first.get_by_role("link").first.click()
    failed_row = page.locator("[data-testid=run-item][data-outcome=failed]")
    expect(failed_row).to_contain_text("Fix the account or the transaction, then retry.")
    expect(page.locator("[data-testid=run-item][data-outcome=succeeded]")).to_contain_text(
        "Qoyod entry #"
    )
    page.screenshot(path=shots / "sync-run.png", full_page=True)
    run_url = page.url

    # Reassign the refused one on the Failed tab, by keyboard only.
    page.goto("/accounting/?tab=failed")
    picker = page.get_by_test_id("row-account")
    picker.fill("تسويق")
    expect(page.locator("[role=listbox]:visible [role=option]").first).to_contain_text("5201")
    picker.press("Enter")
    picker.press("Tab")
    page.keyboard.press("Enter")  # the row's Assign button
    expect(page.get_by_text("verified with 5201 · Marketing Expenses")).to_be_visible()

    page.goto(run_url)
    page.get_by_test_id("retry-failed").click()
    expect(page.get_by_test_id("run-progress")).to_have_attribute(
        "data-status", "succeeded", timeout=60_000
    )
    assert Transaction.objects.get(pk=txns[0].pk).status == TransactionStatus.SYNCED
    assert len(qoyod_sandbox.journal_entries()) == 2

    # Its audit trail reads as sentences, in English and in Arabic.
    page.goto(f"/accounting/transactions/{txns[0].pk}/")
    history = page.get_by_test_id("history")
    expect(history).to_contain_text("Failed: Qoyod refused it")
    expect(history).to_contain_text("Reassigned from 5999 · Old to 5201 · Marketing Expenses")
    expect(history).to_contain_text("Sent to Qoyod as draft entry")
    arabic = page_for(browser, live_server, Role.ACCOUNTANT, locale="ar-SA")
    arabic.goto(f"/accounting/transactions/{txns[0].pk}/")
    expect(arabic.get_by_test_id("history")).to_contain_text("أُرسلت إلى قيود كقيد مسودة رقم")
    assert "{" not in arabic.get_by_test_id("history").inner_text()


def test_a_long_run_is_confirmed_with_its_estimate_and_refusing_starts_nothing(
    browser, live_server, company, settings
):
    from unittest import mock

    from accounting.models import SyncRun

    settings.SYNC_CONFIRM_ABOVE_SECONDS = 0  # every run is "long": the question is asked
    org, _users = company
    marketing, _gone = connect_qoyod(org, "estimate-key-0001", expense="Ads")
    Transaction.objects.filter(organization=org).update(status="verified", account=marketing)

    page = page_for(browser, live_server, Role.ACCOUNTANT)
    page.goto("/accounting/?tab=verified")
    questions: list[str] = []

    def refuse(dialog):
        questions.append(dialog.message)
        dialog.dismiss()

    page.once("dialog", refuse)
    page.get_by_test_id("sync-button").click()
    page.wait_for_timeout(500)
    assert questions and questions[0].startswith("About 8 requests: Qoyod allows ")
    assert questions[0].endswith("Sync 8 verified transactions?")
    assert not SyncRun.objects.filter(organization=org).exists()

    page.once("dialog", lambda dialog: dialog.accept())
    with mock.patch("accounting.tasks.dispatch_sync_run.delay"):
        page.get_by_test_id("sync-button").click()
        expect(page.get_by_test_id("run-progress")).to_be_visible()
    assert SyncRun.objects.filter(organization=org).count() == 1


def test_the_list_follows_a_run_to_its_end_without_a_reload(
    browser, live_server, worker, qoyod_sandbox, company
):
    """Issue 25: the tabs, counts and rows drawn while the run went on are drawn again when
    its progress learns it is over, failures included."""

    org, _users = company
    marketing, gone = connect_qoyod(org, qoyod_sandbox.demo_key, expense="Ads")
    txns = list(Transaction.objects.filter(organization=org).order_by("reference"))
    Transaction.objects.filter(pk__in=[t.pk for t in txns[:2]]).update(
        status="verified", account=marketing
    )
    Transaction.objects.filter(pk=txns[2].pk).update(status="verified", account=gone)

    page = page_for(browser, live_server, Role.ACCOUNTANT)
    page.goto("/accounting/?tab=verified")
    expect(page.get_by_test_id("txn-row")).to_have_count(3)
    page.get_by_test_id("sync-button").click()
    progress = page.get_by_test_id("run-progress")
    expect(progress).to_have_attribute("data-status", "partially_failed", timeout=60_000)
    tabs = page.get_by_role("navigation", name="Transaction tabs")
    expect(tabs.get_by_role("link", name=re.compile("^Synced"))).to_have_text("Synced 2")
    expect(tabs.get_by_role("link", name=re.compile("^Failed"))).to_have_text("Failed 1")
    expect(tabs.get_by_role("link", name=re.compile("^Verified"))).to_have_text("Verified 0")
    expect(page.get_by_test_id("txn-row")).to_have_count(0)
    expect(page.get_by_text("Syncing", exact=True)).to_have_count(0)


def test_enter_in_an_account_picker_with_no_match_says_so_without_an_error(
    browser, live_server, company
):
    from accounting.models import Account

    org, _users = company
    Account.objects.create(
        organization=org, provider="qoyod", external_id="1038", code="5201", name_en="Ads"
    )
    page = page_for(browser, live_server, Role.ACCOUNTANT)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto("/accounting/?tab=expenses")
    picker = page.get_by_test_id("bulk-account")
    picker.fill("52")  # a match first: it is highlighted
    expect(page.locator("#bulk-account-list [role=option]").first).to_contain_text("5201")
    picker.fill("no such account")
    expect(page.locator("#bulk-account-list")).to_contain_text("No account matches what you typed.")
    picker.press("Enter")
    expect(picker).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#bulk-account-list")).to_be_visible()
    expect(picker).to_have_value("no such account")
    assert errors == []
    assert "/accounting/?tab=expenses" in page.url

    # One transaction matching: the confirmation says so in the singular.
    page.goto("/accounting/?tab=expenses&search=TX-MKT-0")
    expect(page.get_by_test_id("txn-row")).to_have_count(1)
    picker = page.get_by_test_id("bulk-account")
    picker.fill("5201")
    expect(page.locator("#bulk-account-list [role=option]").first).to_contain_text("5201")
    picker.press("Enter")
    questions: list[str] = []

    def refuse(dialog):
        questions.append(dialog.message)
        dialog.dismiss()

    page.once("dialog", refuse)
    page.get_by_test_id("bulk-filter").click()
    expect(page.get_by_test_id("txn-row")).to_have_count(1)
    page.wait_for_timeout(300)
    assert questions == ["Assign this account to the one transaction matching the filter?"]


# What a laptop's screen measures, in the page (issue 25, items 8 and 9): the table's own
# scroll box and the page's, each Assign button's box, and how many lines a date or a
# reference takes.
MEASURE = """() => {
  const wrap = document.querySelector('.table-wrap');
  const box = wrap.getBoundingClientRect();
  const lines = (node) => { const range = document.createRange(); range.selectNodeContents(node);
    return new Set([...range.getClientRects()].map((r) => Math.round(r.top))).size; };
  const rows = [...document.querySelectorAll('[data-testid=txn-row]')];
  return {
    table: [wrap.scrollWidth, wrap.clientWidth, wrap.scrollLeft],
    page: [document.documentElement.scrollWidth, document.documentElement.clientWidth],
    assign: rows.map((row) => {
      const r = row.querySelector('button.btn.small').getBoundingClientRect();
      return r.left >= box.left - 1 && r.right <= box.right + 1
        && r.left >= 0 && r.right <= innerWidth;
    }),
    dateLines: rows.map((row) => lines(row.children[1])),
    referenceLines: rows.map((row) => lines(row.children[2])),
  };
}"""


@pytest.mark.parametrize("locale", ["en-US", "ar-SA"])
def test_the_transfers_tab_fits_a_1366_screen_and_reads_right_in_both_languages(
    browser, live_server, company, shots, locale
):
    """Issue 25, items 8 and 9, at 1366 by 768: every Assign button inside the table and the
    screen, dates and references on one line, no sideways scroll once a row's account list
    is open; in Arabic the accounts are named in Arabic, code first in reading order, and a
    synced entry's status says مسودة."""
    from accounting.models import Account, Employee

    org, _users = company
    wallet = Account.objects.create(
        organization=org,
        provider="qoyod",
        external_id="1003",
        code="110101",
        name_en="Al Rajhi Bank - SiFi Wallet",
        name_ar="مصرف الراجحي - محفظة سيفي",
        type="Asset",
    )
    hotels = Account.objects.create(
        organization=org,
        provider="qoyod",
        external_id="2001",
        code="530401",
        name_en="Hotels - Riyadh HQ",
        name_ar="فنادق - المقر الرئيسي بالرياض",
    )
    Account.objects.create(
        organization=org,
        provider="qoyod",
        external_id="2002",
        code="530101",
        name_en="Travel - Ride hailing",
        name_ar="السفر - تطبيقات النقل",
    )
    Integration.objects.create(
        provider="qoyod",
        organization=org,
        status="connected",
        secrets={"api_key": "k"},
        source_account=wallet,
    )
    travel = Budget.objects.get(organization=org, name="Sales Travel")
    people = ["Abdullah Al-Sulami", "Noura Al-Shehri", "Fahad Al-Mutairi"]
    for i in range(9):
        employee, _ = Employee.objects.get_or_create(
            organization=org, reference=f"E{i % 3}", defaults={"name": people[i % 3]}
        )
        make_transaction(
            org,
            type=("transfer_out", "transfer_in", "reimbursement")[i % 3],
            reference=f"SIFI-TXN-{4200 + i:06d}",
            merchant="",
            budget=travel,
            employee=employee,
            amount="12482.48",
        )
    synced = make_transaction(
        org, type="transfer_out", reference="SIFI-TXN-004299", merchant="", budget=travel
    )
    Transaction.objects.filter(pk=synced.pk).update(
        status=TransactionStatus.SYNCED,
        account=hotels,
        journal_entry_id="433",
        journal_entry_status="Draft",
    )
    arabic = locale.startswith("ar")
    page = page_for(browser, live_server, Role.ACCOUNTANT, locale=locale, viewport=(1366, 768))
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto("/accounting/?tab=transfers")
    expect(page.locator("html")).to_have_attribute("dir", "rtl" if arabic else "ltr")
    expect(page.get_by_test_id("txn-row")).to_have_count(9)
    measured = page.evaluate(MEASURE)
    assert measured["table"][0] <= measured["table"][1], measured  # nothing clipped
    assert measured["page"][0] <= measured["page"][1], measured
    assert all(measured["assign"]), measured
    assert set(measured["dateLines"]) == {1} and set(measured["referenceLines"]) == {1}
    # Date fields are ISO whatever the browser's locale.
    date_from = page.locator("input[name=date_from]")
    expect(date_from).to_have_attribute("type", "text")
    expect(date_from).to_have_attribute("placeholder", "yyyy-mm-dd")
    page.screenshot(path=shots / f"transfers-1366-{locale}.png")

    # Opening the last row's account list scrolls nothing sideways (it opens toward the
    # table's start), in either direction.
    picker = page.get_by_test_id("row-account").last
    picker.click()
    picker.fill("530")
    options = page.locator(".table [role=option]")
    # The matches for "530" (not those the focus showed for nothing typed) are listed and
    # the first is highlighted: Enter takes it.
    expect(picker).to_have_attribute("aria-activedescendant", re.compile("."))
    expect(options).to_have_count(2)
    expect(options.first).to_contain_text("530")
    measured = page.evaluate(MEASURE)
    assert measured["table"][0] <= measured["table"][1] and measured["table"][2] == 0, measured
    assert measured["page"][0] <= measured["page"][1], measured
    first_name = options.first.locator("bdi").first
    if arabic:  # the page's language first
        expect(first_name).to_have_attribute("lang", "ar")
    else:
        expect(first_name).to_have_attribute("lang", "en")
    picker.press("Enter")
    expect(picker).to_have_value(
        re.compile("^530(401|101) · " + ("(فنادق|السفر)" if arabic else "(Hotels|Travel)"))
    )
    expect(picker).to_have_attribute("dir", "auto")
    page.screenshot(path=shots / f"transfers-1366-{locale}-picker.png")

    # The synced row: its account in the page's language, isolated; its entry's status.
    page.goto("/accounting/?tab=synced")
    row = page.get_by_test_id("txn-row")
    expect(row).to_have_count(1)
    if arabic:
        expect(row.locator("bdi")).to_have_text("530401 · فنادق - المقر الرئيسي بالرياض")
        expect(row.get_by_test_id("entry")).to_contain_text("مسودة")
        expect(row.get_by_test_id("entry")).not_to_contain_text("Draft")
        expect(page.get_by_role("heading", level=1)).to_have_text("المحاسبة")
    else:
        expect(row.locator("bdi")).to_have_text("530401 · Hotels - Riyadh HQ")
        expect(row.get_by_test_id("entry")).to_contain_text("Draft")
    # The picker's Enter with nothing matching says so, in the page's language too.
    page.goto("/accounting/?tab=transfers")
    bulk = page.get_by_test_id("bulk-account")
    bulk.fill("zzz-no-such")
    expect(page.locator("#bulk-account-list")).to_contain_text(
        "لا يوجد حساب" if arabic else "No account matches what you typed."
    )
    bulk.press("Enter")
    expect(bulk).to_have_attribute("aria-invalid", "true")
    assert errors == []


def test_in_arabic_the_list_follows_a_run_and_the_receipts_agree_with_the_audit_line(
    browser, live_server, worker, qoyod_sandbox, company
):
    """Issue 25, items 1 and 2, read in Arabic: the tabs and rows drawn while the run went on
    are drawn again when it ends, and a synced transaction's audit line and its Receipts
    section say the same thing about its receipt."""
    from tests.accounting.sync_runs import with_receipt

    org, _users = company
    marketing, gone = connect_qoyod(
        org, qoyod_sandbox.demo_key, expense="Ads", expense_ar="الإعلانات"
    )
    txns = list(Transaction.objects.filter(organization=org).order_by("reference"))
    Transaction.objects.filter(pk__in=[t.pk for t in txns[:2]]).update(
        status="verified", account=marketing
    )
    Transaction.objects.filter(pk=txns[2].pk).update(status="verified", account=gone)
    with_receipt(txns[0])

    page = page_for(browser, live_server, Role.ACCOUNTANT, locale="ar-SA", viewport=(1366, 768))
    page.goto("/accounting/?tab=verified")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    expect(page.get_by_test_id("txn-row")).to_have_count(3)
    page.get_by_test_id("sync-button").click()
    progress = page.get_by_test_id("run-progress")
    expect(progress).to_have_attribute("data-status", "partially_failed", timeout=60_000)
    tabs = page.get_by_role("navigation", name="تبويبات العمليات")
    expect(tabs.get_by_role("link", name=re.compile("^تمت المزامنة"))).to_have_text(
        re.compile(r"^تمت المزامنة\s+2$")
    )
    expect(tabs.get_by_role("link", name=re.compile("^فشلت"))).to_have_text(
        re.compile(r"^فشلت\s+1$")
    )
    expect(tabs.get_by_role("link", name=re.compile("^تم التحقق"))).to_have_text(
        re.compile(r"^تم التحقق\s+0$")
    )
    expect(page.get_by_test_id("txn-row")).to_have_count(0)

    page.goto(f"/accounting/transactions/{txns[0].pk}/")
    expect(page.get_by_test_id("history")).to_contain_text("وأُرفق إيصال واحد")
    expect(page.get_by_text("لا توجد إيصالات.")).to_have_count(0)
    expect(page.get_by_role("listitem").filter(has_text="receipt.pdf")).to_contain_text("مرفق في")
    expect(page.get_by_test_id("entry")).to_contain_text("مسودة")


WIZARD_WORDS = {
    "en-US": {
        "accept": "Accept and continue",
        "connect": "Check and connect",
        "continue": "Continue",
        "what_to_sync": "Step 3 of 3 · What to sync",
        "configuration": "Configuration",
        "save": "Save",
        "saved": "Configuration saved.",
        "auto_sync": "Auto Sync: refresh the configuration every night",
        "disconnect": "Disconnect",
    },
    "ar-SA": {
        "accept": "موافقة ومتابعة",
        "connect": "تحقق واتصل",
        "continue": "متابعة",
        "what_to_sync": "الخطوة 3 من 3 · ما الذي تتم مزامنته",
        "configuration": "الإعدادات",
        "save": "حفظ",
        "saved": "تم حفظ الإعدادات.",
        "auto_sync": "المزامنة التلقائية: تحديث الإعدادات كل ليلة",
        "disconnect": "قطع الاتصال",
    },
}


@pytest.mark.parametrize("locale", ["en-US", "ar-SA"])
def test_connecting_again_keeps_auto_sync_and_syncs_the_chart_before_configuring(
    browser, live_server, worker, qoyod_sandbox, company, locale
):
    """Issue 25, item 5, in both languages: disconnect, then connect again: the attributes
    step is shown, the chart syncs again, Auto Sync and the Source Account are as they were."""
    from integrations.models import Job

    org, _users = company
    words = WIZARD_WORDS[locale]
    admin = page_for(browser, live_server, Role.ADMIN, locale=locale, viewport=(1366, 768))

    def connect() -> None:
        admin.goto("/settings/integrations/qoyod/")
        admin.get_by_role("button", name=words["accept"]).click()
        admin.fill("#id_api_key", qoyod_sandbox.demo_key)
        admin.get_by_role("button", name=words["connect"]).click()
        expect(admin.get_by_role("heading", name=words["what_to_sync"])).to_be_visible()
        admin.get_by_role("button", name=words["continue"]).click()
        expect(admin.get_by_role("heading", name=words["configuration"], exact=True)).to_be_visible(
            timeout=30_000
        )

    connect()
    admin.get_by_test_id("source-account").fill("110101")
    expect(admin.locator("#source_account-list [role=option]").first).to_contain_text("110101")
    admin.get_by_test_id("source-account").press("Enter")
    admin.get_by_label(words["auto_sync"]).check()
    admin.get_by_role("button", name=words["save"]).click()
    expect(admin.get_by_text(words["saved"])).to_be_visible()

    admin.once("dialog", lambda dialog: dialog.accept())
    admin.get_by_role("button", name=words["disconnect"]).click()
    admin.wait_for_load_state()
    assert Integration.objects.get(organization=org).status == "not_connected"

    connect()  # the attributes step again, and a fresh chart sync before the configuration
    assert Job.objects.filter(organization=org, kind="config_sync").count() == 2
    expect(admin.get_by_label(words["auto_sync"])).to_be_checked()
    expect(admin.get_by_test_id("source-account")).to_have_value(re.compile("^110101 · "))
    integration = Integration.objects.get(organization=org)
    assert integration.auto_sync and integration.source_account.code == "110101"
