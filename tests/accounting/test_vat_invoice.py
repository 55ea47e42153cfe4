"""A receipt's ZATCA QR code: read from pictures and PDF pages, decoded, and weighed against
what SiFi reports (accounting/vat_invoice.py)."""

import base64
from decimal import Decimal

import pytest

from accounting.models import Transaction, VatEvidence
from accounting.vat_invoice import (
    VatInvoice,
    evidence_for,
    parse_tlv,
    read_invoice,
    valid_vat_number,
)
from tests.accounting.zatca_receipts import (
    SELLER,
    VAT_NUMBER,
    receipt_image,
    receipt_pdf,
    tlv,
    zatca_payload,
)
from tests.factories import a_pdf, an_image


def test_a_zatca_record_gives_seller_vat_number_time_total_and_vat():
    invoice = parse_tlv(zatca_payload("230.00", "30.00"))
    assert invoice == VatInvoice(
        seller=SELLER,
        vat_number=VAT_NUMBER,
        time="2025-03-31T22:30:00Z",
        total=Decimal("230.00"),
        vat=Decimal("30.00"),
    )


def test_phase_two_tags_after_the_five_are_skipped():
    invoice = parse_tlv(zatca_payload("115.00", "15.00", phase2=True))
    assert invoice is not None
    assert (invoice.total, invoice.vat) == (Decimal("115.00"), Decimal("15.00"))


def test_the_record_is_read_from_bytes_and_with_line_breaks():
    text = zatca_payload()
    assert parse_tlv(text.encode()) == parse_tlv(text[:20] + "\n" + text[20:])


@pytest.mark.parametrize(
    "payload",
    [
        "https://example.com/receipt/42",  # another QR code: a link
        "not base64 at all!",
        base64.b64encode(b"\x01\x10short").decode(),  # a length past the end
        base64.b64encode(b"\x01").decode(),  # a tag without a length
        tlv((1, "Shop"), (2, VAT_NUMBER), (3, "2025-01-01"), (4, "100.00")),  # no VAT tag
        tlv((1, b"\xff\xfe"), (2, VAT_NUMBER), (3, "t"), (4, "1"), (5, "0")),  # not UTF-8
        tlv((1, "Shop"), (2, VAT_NUMBER), (3, "t"), (4, "lots"), (5, "0")),  # not a number
        tlv((1, "Shop"), (2, VAT_NUMBER), (3, "t"), (4, "NaN"), (5, "0")),
        tlv((1, "Shop"), (2, VAT_NUMBER), (3, "t"), (4, "-5"), (5, "0")),
        "",
    ],
)
def test_anything_that_is_not_a_zatca_record_is_none(payload):
    assert parse_tlv(payload) is None


@pytest.mark.parametrize(
    ("number", "valid"),
    [
        ("310122393500003", True),
        ("300000000000003", True),
        ("310122393500004", False),  # does not end with 3
        ("210122393500003", False),  # does not start with 3
        ("31012239350003", False),  # 14 digits
        ("3101223935000033", False),  # 16 digits
        ("3101223935O0003", False),  # a letter O
        ("٣١٠١٢٢٣٩٣٥٠٠٠٠٣", False),  # Arabic-Indic digits are not what ZATCA encodes
    ],
)
def test_a_vat_number_has_15_digits_starting_and_ending_with_3(number, valid):
    assert valid_vat_number(number) is valid


@pytest.mark.parametrize("fmt", ["PNG", "JPEG"])
def test_the_code_on_a_photographed_receipt_is_read(fmt):
    content = receipt_image(zatca_payload("57.50", "7.50"), fmt=fmt)
    invoice = read_invoice(content, f"image/{fmt.lower()}")
    assert invoice is not None
    assert (invoice.seller, invoice.total, invoice.vat) == (
        SELLER,
        Decimal("57.50"),
        Decimal("7.50"),
    )


def test_the_code_on_a_later_pdf_page_is_read():
    content = receipt_pdf([], [zatca_payload("1150.00", "150.00", phase2=True)])
    invoice = read_invoice(content, "application/pdf")
    assert invoice is not None
    assert invoice.total == Decimal("1150.00")


def test_of_several_codes_the_zatca_one_is_taken():
    content = receipt_image("https://example.com/loyalty", zatca_payload("23.00", "3.00"))
    invoice = read_invoice(content, "image/png")
    assert invoice is not None
    assert invoice.vat == Decimal("3.00")


@pytest.mark.parametrize(
    ("content", "content_type"),
    [
        (receipt_image("https://example.com/menu"), "image/png"),  # a code, not an invoice
        (an_image("PNG"), "image/png"),  # no code at all
        (a_pdf(), "application/pdf"),  # a blank page
        (b"%PDF-1.4 broken", "application/pdf"),
        (b"\x89PNG\r\n\x1a\n broken", "image/png"),
        (b"\xff\xd8\xff broken", "image/jpeg"),
        (receipt_image(zatca_payload()), "text/html"),  # not a receipt type
    ],
)
def test_a_receipt_without_an_invoice_or_unreadable_gives_none(content, content_type):
    assert read_invoice(content, content_type) is None


def _txn(amount="230.00", vat="30.00", original_currency="") -> Transaction:
    return Transaction(
        amount=Decimal(amount),
        vat_amount=Decimal(vat) if vat is not None else None,
        original_currency=original_currency,
        original_amount=Decimal("61.33") if original_currency else None,
    )


def _invoice(total="230.00", vat="30.00", vat_number=VAT_NUMBER) -> VatInvoice:
    return VatInvoice(SELLER, vat_number, "2025-03-31T22:30:00Z", Decimal(total), Decimal(vat))


@pytest.mark.parametrize(
    ("txn", "invoice", "evidence"),
    [
        (_txn(), _invoice(), VatEvidence.BACKED),
        (_txn("230.00", "30.00"), _invoice("230.01", "29.99"), VatEvidence.BACKED),  # a halala
        (_txn("230.00", "30.00"), _invoice("230.02", "30.00"), VatEvidence.MISMATCH),
        (_txn("230.00", "30.00"), _invoice("230.00", "30.02"), VatEvidence.MISMATCH),
        (_txn("230.00", "0.00"), _invoice("230.00", "30.00"), VatEvidence.MISMATCH),
        (_txn("230.00", None), _invoice("230.00", "0.00"), VatEvidence.BACKED),
        (_txn(), _invoice(vat_number="123456789012345"), VatEvidence.MISMATCH),
        (_txn(), None, VatEvidence.NO_INVOICE),
        (_txn(original_currency="USD"), _invoice(), VatEvidence.FOREIGN),
        (_txn(original_currency="USD"), None, VatEvidence.FOREIGN),
        (_txn(original_currency="SAR"), _invoice(), VatEvidence.BACKED),
    ],
)
def test_evidence_weighs_the_invoice_against_the_transaction(txn, invoice, evidence):
    assert evidence_for(txn, invoice) == evidence


def test_the_invoice_is_stored_with_money_as_strings():
    assert _invoice("1150.5", "150").as_json() == {
        "seller": SELLER,
        "vat_number": VAT_NUMBER,
        "vat_number_valid": True,
        "time": "2025-03-31T22:30:00Z",
        "total": "1150.50",
        "vat": "150.00",
    }
