"""Provider ids are strings wherever they cross the seam, the API and the database (issue 22):
books whose ids are no numbers ("acc_9f2", "exp_1", as Wafeq's) go through chart mirroring,
pushes (with adoption after an unknown outcome and attachments), reconciliation, the pages
and the API, exactly as Qoyod's and Odoo's do."""

import datetime
import importlib
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.urls import clear_url_caches

from accounting.models import (
    Account,
    Document,
    Reconciliation,
    ReconciliationItem,
    SyncRunItem,
    SyncRunStatus,
    TransactionStatus,
)
from accounting.providers import ChartAccount
from accounting.services.reconciliation import run_reconciliation
from accounting.services.runs import start_sync_run
from integrations.config_sync import run_config_sync
from integrations.models import Integration, JobStatus
from sifi.models import AuditEvent, Role
from tests.accounting.sync_runs import drain
from tests.factories import api_client_for, make_transaction, make_user
from tests.fakes.string_books import PROVIDER_PATH, StringBooks

pytestmark = pytest.mark.django_db

KEY = "string-books-key"
API = "/api/v1/integrations/string-books/"
DAY = datetime.date(2025, 3, 10)
PDF = b"%PDF-1.4\n%%EOF\n"


def chart_account(external_id, code, name, *, parent=None, active=True, payments=False):
    return ChartAccount(
        external_id=external_id,
        code=code,
        name_en=name,
        name_ar="",
        type="expense" if code.startswith("5") else "asset",
        group_type="",
        active=active,
        receive_payments=payments,
        parent_external_id=parent,
    )


def _reload_routes() -> None:
    """The API's and pages' routes come from the registry when they are imported."""
    for module in ("integrations.urls", "integrations.page_urls", "sifi.urls"):
        importlib.reload(importlib.import_module(module))
    clear_url_caches()


@pytest.fixture
def books(settings):
    """String Books registered beside the real providers, one company's books in it."""
    original = dict(settings.ACCOUNTING_PROVIDERS)
    settings.ACCOUNTING_PROVIDERS = {**original, "string_books": PROVIDER_PATH}
    _reload_routes()
    StringBooks.companies.clear()
    company = StringBooks.for_key(KEY)
    company.chart = [
        chart_account("acc_5", "5", "Expenses"),
        chart_account("acc_9f2", "5201", "Marketing Expenses", parent="acc_5"),
        chart_account("acc_10", "5202", "Travel", parent="acc_5"),
        chart_account("acc_1", "1101", "SiFi Wallet", payments=True),
    ]
    yield company
    StringBooks.companies.clear()
    settings.ACCOUNTING_PROVIDERS = original
    _reload_routes()


@pytest.fixture
def admin(books, org_a):
    """An admin of an organization connected to String Books through the API."""
    admin = make_user(org_a, Role.ADMIN)
    api = api_client_for(admin)
    assert api.post(f"{API}consent/", {"accept": True}, format="json").status_code == 200
    connected = api.post(f"{API}connect/", {"api_key": KEY}, format="json")
    assert connected.status_code == 200, connected.content
    return admin


def mirror(admin):
    """Sync now, as the API starts it, and the worker's run of the job."""
    api = api_client_for(admin)
    started = api.post(f"{API}sync/", {"attributes": ["accounts"]}, format="json")
    assert started.status_code == 202, started.content
    done = run_config_sync(job_id=started.json()["id"])
    assert done is not None and done.status == JobStatus.SUCCEEDED, done and done.error
    return {
        account.external_id: account
        for account in Account.objects.filter(organization=admin.organization)
    }


def configured(admin):
    """The chart mirrored, the wallet as Source Account: ready to push."""
    chart = mirror(admin)
    Integration.objects.filter(organization=admin.organization).update(
        source_account=chart["acc_1"]
    )
    return chart


def verified(org, account, count=1):
    return [
        make_transaction(
            org, status=TransactionStatus.VERIFIED, account=account, transaction_date=DAY
        )
        for _ in range(count)
    ]


def with_receipt(txn):
    document = Document(
        organization=txn.organization,
        transaction=txn,
        filename="receipt.pdf",
        content_type="application/pdf",
        size=len(PDF),
        sha256=f"{txn.pk:064d}",
    )
    document.file.save("receipt.pdf", ContentFile(PDF), save=False)
    document.save()
    return txn


