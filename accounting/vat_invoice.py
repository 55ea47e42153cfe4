"""What a receipt's ZATCA QR code says of the VAT, and whether it backs what SiFi reports.

Since 2021 every Saudi simplified tax invoice carries a QR code whose text is a base64 TLV
record (ZATCA's e-invoicing rules): tag 1 seller name, 2 the seller's VAT number, 3 the time
stamp, 4 the invoice total with VAT, 5 the VAT total, each as UTF-8 text; phase 2 adds tags
6 and up (hash, signature, public key), which are skipped here. Input VAT may be deducted only
with such an invoice, so the VAT of a transaction is *backed* when a receipt's QR code shows
the same total and the same VAT.

Decoding the picture is the job of a well-kept library (zxing-cpp); PDF pages are rendered
with PDFium (pypdfium2). Nothing here raises on a bad file or a bad code: a receipt that
cannot be read simply holds no invoice.
"""

import base64
import binascii
import io
import logging
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

import pypdfium2
import zxingcpp
from PIL import Image

from accounting.models import Transaction, VatEvidence

logger = logging.getLogger(__name__)

# ZATCA's QR code is for Saudi tax invoices: a payment in any other currency bears no Saudi
# input VAT, whatever its receipt shows.
SAUDI_CURRENCY = "SAR"
# The total and the VAT agree with the transaction within a halala.
TOLERANCE = Decimal("0.01")
# A VAT registration number: 15 digits, the first and the last a 3.
VAT_NUMBER = re.compile(r"3[0-9]{13}3")
# PDF pages are rendered at this resolution: a QR code printed 2 cm wide gets about 3 pixels
# a module, enough for the decoder; more costs time and memory for nothing.
PDF_RENDER_DPI = 150
# A PDF receipt longer than this is not a receipt: only its first pages are looked at.
MAX_PDF_PAGES = 5
# A picture larger than this (in pixels) is refused before it is decoded (a decompression
# bomb); Pillow's own guard is 89 million.
MAX_PIXELS = 40_000_000

# Only QR codes (Model 2, what ZATCA prescribes) are looked for: faster, and nothing else
# on a receipt can be an invoice.
QR_CODES = zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)

TAG_SELLER, TAG_VAT_NUMBER, TAG_TIME, TAG_TOTAL, TAG_VAT = 1, 2, 3, 4, 5


@dataclass(frozen=True)
class VatInvoice:
    """The five fields of a ZATCA QR code. `time` is kept as written (ISO 8601 in practice)."""

    seller: str
    vat_number: str
    time: str
    total: Decimal
    vat: Decimal

    @property
    def has_valid_vat_number(self) -> bool:
        return valid_vat_number(self.vat_number)

    def as_json(self) -> dict[str, Any]:
        """As stored on the transaction and returned by the API (money as strings)."""
        return {
            "seller": self.seller,
            "vat_number": self.vat_number,
            "vat_number_valid": self.has_valid_vat_number,
            "time": self.time,
            "total": f"{self.total:.2f}",
            "vat": f"{self.vat:.2f}",
        }


def valid_vat_number(number: str) -> bool:
    """A Saudi VAT registration number: 15 digits, starting and ending with 3."""
    return VAT_NUMBER.fullmatch(number) is not None


def _amount(text: str) -> Decimal | None:
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        return None
    if not value.is_finite() or value < 0:
        return None
    return value


