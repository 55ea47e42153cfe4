"""The VAT report of a period (issue 27): synced transactions by category — reclaimed with a
tax invoice behind it, reclaimed as reported, booked gross with the reason, reverse-charged —
mismatches with both figures, totals; as JSON, CSV and XLSX, in English and Arabic (the
Arabic sheet right to left); the organization's own transactions only, the Accounting roles
only, a 400 for bad dates."""

import csv
import datetime
import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from accounting.models import AccountingSettings, TransactionStatus, VatEvidence, VatReclaim
from sifi.models import Role
from tests.factories import api_client_for, make_account, make_transaction

REPORT = "/api/v1/accounting/vat-report/"
PERIOD = "date_from=2025-03-01&date_to=2025-03-31"
MARCH = datetime.date(2025, 3, 15)
INVOICE = {
    "seller": "Jarir Bookstore",
    "vat_number": "310122393500003",
    "vat_number_valid": True,
    "time": "2025-03-15T10:00:00Z",
    "total": "115.00",
    "vat": "10.00",
}


def _synced(org, **fields):
    values = {
        "status": TransactionStatus.SYNCED,
        "transaction_date": MARCH,
        "amount": Decimal("115.00"),
        "vat_amount": Decimal("15.00"),
        "journal_entry_id": "JE-1",
    }
    values.update(fields)
    values.setdefault("account", make_account(org))
    return make_transaction(org, **values)


@pytest.fixture
def march(org_a):
    """One synced transaction of each kind in March, and some that are not in the report."""
    return {
        "backed": _synced(
            org_a,
            merchant="Backed Shop",
            vat_evidence=VatEvidence.BACKED,
            vat_reclaimed=Decimal("15.00"),
            vat_invoice={**INVOICE, "vat": "15.00"},
        ),
        "unbacked": _synced(
            org_a,
            merchant="Mismatch Shop",
            vat_evidence=VatEvidence.MISMATCH,
            vat_reclaimed=Decimal("15.00"),
            vat_invoice=INVOICE,
        ),
        "gross": _synced(
            org_a,
            merchant="Bare Shop",
            vat_evidence=VatEvidence.NO_INVOICE,
            vat_reclaimed=Decimal("0.00"),
        ),
        "reverse": _synced(
            org_a,
            merchant="=Amazon Web Services",
            amount=Decimal("200.00"),
            vat_amount=None,
            vat_evidence=VatEvidence.FOREIGN,
            reverse_charge_vat=Decimal("30.00"),
            vat_reclaimed=Decimal("0.00"),
        ),
        "refund": _synced(
            org_a,
            type="card_refund",
            merchant="Backed Shop",
            amount=Decimal("23.00"),
            vat_amount=Decimal("3.00"),
            vat_evidence=VatEvidence.BACKED,
            vat_reclaimed=Decimal("3.00"),
        ),
        # Not in the report: no VAT; not synced; April.
        "no_vat": _synced(org_a, vat_amount=None, vat_reclaimed=Decimal("0.00")),
        "verified": make_transaction(
            org_a,
            status=TransactionStatus.VERIFIED,
            account=make_account(org_a),
            transaction_date=MARCH,
            vat_amount=Decimal("15.00"),
        ),
        "april": _synced(org_a, transaction_date=datetime.date(2025, 4, 1)),
    }


def test_the_report_sorts_each_synced_transaction_into_its_category(users_a, march):
    body = api_client_for(users_a[Role.ACCOUNTANT]).get(f"{REPORT}?{PERIOD}").json()
    by_id = {row["transaction_id"]: row for row in body["rows"]}
    assert set(by_id) == {march[k].pk for k in ("backed", "unbacked", "gross", "reverse", "refund")}
    assert by_id[march["backed"].pk]["category"] == "reclaimed_backed"
    assert by_id[march["unbacked"].pk]["category"] == "reclaimed_unbacked"
    assert by_id[march["gross"].pk]["category"] == "booked_gross"
    assert by_id[march["gross"].pk]["reason"] == "no tax invoice QR code on the receipt"
    assert by_id[march["reverse"].pk]["category"] == "reverse_charge"
    refund = by_id[march["refund"].pk]
    assert (refund["amount"], refund["vat_reclaimed"]) == ("-23.00", "-3.00")
    # A mismatch shows both figures.
    mismatch = by_id[march["unbacked"].pk]
    assert mismatch["mismatch"] is True
    assert (mismatch["vat_reported"], mismatch["invoice_vat"]) == ("15.00", "10.00")
    totals = body["totals"]
    assert totals["reclaimed_backed"] == {
        "count": 2,
        "amount": "92.00",
        "vat_reported": "12.00",
        "vat_reclaimed": "12.00",
        "reverse_charge_vat": "0.00",
    }
    assert totals["reverse_charge"]["reverse_charge_vat"] == "30.00"
    assert totals["booked_gross"]["vat_reported"] == "15.00"
    assert totals["booked_gross"]["vat_reclaimed"] == "0.00"
    assert body["mismatches"]["count"] == 1
    assert body["mismatch_invoice_vat"] == "10.00"
    # Input VAT: 12.00 backed + 15.00 as reported + 30.00 reverse charge; output: 30.00.
    assert (body["input_vat"], body["output_vat"]) == ("57.00", "30.00")


