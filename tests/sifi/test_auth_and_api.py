"""Token auth for scripts, service tokens for ingestion, schema and docs, error bodies."""

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from sifi.models import Organization, Role, ServiceToken, User
from sifi.services import create_service_token
from tests.factories import PASSWORD


def test_token_endpoint_gives_a_working_token(admin_a):
    client = APIClient()
    response = client.post(
        "/api/v1/auth/token/", {"username": admin_a.username, "password": PASSWORD}, format="json"
    )
    assert response.status_code == 200
    token = response.json()["token"]
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    me = client.get("/api/v1/me/")
    assert me.status_code == 200
    assert me.json()["username"] == admin_a.username
    assert me.json()["role"] == Role.ADMIN


def test_token_endpoint_rejects_a_wrong_password_with_field_errors(admin_a):
    response = APIClient().post(
        "/api/v1/auth/token/", {"username": admin_a.username, "password": "nope"}, format="json"
    )
    assert response.status_code == 400
    assert "non_field_errors" in response.json()


def test_token_endpoint_missing_fields_are_named(db):
    response = APIClient().post("/api/v1/auth/token/", {}, format="json")
    assert response.status_code == 400
    assert set(response.json()) == {"username", "password"}


def test_a_bogus_token_is_401(db):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    assert client.get("/api/v1/me/").status_code == 401


def test_service_token_authenticates_but_is_not_a_person(org_a):
    raw = create_service_token(organization=org_a)
    assert ServiceToken.objects.filter(organization=org_a).count() == 1
    assert raw not in str(list(ServiceToken.objects.values()))  # stored hashed only
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {raw}")
    # Service tokens have no role: people's endpoints refuse them.
    assert client.get("/api/v1/integrations/").status_code == 403
    client.credentials(HTTP_AUTHORIZATION="Token svc_wrong")
    assert client.get("/api/v1/integrations/").status_code == 401


def test_schema_renders_and_docs_page_loads(db, client):
    schema = client.get("/api/schema/")
    assert schema.status_code == 200
    assert b"/api/v1/integrations/qoyod/accounts/" in schema.content
    assert b"openapi: 3" in schema.content
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    assert b"swagger" in docs.content.lower()


def test_unknown_api_object_is_a_json_404(admin_a, client_for):
    response = client_for(admin_a).get("/api/v1/jobs/999999/")
    assert response.status_code == 404
    assert set(response.json()) == {"detail"}


@pytest.mark.django_db
def test_seed_demo_is_idempotent_and_creates_every_role(capsys):
    call_command("seed_demo", "--transactions", "200")
    first = capsys.readouterr().out
    counts = (User.objects.count(), Organization.objects.count(), ServiceToken.objects.count())
    password_hashes = dict(User.objects.values_list("username", "password"))
    call_command("seed_demo", "--transactions", "200")
    second = capsys.readouterr().out
    assert (
        User.objects.count(),
        Organization.objects.count(),
        ServiceToken.objects.count(),
    ) == counts
    assert dict(User.objects.values_list("username", "password")) == password_hashes
    demo = Organization.objects.get(name="Demo Trading Co.")
    roles = dict(User.objects.filter(organization=demo).values_list("username", "role"))
    assert roles == {
        "admin": Role.ADMIN,
        "finance": Role.FINANCE_MANAGER,
        "accountant": Role.ACCOUNTANT,
        "employee": Role.EMPLOYEE,
    }
    other = User.objects.get(username="other_admin")
    assert other.organization == Organization.objects.get(name="Second Org")
    assert other.check_password("sifi-demo-2025")
    for name in ["admin", "finance", "accountant", "employee", "other_admin", "svc_"]:
        assert name in first
    assert first == second


@pytest.mark.django_db
def test_create_service_token_command_prints_a_usable_token(capsys):
    org = Organization.objects.create(name="Token Org")
    call_command("create_service_token", "--org", "Token Org")
    raw = capsys.readouterr().out.strip()
    assert raw.startswith("svc_")
    assert ServiceToken.objects.get(organization=org).hint == raw[-4:]


