"""Receipts with a ZATCA QR code, made by the tests: the TLV record, then a real QR code drawn
by segno on a receipt-sized picture, saved as PNG, JPEG or a PDF page (Pillow writes PDFs)."""

import base64
import io

import segno
from PIL import Image, ImageDraw

SELLER = "مكتبة جرير Jarir Bookstore"
VAT_NUMBER = "310122393500003"


def tlv(*records: tuple[int, bytes | str]) -> str:
    """A ZATCA QR code's text: base64 of (tag, length, value) records, values in UTF-8."""
    raw = b""
    for tag, value in records:
        encoded = value.encode("utf-8") if isinstance(value, str) else value
        raw += bytes([tag, len(encoded)]) + encoded
    return base64.b64encode(raw).decode("ascii")


def zatca_payload(
    total: str = "230.00",
    vat: str = "30.00",
    *,
    seller: str = SELLER,
    vat_number: str = VAT_NUMBER,
    time: str = "2025-03-31T22:30:00Z",
    phase2: bool = False,
) -> str:
    records: list[tuple[int, bytes | str]] = [
        (1, seller),
        (2, vat_number),
        (3, time),
        (4, total),
        (5, vat),
    ]
    if phase2:  # hash, signature, public key: binary, ignored by the reader
        records += [(6, bytes(range(32))), (7, b"\x30\x45" + bytes(70)), (8, bytes(88))]
    return tlv(*records)


def _receipt_picture(payloads: list[str], *, width: int = 600, scale: int = 4) -> Image.Image:
    """A white receipt with some lines of text and one QR code per payload."""
    codes = []
    for payload in payloads:
        buffer = io.BytesIO()
        segno.make_qr(payload, error="m").save(buffer, kind="png", scale=scale, border=4)
        codes.append(Image.open(io.BytesIO(buffer.getvalue())).convert("L"))
    height = 200 + sum(code.height + 40 for code in codes)
    page = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(page)
    for line, text in enumerate(("Simplified tax invoice", "Printer toner 1 x 200.00")):
        draw.text((30, 30 + 30 * line), text, fill=0)
    top = 160
    for code in codes:
        page.paste(code, ((width - code.width) // 2, top))
        top += code.height + 40
    return page


def receipt_image(*payloads: str, fmt: str = "PNG") -> bytes:
    buffer = io.BytesIO()
    _receipt_picture(list(payloads)).save(buffer, format=fmt, quality=90)
    return buffer.getvalue()


def receipt_pdf(*pages: list[str]) -> bytes:
    """A PDF whose pages carry these payloads' codes (an empty list: a page without one)."""
    pictures = [_receipt_picture(page).convert("RGB") for page in pages]
    buffer = io.BytesIO()
    pictures[0].save(
        buffer, format="PDF", resolution=150, save_all=True, append_images=pictures[1:]
    )
    return buffer.getvalue()
