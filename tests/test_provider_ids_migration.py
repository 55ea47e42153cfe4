"""Provider ids become strings with their data kept (accounting 0014, integrations 0009):
rows written while the columns were integers read back as the same ids in digits, Odoo's
headings' negative ids as "group-<id>", the ids kept in JSON as strings; the unique keys the
chart and vendor upserts rely on still hold; and going back restores the integers."""

import datetime
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

BEFORE = [("accounting", "0013_sync_run_waiting_until"), ("integrations", "0008_credentials")]
AFTER = [
    ("accounting", "0014_provider_ids_as_strings"),
    ("integrations", "0009_provider_ids_as_strings"),
]
DAY = datetime.date(2025, 3, 10)
LINES = [
    {"account": 1026, "side": "debit", "amount": "100.00"},
    {"account": 1001, "side": "credit", "amount": "100.00"},
]
JOURNALS = [
    {"id": 3, "code": "EXCH", "name": "Exchange Difference"},
    {"id": 4, "code": "MISC", "name": "Miscellaneous Operations"},
]


@pytest.fixture
def migrate(transactional_db):
    """Move the schema to the given migrations; the historical apps there. The schema is
    back at the latest migrations afterwards, whatever the test did."""
    executor = MigrationExecutor(connection)
    latest = executor.loader.graph.leaf_nodes()

    def to(targets):
        executor.loader.build_graph()
        executor.migrate(targets)
        executor.loader.build_graph()
        return executor.loader.project_state(targets).apps

    yield to
    to(latest)


def rows_before(apps):
    """What an organization had while ids were integers: an Odoo chart with a heading, a
    synced transaction with its receipt, a run, a reconciliation finding, a vendor."""
    organization = apps.get_model("sifi", "Organization").objects.create(name="Migrated Org")
    account = apps.get_model("accounting", "Account")
    group = account.objects.create(
        organization=organization, provider="odoo", external_id=-10, code="52", is_heading=True
    )
    marketing = account.objects.create(
        organization=organization, provider="odoo", external_id=1026, code="521001", parent=group
    )
    account.objects.create(organization=organization, provider="qoyod", external_id=1038, code="5")
    txn = apps.get_model("accounting", "Transaction").objects.create(
        organization=organization,
        reference="SIFI-TXN-1",
        type="card_expense",
        direction="debit",
        amount=Decimal("100.00"),
        currency="SAR",
        occurred_at=timezone.now(),
        transaction_date=DAY,
        status="synced",
        account=marketing,
        journal_entry_id=9_876_543_210,
        journal_entry_lines=LINES,
    )
    document = apps.get_model("accounting", "Document")
    for name, attachment_id in (("kept.pdf", 55), ("linked.pdf", None)):
        document.objects.create(
            organization=organization,
            transaction=txn,
            file=f"receipts/{name}",
            filename=name,
            content_type="application/pdf",
            size=10,
            sha256=name,
            external_attachment_id=attachment_id,
        )
    run = apps.get_model("accounting", "SyncRun").objects.create(organization=organization)
    apps.get_model("accounting", "SyncRunItem").objects.create(
        run=run, transaction=txn, outcome="succeeded", journal_entry_id=9_876_543_210
    )
    reconciliation = apps.get_model("accounting", "Reconciliation").objects.create(
        organization=organization, date_from=DAY, date_to=DAY
    )
    apps.get_model("accounting", "ReconciliationItem").objects.create(
        reconciliation=reconciliation,
        transaction=txn,
        problem="duplicated",
        journal_entry_ids=[5, 7],
    )
    apps.get_model("integrations", "Integration").objects.create(
        organization=organization,
        provider="odoo",
        status="connected",
        location={"company_id": "1"},
        journals=JOURNALS,
        journal_external_id=4,
    )
    apps.get_model("integrations", "Vendor").objects.create(
        organization=organization, external_id=77, name="Jarir Bookstore"
    )
    return organization.pk


def test_existing_ids_survive_as_strings_and_odoo_headings_get_their_string_id(migrate):
    organization_id = rows_before(migrate(BEFORE))
    apps = migrate(AFTER)

    account = apps.get_model("accounting", "Account")
    chart = {
        (a.provider, a.external_id): a for a in account.objects.filter(organization=organization_id)
    }
    assert set(chart) == {("odoo", "group-10"), ("odoo", "1026"), ("qoyod", "1038")}
    assert chart["odoo", "1026"].parent_id == chart["odoo", "group-10"].pk
    txn = apps.get_model("accounting", "Transaction").objects.get(organization=organization_id)
    assert txn.journal_entry_id == "9876543210"
    assert txn.journal_entry_lines == [
        {"account": "1026", "side": "debit", "amount": "100.00"},
        {"account": "1001", "side": "credit", "amount": "100.00"},
    ]
    documents = apps.get_model("accounting", "Document").objects.filter(transaction=txn)
    assert dict(documents.values_list("filename", "external_attachment_id")) == {
        "kept.pdf": "55",
        "linked.pdf": None,
    }
    item = apps.get_model("accounting", "SyncRunItem").objects.get(transaction=txn)
    assert item.journal_entry_id == "9876543210"
    finding = apps.get_model("accounting", "ReconciliationItem").objects.get(transaction=txn)
    assert finding.journal_entry_ids == ["5", "7"]
    integration = apps.get_model("integrations", "Integration").objects.get(
        organization=organization_id
    )
    assert (integration.location, integration.journal_external_id) == ({"company_id": "1"}, "4")
    assert integration.journals == [
        {"id": "3", "code": "EXCH", "name": "Exchange Difference"},
        {"id": "4", "code": "MISC", "name": "Miscellaneous Operations"},
    ]
    vendor = apps.get_model("integrations", "Vendor").objects.get(organization=organization_id)
    assert vendor.external_id == "77"

    # The upserts' unique keys hold on the new type.
    with pytest.raises(IntegrityError), transaction.atomic():
        account.objects.create(
            organization_id=organization_id, provider="odoo", external_id="1026", code="x"
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        apps.get_model("integrations", "Vendor").objects.create(
            organization_id=organization_id, external_id="77", name="Again"
        )


def test_going_back_restores_the_integers(migrate):
    organization_id = rows_before(migrate(BEFORE))
    migrate(AFTER)
    apps = migrate(BEFORE)

    account = apps.get_model("accounting", "Account")
    ids = set(
        account.objects.filter(organization=organization_id).values_list("external_id", flat=True)
    )
    assert ids == {-10, 1026, 1038}
    txn = apps.get_model("accounting", "Transaction").objects.get(organization=organization_id)
    assert txn.journal_entry_id == 9_876_543_210
    integration = apps.get_model("integrations", "Integration").objects.get(
        organization=organization_id
    )
    assert (integration.journal_external_id, integration.journals) == (4, JOURNALS)