@pytest.mark.django_db
def test_seed_demo_builds_a_realistic_ledger_once(django_capture_on_commit_callbacks):
    from accounting.models import Document, Transaction, TransactionType

    with django_capture_on_commit_callbacks(execute=True):  # receipts are written on commit
        call_command("seed_demo", "--transactions", "300")
    counts = (Transaction.objects.count(), Document.objects.count())
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", "--transactions", "300")
    assert (Transaction.objects.count(), Document.objects.count()) == counts == (300, counts[1])
    demo = Transaction.objects.filter(organization__name="Demo Trading Co.")
    assert set(demo.values_list("type", flat=True)) == set(TransactionType.values)
    assert demo.filter(budget__name="Marketing Campaign 2025").exists()
    assert demo.filter(merchant__regex=r"[\u0600-\u06FF]").exists()  # Arabic merchants
    assert {d.content_type for d in Document.objects.all()} == {"application/pdf", "image/png"}
    assert Document.objects.first().file.read(4) in (b"%PDF", b"\x89PNG")


@pytest.mark.django_db
def test_seed_demo_books_vat_like_a_saudi_company_and_connects_with_input_vat(qoyod_sandbox):
    from accounting.demo import saudi_vat
    from accounting.models import Transaction
    from integrations.models import Integration

    call_command("seed_demo", "--transactions", "200", "--connect-qoyod")
    demo = Organization.objects.get(name="Demo Trading Co.")
    integration = Integration.objects.get(organization=demo)
    assert integration.source_account.code == "110101"
    assert (integration.input_vat_account.code, integration.input_vat_account.name_en) == (
        "1104",
        "Input VAT",
    )
    ledger = Transaction.objects.filter(organization=demo)
    for txn in ledger.filter(type__in=["card_expense", "card_refund", "reimbursement"]):
        assert txn.vat_amount == saudi_vat(txn.amount)
    assert not ledger.filter(type__in=["transfer_out", "cash_in"], vat_amount__isnull=False)
    abroad = ledger.filter(original_currency="USD")
    assert abroad.exists() and all(t.currency == "SAR" for t in abroad)
    # Demo rules propose accounts: ride-hailing to travel, ads to advertising, Jarir to office.
    from accounting.models import Rule

    assert Rule.objects.filter(organization=demo).count() == 6
    careem = ledger.filter(merchant="Careem", status="unverified").first()
    assert careem is not None and careem.suggested_account.code == "530101"
    assert careem.suggestion_reason.startswith("rule: Ride-hailing: Careem")


@pytest.mark.django_db
def test_seed_demo_connects_second_org_to_the_odoo_sandbox(odoo_sandbox, settings):
    from accounting.models import Transaction
    from integrations.models import Integration

    settings.ODOO_SANDBOX_URL = odoo_sandbox.url
    for _ in range(2):  # running it again changes nothing
        call_command(
            "seed_demo", "--transactions", "50", "--connect-odoo", "--second-org-transactions", "40"
        )
    second = Organization.objects.get(name="Second Org")
    integration = Integration.objects.get(organization=second)
    assert (integration.provider, integration.status, integration.location["database"]) == (
        "odoo",
        "connected",
        "demo",
    )
    assert (integration.source_account.code, integration.input_vat_account.code) == (
        "111001",
        "114001",
    )
    assert Transaction.objects.filter(organization=second).count() == 40


