"""The Accounting menu as people use it in the browser (server-rendered pages)."""

import pytest
from django.core.files.base import ContentFile

from accounting.models import Budget, Card, Document, Transaction
from sifi.models import Role
from tests.factories import make_transaction


@pytest.fixture
def accountant_browser(client, users_a):
    client.force_login(users_a[Role.ACCOUNTANT])
    return client


def test_the_page_shows_tabs_with_counts_and_rows(accountant_browser, org_a, source_a, marketing_a):
    make_transaction(org_a, merchant="مكتبة جرير")
    page = accountant_browser.get("/accounting/?tab=expenses").content.decode()
    assert "مكتبة جرير" in page
    assert 'aria-current="page">Expenses <span class="badge">1</span>' in page
    assert "Source Account" not in page
    # No page carries the chart: each row has an account picker that searches as you type.
    assert str(marketing_a.name_en) not in page
    assert 'data-account-picker data-search-url="/api/v1/accounting/accounts/search/' in page


def test_employees_do_not_get_the_accounting_page(client, users_a):
    client.force_login(users_a[Role.EMPLOYEE])
    assert client.get("/accounting/").status_code == 403
    assert b"/accounting/" not in client.get("/settings/integrations/").content


def test_bulk_assign_to_everything_matching_the_budget_filter(
    accountant_browser, org_a, source_a, marketing_a
):
    campaign = Budget.objects.create(organization=org_a, name="Marketing Campaign 2025")
    inside = [make_transaction(org_a, budget=campaign) for _ in range(3)]
    outside = make_transaction(org_a)
    response = accountant_browser.post(
        "/accounting/bulk-assign/",
        {"scope": "filter", "tab": "expenses", "budget": campaign.name, "account": marketing_a.pk},
        follow=True,
    )
    assert "3 transactions verified." in response.content.decode()
    assert set(Transaction.objects.filter(status="verified").values_list("pk", flat=True)) == {
        t.pk for t in inside
    }
    outside.refresh_from_db()
    assert outside.status == "unverified"


def test_bulk_assign_from_the_page_keeps_every_filter_of_the_list(
    accountant_browser, org_a, source_a, marketing_a
):
    """The page and the API pass filters on from one list of names: a card filter in the
    page's address narrows the bulk assignment exactly as it narrows the list."""
    card = Card.objects.create(organization=org_a, reference="CARD-1", last4="4242")
    on_card = make_transaction(org_a, card=card)
    other = make_transaction(org_a)
    listed = accountant_browser.get(f"/accounting/?tab=expenses&card={card.pk}").content.decode()
    assert on_card.reference in listed and other.reference not in listed
    assert f'name="card" value="{card.pk}"' in listed  # the bulk form carries it
    response = accountant_browser.post(
        "/accounting/bulk-assign/",
        {"scope": "filter", "tab": "expenses", "card": card.pk, "account": marketing_a.pk},
        follow=True,
    )
    assert "1 transaction verified." in response.content.decode()
    other.refresh_from_db()
    assert other.status == "unverified"


def test_the_arabic_page_and_its_messages_are_in_arabic(
    accountant_browser, org_a, source_a, marketing_a
):
    make_transaction(org_a)
    accountant_browser.cookies["django_language"] = "ar"
    response = accountant_browser.post(
        "/accounting/bulk-assign/",
        {"scope": "filter", "tab": "expenses", "account": marketing_a.pk},
        follow=True,
    )
    page = response.content.decode()
    assert '<html lang="ar" dir="rtl">' in page
    assert "<h1>المحاسبة</h1>" in page
    assert "تم التحقق من 1 من العمليات." in page
    page = accountant_browser.post("/accounting/sync/", follow=True).content.decode()
    # Refused (no API key in this fixture), and told so in the user's language.
    assert "اربط قيود أولًا من الإعدادات ← التكاملات." in page


def test_a_refused_action_is_a_readable_message_not_an_error_page(accountant_browser, org_a):
    txn = make_transaction(org_a)
    response = accountant_browser.post(
        "/accounting/assign/", {"transaction": txn.pk, "account": 1}, follow=True
    )
    assert response.status_code == 200
    assert "Source Account" in response.content.decode()


def test_sync_without_a_connection_says_what_to_do(accountant_browser, org_a):
    response = accountant_browser.post("/accounting/sync/", follow=True)
    assert "Connect Qoyod" in response.content.decode()


def test_the_detail_page_shows_receipts_and_another_org_cannot_download_them(
    accountant_browser, org_a, client_for, admin_b, client
):
    txn = make_transaction(org_a)
    document = Document(
        organization=org_a,
        transaction=txn,
        filename="r.pdf",
        content_type="application/pdf",
        size=4,
        sha256="0" * 64,
    )
    document.file.save("r.pdf", ContentFile(b"%PDF"), save=False)
    document.save()
    page = accountant_browser.get(f"/accounting/transactions/{txn.pk}/").content.decode()
    assert "r.pdf" in page and "Audit trail" in page
    assert accountant_browser.get(f"/accounting/documents/{document.pk}/").getvalue() == b"%PDF"
    client.force_login(admin_b)
    assert client.get(f"/accounting/documents/{document.pk}/").status_code == 404
    assert client.get(f"/accounting/transactions/{txn.pk}/").status_code == 404