def test_the_chart_mirrors_by_string_ids_parents_and_headings_included(books, admin):
    chart = mirror(admin)
    assert set(chart) == {"acc_5", "acc_9f2", "acc_10", "acc_1"}
    assert chart["acc_9f2"].parent == chart["acc_5"] and chart["acc_5"].is_heading
    assert not chart["acc_9f2"].is_heading and chart["acc_1"].parent is None

    # Re-syncing is an upsert by the provider's id: a rename updates, a removal deactivates.
    books.chart = [
        chart_account("acc_5", "5", "Expenses"),
        chart_account("acc_9f2", "5201", "Marketing & Advertising", parent="acc_5"),
        chart_account("acc_1", "1101", "SiFi Wallet", payments=True),
    ]
    again = mirror(admin)
    assert set(again) == set(chart)  # nothing created twice
    assert again["acc_9f2"].pk == chart["acc_9f2"].pk
    assert again["acc_9f2"].name_en == "Marketing & Advertising"
    assert again["acc_10"].active is False

    rows = api_client_for(admin).get(f"{API}accounts/").json()["results"]
    assert {row["code"]: row["external_id"] for row in rows} == {
        "5": "acc_5",
        "5201": "acc_9f2",
        "5202": "acc_10",
        "1101": "acc_1",
    }


def test_pushes_store_the_books_string_ids_and_adopt_after_an_unknown_outcome(
    books, admin, client, django_capture_on_commit_callbacks
):
    org = admin.organization
    chart = configured(admin)
    first, second = [with_receipt(t) for t in verified(org, chart["acc_9f2"], 2)]
    books.lose_next_answer = True  # the first entry is stored, its answer lost
    with django_capture_on_commit_callbacks():
        run = start_sync_run(organization=org, actor=None)
    assert drain(run).status == SyncRunStatus.SUCCEEDED

    assert len(books.entries) == 2  # adopted, not created twice
    adopted = AuditEvent.objects.filter(action="transaction.journal_entry_created")
    assert [event.after["adopted"] for event in adopted].count(True) == 1
    by_reference = {entry.reference: entry for entry in books.entries.values()}
    for txn in (first, second):
        txn.refresh_from_db()
        entry = by_reference[txn.reference]
        assert txn.status == TransactionStatus.SYNCED and txn.journal_entry_id == entry.id
        assert entry.id.startswith("exp_")
        assert [(line.account, line.side) for line in entry.lines] == [
            ("acc_9f2", "debit"),
            ("acc_1", "credit"),
        ]
        assert txn.journal_entry_lines == [
            {"account": "acc_9f2", "side": "debit", "amount": f"{txn.amount:.2f}"},
            {"account": "acc_1", "side": "credit", "amount": f"{txn.amount:.2f}"},
        ]
        [document] = txn.documents.all()
        assert document.external_attachment_id == f"att_1_{entry.id}"
        item = SyncRunItem.objects.get(run=run, transaction=txn)
        assert item.journal_entry_id == entry.id

    api = api_client_for(make_user(org, Role.ACCOUNTANT))
    rows = api.get("/api/v1/accounting/transactions/", {"tab": "synced"}).json()["results"]
    assert sorted(row["journal_entry_id"] for row in rows) == sorted(
        e.id for e in books.entries.values()
    )
    detail = api.get(f"/api/v1/accounting/transactions/{first.pk}/").json()
    assert detail["documents"][0]["external_attachment_id"] == f"att_1_{first.journal_entry_id}"

    client.force_login(make_user(org, Role.ACCOUNTANT))
    page = client.get(f"/accounting/transactions/{first.pk}/").content.decode()
    assert f"entry #{first.journal_entry_id}" in page
    assert f"https://books.example/expenses/{first.journal_entry_id}" in page


def test_a_refused_account_id_fails_the_transaction_with_the_books_words(
    books, admin, django_capture_on_commit_callbacks
):
    org = admin.organization
    chart = configured(admin)
    books.chart = [account for account in books.chart if account.external_id != "acc_10"]
    [txn] = verified(org, chart["acc_10"])  # gone upstream since the last sync
    with django_capture_on_commit_callbacks():
        run = start_sync_run(organization=org, actor=None)
    assert drain(run).status == SyncRunStatus.FAILED
    txn.refresh_from_db()
    assert txn.status == TransactionStatus.FAILED and "Unknown account acc_10" in txn.status_reason
    assert txn.journal_entry_id is None and books.entries == {}