@pytest.mark.django_db
def test_seed_demo_connects_wafeq_demo_co_to_the_wafeq_sandbox(wafeq_sandbox):
    from accounting.models import Transaction
    from integrations.models import Integration, TaxRate
    from sifi.models import User

    for _ in range(2):  # running it again changes nothing
        call_command(
            "seed_demo",
            "--transactions",
            "20",
            "--connect-wafeq",
            "--second-org-transactions",
            "30",
        )
    wafeq_org = Organization.objects.get(name="Wafeq Demo Co.")
    assert User.objects.get(username="wafeq_admin").organization == wafeq_org
    integration = Integration.objects.get(organization=wafeq_org)
    assert (integration.provider, integration.status, integration.company_name) == (
        "wafeq",
        "connected",
        "Wafeq Demo Co.",
    )
    assert integration.source_account.code == "1101"
    assert integration.options["input_vat_tax_rate"] == "tax_InputVat15"
    assert TaxRate.objects.filter(organization=wafeq_org, active=True).count() == 4
    assert Transaction.objects.filter(organization=wafeq_org).count() == 30


@pytest.mark.django_db
def test_seed_demo_gives_the_connected_demo_its_coding_rules_once():
    from accounting.models import Rule, Suggestion
    from integrations.models import ConnectionStatus, Integration
    from tests.factories import make_account

    demo = Organization.objects.create(name="Demo Trading Co.")
    wallet = make_account(demo, code="110101", type="Asset", receive_payments=True)
    travel = make_account(demo, code="530101", name_en="Travel Expenses - Riyadh HQ")
    make_account(demo, code="5202", name_en="Advertising")
    make_account(demo, code="510401", name_en="Office Supplies - Riyadh HQ")
    Integration.objects.create(
        provider="qoyod",
        organization=demo,
        status=ConnectionStatus.CONNECTED,
        secrets={"api_key": "k"},
        source_account=wallet,
    )
    call_command("seed_demo", "--transactions", "300")
    call_command("seed_demo", "--transactions", "300")
    rules = Rule.objects.filter(organization=demo)
    assert rules.count() == 6
    assert rules.get(name="Ride-hailing: Careem").account == travel
    careem = Suggestion.objects.filter(
        transaction__organization=demo, transaction__merchant__icontains="careem"
    )
    assert careem.exists() and {s.account_id for s in careem} == {travel.pk}


@pytest.mark.django_db
def test_seed_demo_receipts_carry_real_zatca_qr_codes_some_matching_some_not_some_missing(
    django_capture_on_commit_callbacks,
):
    import io

    import zxingcpp
    from PIL import Image

    from accounting.demo import seller_vat_number
    from accounting.models import Document, Transaction, VatEvidence
    from accounting.services.vat_evidence import read_vat_evidence
    from tests.accounting.zatca_receipts import zatca_payload

    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", "--transactions", "200")
    demo = Transaction.objects.filter(organization__name="Demo Trading Co.")
    read_vat_evidence(
        transaction_ids=demo.filter(documents__isnull=False).values_list("pk", flat=True)
    )
    evidence = set(demo.filter(documents__isnull=False).values_list("vat_evidence", flat=True))
    assert {VatEvidence.BACKED, VatEvidence.MISMATCH, VatEvidence.NO_INVOICE} <= evidence
    # A demo photo's code is what the tests' own encoder writes for the same invoice.
    backed = demo.filter(vat_evidence=VatEvidence.BACKED, documents__content_type="image/png")
    txn = backed.first()
    assert txn is not None
    picture = Image.open(io.BytesIO(Document.objects.get(transaction=txn).file.read()))
    [code] = zxingcpp.read_barcodes(picture)
    assert code.text == zatca_payload(
        f"{txn.amount:.2f}",
        f"{txn.vat_amount:.2f}",
        seller=txn.merchant,
        vat_number=seller_vat_number(txn.merchant),
        time=txn.vat_invoice["time"],
    )
    mismatch = demo.filter(vat_evidence=VatEvidence.MISMATCH).first()
    assert mismatch.vat_invoice["total"] == f"{mismatch.amount:.2f}"
    assert mismatch.vat_invoice["vat"] != f"{mismatch.vat_amount:.2f}"