def parse_tlv(payload: bytes | str) -> VatInvoice | None:
    """The invoice in a QR code's text (base64 of tag, length, value records), or None when
    it is not a ZATCA record: not base64, a record cut short, a required tag missing, a value
    that is not UTF-8, an amount that is not a number. Tags it does not know are skipped."""
    try:
        text = payload.decode("ascii") if isinstance(payload, bytes) else payload
        raw = base64.b64decode("".join(text.split()), validate=True)
    except (UnicodeDecodeError, binascii.Error, ValueError):
        return None
    values: dict[int, str] = {}
    position = 0
    while position < len(raw):
        if position + 2 > len(raw):
            return None
        tag, length = raw[position], raw[position + 1]
        value = raw[position + 2 : position + 2 + length]
        if len(value) != length:
            return None
        position += 2 + length
        if TAG_SELLER <= tag <= TAG_VAT and tag not in values:
            try:
                values[tag] = value.decode("utf-8")
            except UnicodeDecodeError:
                return None
    if any(tag not in values for tag in range(TAG_SELLER, TAG_VAT + 1)):
        return None
    total, vat = _amount(values[TAG_TOTAL]), _amount(values[TAG_VAT])
    if total is None or vat is None:
        return None
    return VatInvoice(
        seller=values[TAG_SELLER].strip(),
        vat_number=values[TAG_VAT_NUMBER].strip(),
        time=values[TAG_TIME].strip(),
        total=total,
        vat=vat,
    )


def _invoice_on(picture: Image.Image) -> VatInvoice | None:
    """The first QR code on the picture that is a ZATCA record."""
    for barcode in zxingcpp.read_barcodes(picture, formats=QR_CODES):
        invoice = parse_tlv(barcode.bytes)
        if invoice is not None:
            return invoice
    return None


def _image_invoice(content: bytes) -> VatInvoice | None:
    with Image.open(io.BytesIO(content)) as picture:
        if picture.width * picture.height > MAX_PIXELS:
            return None
        picture.draft("L", picture.size)  # JPEG: decode straight to grey
        return _invoice_on(picture.convert("L"))


def _pdf_invoice(content: bytes) -> VatInvoice | None:
    document = pypdfium2.PdfDocument(content)
    try:
        for index in range(min(len(document), MAX_PDF_PAGES)):
            page = document[index]
            try:
                width, height = page.get_size()
                scale = PDF_RENDER_DPI / 72
                if width * height * scale * scale > MAX_PIXELS:
                    scale = (MAX_PIXELS / (width * height)) ** 0.5
                bitmap = page.render(scale=scale, grayscale=True)
                try:
                    invoice = _invoice_on(bitmap.to_pil())
                finally:
                    bitmap.close()
            finally:
                page.close()
            if invoice is not None:
                return invoice
    finally:
        document.close()
    return None


def read_invoice(content: bytes, content_type: str) -> VatInvoice | None:
    """The ZATCA invoice on a receipt (PDF: each page; PNG/JPEG), or None when there is none
    or the file cannot be read. Never raises for a bad file."""
    try:
        if content_type == "application/pdf":
            return _pdf_invoice(content)
        if content_type in ("image/png", "image/jpeg"):
            return _image_invoice(content)
    except Exception:  # a broken receipt holds no invoice; the reason goes to the log only
        logger.warning("receipt unreadable for its QR code (%s)", content_type, exc_info=True)
    return None


def evidence_for(transaction: Transaction, invoice: VatInvoice | None) -> str:
    """What the receipt says of the VAT SiFi reports (a `VatEvidence` value).

    `foreign`: paid in another currency, no Saudi input VAT; `no_invoice`: no ZATCA QR code;
    `backed`: the code's total is the amount and its VAT the reported VAT (within 0.01 each),
    from a valid VAT number; `mismatch`: a code whose figures or VAT number do not back it.
    """
    if transaction.original_currency and transaction.original_currency != SAUDI_CURRENCY:
        return VatEvidence.FOREIGN
    if invoice is None:
        return VatEvidence.NO_INVOICE
    reported_vat = transaction.vat_amount or Decimal("0.00")
    if (
        invoice.has_valid_vat_number
        and abs(invoice.total - transaction.amount) <= TOLERANCE
        and abs(invoice.vat - reported_vat) <= TOLERANCE
    ):
        return VatEvidence.BACKED
    return VatEvidence.MISMATCH
