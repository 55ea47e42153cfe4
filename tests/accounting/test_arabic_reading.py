"""Issue 25, item 8: the workspace as an Arabic reader sees it — account names in Arabic where
the books gave one, entry statuses and durations in Arabic words, account labels isolated so
that "code · name" keeps its order, date fields in ISO whatever the browser's locale."""

import datetime
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone, translation

from accounting.models import SyncRun, Transaction, TransactionStatus
from accounting.services.verification import assign_account
from accounting.templatetags.ledger import entry_status, run_took
from sifi.models import AuditEvent, Role
from tests.factories import make_account, make_transaction, set_source_account

pytestmark = pytest.mark.django_db


@pytest.fixture
def hotels(org_a):
    set_source_account(org_a)
    return make_account(
        org_a, code="530401", name_en="Hotels - Riyadh HQ", name_ar="فنادق - المقر الرئيسي"
    )


@pytest.fixture
def arabic_accountant(client, users_a):
    client.force_login(users_a[Role.ACCOUNTANT])
    client.cookies["django_language"] = "ar"
    return client


def test_an_account_is_named_in_the_pages_language_with_the_other_as_fallback(org_a, hotels):
    english_only = make_account(org_a, code="5999", name_en="Sundry", name_ar="")
    arabic_only = make_account(org_a, code="5998", name_en="", name_ar="متفرقات")
    with translation.override("ar"):
        assert str(hotels) == "530401 · فنادق - المقر الرئيسي"
        assert str(english_only) == "5999 · Sundry"
    with translation.override("en"):
        assert str(hotels) == "530401 · Hotels - Riyadh HQ"
        assert str(arabic_only) == "5998 · متفرقات"


def test_the_audit_line_keeps_the_name_records_use_whoever_assigned(org_a, users_a, hotels):
    txn = make_transaction(org_a)
    with translation.override("ar"):
        assign_account(
            organization=org_a,
            actor=users_a[Role.ACCOUNTANT],
            transaction_id=txn.pk,
            account_id=hotels.pk,
        )
    event = AuditEvent.objects.filter(target_id=txn.pk).latest("id")
    assert event.after["account_label"] == "530401 · Hotels - Riyadh HQ"


def test_the_arabic_list_shows_arabic_names_isolated_and_draft_in_arabic(
    arabic_accountant, org_a, hotels
):
    make_transaction(org_a, type="transfer_out", reference="TX-SYNCED", merchant="")
    Transaction.objects.filter(reference="TX-SYNCED").update(
        status=TransactionStatus.SYNCED,
        account=hotels,
        journal_entry_id="433",
        journal_entry_status="Draft",
    )
    page = arabic_accountant.get("/accounting/?tab=synced").content.decode()
    assert "<bdi>530401 · فنادق - المقر الرئيسي</bdi>" in page
    assert "Hotels - Riyadh HQ" not in page
    assert "· مسودة" in page and "Draft" not in page


def test_a_rows_account_field_reads_in_its_own_direction(arabic_accountant, org_a, hotels):
    make_transaction(org_a, reference="TX-OPEN", account=hotels)
    page = arabic_accountant.get("/accounting/?tab=expenses").content.decode()
    assert (
        'value="530401 · فنادق - المقر الرئيسي" data-picker-input '
        'data-testid="row-account" dir="auto"' in page
    )
    assert 'data-testid="bulk-account" dir="auto"' in page


@pytest.mark.parametrize("language", ["en", "ar"])
def test_date_fields_are_iso_text_not_the_browsers_locale(client, users_a, language):
    client.force_login(users_a[Role.ACCOUNTANT])
    client.cookies["django_language"] = language
    for url in (
        "/accounting/?tab=expenses",
        "/accounting/reconciliations/",
        "/accounting/vat-report/",
    ):
        page = client.get(url).content.decode()
        assert 'type="date"' not in page
        assert 'pattern="[0-9]{4}-[0-9]{2}-[0-9]{2}"' in page and 'placeholder="yyyy-mm-dd"' in page


def test_an_iso_date_typed_in_the_arabic_page_filters(arabic_accountant, org_a):
    make_transaction(org_a, reference="TX-OLD", transaction_date=datetime.date(2025, 1, 5))
    make_transaction(org_a, reference="TX-NEW", transaction_date=datetime.date(2025, 3, 10))
    page = arabic_accountant.get(
        "/accounting/?tab=expenses&date_from=2025-03-01&date_to=2025-03-31"
    ).content.decode()
    assert "TX-NEW" in page and "TX-OLD" not in page


@pytest.mark.parametrize(
    ("status", "english", "arabic"),
    [
        ("Draft", "Draft", "مسودة"),
        ("draft", "Draft", "مسودة"),
        ("DRAFT", "Draft", "مسودة"),
        ("posted", "Posted", "مرحّل"),
        ("Awaiting for Approval", "Awaiting approval", "بانتظار الاعتماد"),
        ("Something new", "Something new", "Something new"),
    ],
)
def test_an_entrys_status_is_one_word_per_state_in_each_language(status, english, arabic):
    with translation.override("en"):
        assert entry_status(status) == english
    with translation.override("ar"):
        assert entry_status(status) == arabic


@pytest.mark.parametrize(
    ("seconds", "english", "arabic"),
    [
        (60, "1 minute", "دقيقة واحدة"),
        (120, "2 minutes", "دقيقتان"),
        (300, "5 minutes", "5 دقائق"),
        (900, "15 minutes", "15 دقيقة"),
        (7200, "2 hours", "ساعتان"),
        (3900, "1 hour, 5 minutes", "ساعة واحدة و5 دقائق"),
    ],
)
def test_how_long_a_run_took_has_arabics_own_forms(org_a, seconds, english, arabic):
    end = timezone.now()
    run = SyncRun(
        organization=org_a, started_at=end - datetime.timedelta(seconds=seconds), finished_at=end
    )
    with translation.override("en"):
        assert run_took(run) == english
    with translation.override("ar"):
        assert run_took(run) == arabic
        assert "2 دقيقتين" not in run_took(run)


def test_no_template_draws_a_date_field_in_the_browsers_locale():
    """Every date field is ISO text (`accounting/_iso_date.html`), pages added later too."""
    templates = Path(settings.BASE_DIR, "templates")
    drawn = [
        str(path.relative_to(templates))
        for path in templates.rglob("*.html")
        if 'type="date"' in path.read_text(encoding="utf-8")
    ]
    assert drawn == []


def test_back_and_next_arrows_point_the_way_the_arabic_page_reads(arabic_accountant):
    """ "← Accounting" on an Arabic page points right: the arrow is marked, and mirrored in RTL."""
    page = arabic_accountant.get("/accounting/rules/").content.decode()
    assert '<span class="nav-arrow" aria-hidden="true">←</span>' in page
    css = Path(settings.BASE_DIR, "static", "css", "app.css").read_text(encoding="utf-8")
    assert '[dir="rtl"] .nav-arrow { display: inline-block; transform: scaleX(-1); }' in css