def test_transactions_synced_before_entries_kept_their_vat_follow_the_setting(users_a, org_a):
    old = _synced(org_a, vat_evidence=VatEvidence.NO_INVOICE)  # vat_reclaimed unknown (null)
    api = api_client_for(users_a[Role.ACCOUNTANT])
    [row] = api.get(f"{REPORT}?{PERIOD}").json()["rows"]
    assert (row["transaction_id"], row["category"]) == (old.pk, "reclaimed_unbacked")
    AccountingSettings.objects.create(organization=org_a, vat_reclaim=VatReclaim.BACKED_ONLY)
    [row] = api.get(f"{REPORT}?{PERIOD}").json()["rows"]
    assert row["category"] == "booked_gross"


def test_the_csv_has_every_row_and_the_totals(users_a, march):
    response = api_client_for(users_a[Role.ACCOUNTANT]).get(f"{REPORT}?{PERIOD}&format=csv")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv"
    assert 'filename="vat-report-2025-03-01-2025-03-31.csv"' in response["Content-Disposition"]
    text = response.content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["VAT report", "2025-03-01", "2025-03-31"]
    assert rows[1][:4] == ["Date", "Reference", "Merchant", "Category"]
    assert len([row for row in rows if row and row[0] == "2025-03-15"]) == 5
    # A merchant a spreadsheet would run as a formula is kept as text.
    assert any(row[2] == "'=Amazon Web Services" for row in rows if len(row) > 2)
    assert ["Output VAT (reverse charge)", "", "", "", "", "30.00"] in rows


def test_the_xlsx_reads_back_with_numbers_as_numbers(users_a, march):
    response = api_client_for(users_a[Role.ACCOUNTANT]).get(f"{REPORT}?{PERIOD}&format=xlsx")
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(response.content))
    sheet, totals = workbook.worksheets
    assert sheet.sheet_view.rightToLeft is not True
    header = [cell.value for cell in sheet[1]]
    assert header[:3] == ["Date", "Reference", "Merchant"]
    amounts = sorted(row[5] for row in sheet.iter_rows(min_row=2, values_only=True))
    assert amounts == [-23, 115, 115, 115, 200]
    labels = [row[0] for row in totals.iter_rows(values_only=True)]
    assert "Reverse charge (foreign service)" in labels


def test_the_arabic_report_is_in_arabic_and_right_to_left(users_a, march):
    api = api_client_for(users_a[Role.ACCOUNTANT])
    response = api.get(f"{REPORT}?{PERIOD}&format=xlsx", HTTP_ACCEPT_LANGUAGE="ar")
    sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
    assert sheet.sheet_view.rightToLeft is True
    header = [cell.value for cell in sheet[1]]
    assert header[:3] == ["التاريخ", "المرجع", "التاجر"]
    assert header[5] == "المبلغ"
    text = api.get(f"{REPORT}?{PERIOD}&format=csv", HTTP_ACCEPT_LANGUAGE="ar").content
    assert "التاريخ,المرجع,التاجر" in text.decode("utf-8-sig")


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("date_to=2025-03-31", "date_from"),
        ("date_from=2025-3-1x&date_to=2025-03-31", "date_from"),
        ("date_from=2025-03-31&date_to=2025-03-01", "date_to"),
        ("date_from=2024-01-01&date_to=2025-03-01", "date_to"),
    ],
)
def test_bad_dates_are_a_400_naming_the_field(users_a, query, field):
    api = api_client_for(users_a[Role.ACCOUNTANT])
    for fmt in ("", "&format=xlsx"):
        response = api.get(f"{REPORT}?{query}{fmt}")
        assert response.status_code == 400
        assert field in response.json()


def test_employees_cannot_read_the_report(users_a):
    response = api_client_for(users_a[Role.EMPLOYEE]).get(f"{REPORT}?{PERIOD}")
    assert response.status_code == 403


def test_another_organizations_transactions_are_not_in_the_report(users_a, org_b):
    _synced(org_b, vat_evidence=VatEvidence.BACKED, vat_reclaimed=Decimal("15.00"))
    body = api_client_for(users_a[Role.ADMIN]).get(f"{REPORT}?{PERIOD}").json()
    assert body["rows"] == []
    assert body["input_vat"] == "0.00"


def test_the_page_shows_the_totals_and_links_the_downloads(client, users_a, march):
    client.force_login(users_a[Role.ACCOUNTANT])
    page = client.get(f"/accounting/vat-report/?{PERIOD}").content.decode()
    assert 'data-testid="vat-report-output-vat">30.00<' in page
    assert 'data-testid="vat-report-input-vat">57.00<' in page
    assert page.count('data-testid="vat-report-row"') == 5
    assert f"{REPORT}?date_from=2025-03-01&amp;date_to=2025-03-31&amp;format=xlsx" in page
    assert "Mismatch Shop" in page
    assert "VAT report" in client.get("/accounting/").content.decode()


def test_the_page_says_what_is_wrong_with_the_dates(client, users_a):
    client.force_login(users_a[Role.ACCOUNTANT])
    response = client.get("/accounting/vat-report/?date_from=2025-04-01&date_to=2025-03-01")
    assert response.status_code == 200
    assert "The period ends before it starts." in response.content.decode()


def test_employees_cannot_open_the_page(client, users_a):
    client.force_login(users_a[Role.EMPLOYEE])
    assert client.get("/accounting/vat-report/").status_code == 403