def test_reconciliation_compares_entries_by_their_string_ids(
    books, admin, django_capture_on_commit_callbacks
):
    org = admin.organization
    chart = configured(admin)
    txns = verified(org, chart["acc_9f2"], 12)
    with django_capture_on_commit_callbacks():
        run = start_sync_run(organization=org, actor=None)
    assert drain(run).status == SyncRunStatus.SUCCEEDED
    for txn in txns:
        txn.refresh_from_db()
    deleted, duplicated, relined, *untouched = txns
    del books.entries[deleted.journal_entry_id]
    copy = books.add_entry(  # someone entered it again by hand: "exp_13", younger than "exp_2"
        _draft_of(duplicated, account="acc_9f2")
    )
    books.change_entry(
        relined.journal_entry_id,
        lines=tuple(
            line if line.side == "credit" else type(line)("acc_10", line.side, line.amount)
            for line in books.entries[relined.journal_entry_id].lines
        ),
    )

    reconciliation = Reconciliation.objects.create(organization=org, date_from=DAY, date_to=DAY)
    done = run_reconciliation(reconciliation_id=reconciliation.pk)
    assert done is not None and done.status == "succeeded", done and done.error
    assert (done.checked, done.matched) == (12, len(untouched))
    assert (done.missing, done.duplicated, done.mismatched) == (1, 1, 1)
    found = {item.transaction_id: item for item in ReconciliationItem.objects.all()}
    assert found[deleted.pk].journal_entry_ids == [deleted.journal_entry_id]
    assert f"Entry #{deleted.journal_entry_id} is no longer" in found[deleted.pk].detail
    # Named in the books' order (as they were created), not as text sorts "exp_13" < "exp_2".
    assert found[duplicated.pk].journal_entry_ids == [duplicated.journal_entry_id, copy.id]
    assert "lines differ" in found[relined.pk].detail and "acc_10" in found[relined.pk].detail

    api = api_client_for(make_user(org, Role.ACCOUNTANT))
    body = api.get(f"/api/v1/accounting/reconciliations/{reconciliation.pk}/").json()
    assert {item["transaction"]: item["journal_entry_ids"] for item in body["items"]} == {
        deleted.pk: [deleted.journal_entry_id],
        duplicated.pk: [duplicated.journal_entry_id, copy.id],
        relined.pk: [relined.journal_entry_id],
    }


def _draft_of(txn, *, account):
    from accounting.journal import CREDIT, DEBIT, JournalEntryDraft, JournalLine

    return JournalEntryDraft(
        reference=txn.reference,
        date=txn.transaction_date,
        description="copy",
        currency="SAR",
        lines=(
            JournalLine(account, DEBIT, Decimal(txn.amount)),
            JournalLine("acc_1", CREDIT, Decimal(txn.amount)),
        ),
    )


def test_a_late_receipts_lost_answer_in_books_that_cannot_list_files_is_not_sent_twice(
    books, admin, django_capture_on_commit_callbacks
):
    """Books whose session cannot say which files an entry holds: after an unknown outcome the
    receipt is not sent again (it may be there): it fails with what a person should check."""
    import time

    from django.utils import timezone

    from accounting.services.turns import claim_turns, take_turn

    org = admin.organization
    chart = configured(admin)
    txn = with_receipt(verified(org, chart["acc_9f2"])[0])
    with django_capture_on_commit_callbacks():
        run = start_sync_run(organization=org, actor=None)
    assert drain(run).status == SyncRunStatus.SUCCEEDED
    txn.refresh_from_db()
    late = Document(
        organization=org,
        transaction=txn,
        filename="late.pdf",
        content_type="application/pdf",
        size=len(PDF),
        sha256="f" * 64,
        late_since=timezone.now(),
    )
    late.file.save("late.pdf", ContentFile(PDF), save=False)
    late.save()
    books.lose_next_attach_answer = True
    queue = list(claim_turns(org.pk))
    while queue:
        stripe, lease = queue.pop(0)
        end = take_turn(organization_id=org.pk, stripe=stripe, lease=lease)
        if end.lease is not None:
            time.sleep(min(end.countdown, 1.0))
            queue.append((stripe, end.lease))
    assert books.attachments[txn.journal_entry_id] == ["receipt.pdf", "late.pdf"]
    late.refresh_from_db()
    assert late.attached_at is None
    assert late.attach_error.startswith("We may have attached this receipt already")
    page = api_client_for(make_user(org, Role.ACCOUNTANT), token=False).get(
        f"/accounting/transactions/{txn.pk}/"
    )
    assert "Send it again" in page.content.decode()
