"""A realistic, deterministic demo ledger (seed_demo): the same content every run, so
re-running the seed changes nothing (ingestion is idempotent by reference)."""

import base64
import datetime
import io
import random
import zlib
from collections.abc import Container, Iterator
from decimal import Decimal
from zoneinfo import ZoneInfo

import segno
from PIL import Image, ImageDraw, ImageOps

from accounting.services.ingestion import IncomingDocument, IncomingTransaction

EMPLOYEES = [
    ("EMP-001", "Sara Al-Otaibi"),
    ("EMP-002", "Omar Al-Zahrani"),
    ("EMP-003", "Noura Al-Shehri"),
    ("EMP-004", "Fahad Al-Mutairi"),
    ("EMP-005", "Reem Al-Ghamdi"),
    ("EMP-006", "Abdullah Al-Sulami"),
    ("EMP-007", "Lina Haddad"),
    ("EMP-008", "Yousef Al-Anazi"),
]
BUDGETS = [
    "Marketing Campaign 2025",
    "Sales Travel Q3",
    "Office Operations",
    "Engineering Tools",
    "Riyadh Season Event",
]
MERCHANTS = {
    "Marketing Campaign 2025": ["Google Ads", "Meta Platforms", "Snapchat Ads", "مطبعة الرياض"],
    "Sales Travel Q3": ["Saudia Airlines", "Hilton Riyadh", "Careem", "Uber", "فندق الفيصلية"],
    "Office Operations": ["Jarir Bookstore", "مكتبة جرير", "Panda Retail", "Starbucks", "STC"],
    "Engineering Tools": ["Amazon Web Services", "GitHub", "Atlassian", "Microsoft"],
    "Riyadh Season Event": ["Al Baik", "بوفيه الضيافة", "Tamimi Markets", "Aldrees Petroleum"],
}
TYPE_WEIGHTS = [
    ("card_expense", 70),
    ("card_refund", 5),
    ("transfer_out", 6),
    ("transfer_in", 4),
    ("reimbursement", 7),
    ("cash_out", 4),
    ("cash_in", 4),
]
RIYADH = ZoneInfo("Asia/Riyadh")


# Purchases on a tax invoice carry Saudi VAT (15 %, inside the amount); transfers and cash
# movements do not.
VAT_ABLE_TYPES = ("card_expense", "card_refund", "reimbursement")


def saudi_vat(amount: Decimal) -> Decimal:
    """The VAT inside a VAT-inclusive amount, as Saudi receipts show it (to the halala)."""
    return (amount * Decimal("0.15") / Decimal("1.15")).quantize(Decimal("0.01"))


# What the demo receipts carry, so that the demo's VAT evidence shows a mix (issue 27): most
# a ZATCA QR code that matches the transaction, every 7th one whose VAT differs, every 5th none.
QR_MATCHING, QR_MISMATCH, QR_NONE = "matching", "mismatch", "none"


def receipt_qr_kind(index: int) -> str:
    if index % 5 == 0:
        return QR_NONE
    if index % 7 == 0:
        return QR_MISMATCH
    return QR_MATCHING


def seller_vat_number(merchant: str) -> str:
    """A valid-looking Saudi VAT number per merchant: 15 digits, starting and ending with 3."""
    digits = f"{zlib.crc32(merchant.encode('utf-8')):013d}"[-13:]
    return f"3{digits}3"


def zatca_qr_text(*, seller: str, vat_number: str, time: str, total: Decimal, vat: Decimal) -> str:
    """The text of a ZATCA simplified tax invoice QR code: base64 of TLV records (tag, length,
    UTF-8 value) for seller, VAT number, time stamp, total and VAT (tags 1 to 5)."""
    values = (seller, vat_number, time, f"{total:.2f}", f"{vat:.2f}")
    record = b""
    for tag, value in enumerate(values, start=1):
        encoded = value.encode("utf-8")[:255]
        record += bytes((tag, len(encoded))) + encoded
    return base64.b64encode(record).decode("ascii")


def _receipt_picture(reference: str, amount: Decimal, qr_text: str | None) -> Image.Image:
    """A white receipt: a few lines of text and, when given, its QR code (drawn by segno)."""
    code = None
    if qr_text is not None:
        # A fixed mask: segno's choice of the best of eight is most of its time, and any mask
        # reads. The modules become pixels directly (3 a module, the 4-module quiet zone).
        matrix = segno.make_qr(qr_text, error="m", mask=0).matrix
        size = len(matrix)
        modules = bytes(0 if dark else 255 for row in matrix for dark in row)
        code = ImageOps.expand(Image.frombytes("L", (size, size), modules), border=4, fill=255)
        code = code.resize((code.width * 3, code.height * 3), Image.Resampling.NEAREST)
    width = 420
    height = 120 + (code.height + 20 if code else 0)
    page = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(page)
    draw.text((20, 20), "Simplified tax invoice", fill=0)
    draw.text((20, 50), f"{reference}  {amount:.2f} SAR", fill=0)
    if code is not None:
        page.paste(code, ((width - code.width) // 2, 100))
    return page


def receipt_qr_text(
    reference: str, merchant: str, amount: Decimal, occurred_at: datetime.datetime, kind: str
) -> str | None:
    """What the receipt's QR code says (None: no code): the transaction's figures, or for a
    mismatch a VAT 5.00 lower than the amount's."""
    if kind == QR_NONE:
        return None
    vat = saudi_vat(amount)
    if kind == QR_MISMATCH:
        vat = max(Decimal("0.00"), vat - Decimal("5.00"))
    return zatca_qr_text(
        seller=merchant or "SiFi demo merchant",
        vat_number=seller_vat_number(merchant),
        time=occurred_at.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        total=amount,
        vat=vat,
    )


def receipt_pdf(reference: str, amount: Decimal, qr_text: str | None) -> bytes:
    """A one-page PDF receipt (a picture of the receipt, its QR code on it when given)."""
    buffer = io.BytesIO()
    _receipt_picture(reference, amount, qr_text).convert("RGB").save(
        buffer, format="PDF", resolution=100
    )
    return buffer.getvalue()


def receipt_png(reference: str, amount: Decimal, qr_text: str | None) -> bytes:
    """A PNG 'photo of a receipt', its QR code on it when given."""
    buffer = io.BytesIO()
    _receipt_picture(reference, amount, qr_text).save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue()


def demo_transactions(
    count: int, *, end: datetime.date, existing: Container[str] = ()
) -> Iterator[IncomingTransaction]:
    """`count` transactions over the ~11 months before `end`, every type, two languages.
    References in `existing` are left out (ingestion keeps what it has; drawing their
    receipts' QR codes again would only cost time)."""
    rng = random.Random(2025)  # noqa: S311 (demo data, not security)
    types = [kind for kind, weight in TYPE_WEIGHTS for _ in range(weight)]
    start = datetime.datetime.combine(end, datetime.time(9), RIYADH) - datetime.timedelta(days=330)
    for index in range(1, count + 1):
        kind = rng.choice(types)
        budget = rng.choice(BUDGETS)
        employee_ref, employee_name = rng.choice(EMPLOYEES)
        merchant = rng.choice(MERCHANTS[budget]) if kind.startswith("card") else ""
        amount = Decimal(rng.randrange(1_500, 450_000)) / 100
        occurred_at = start + datetime.timedelta(minutes=int(330 * 24 * 60 * index / count))
        reference = f"SIFI-TXN-{index:06d}"
        documents: tuple[IncomingDocument, ...] = ()
        if reference in existing:
            continue  # every draw of `rng` above is made, so what follows stays the same
        if kind in ("card_expense", "reimbursement") and index % 3:
            qr_text = receipt_qr_text(
                reference, merchant, amount, occurred_at, receipt_qr_kind(index)
            )
            if index % 2:
                documents = (
                    IncomingDocument(
                        "receipt.pdf", "application/pdf", receipt_pdf(reference, amount, qr_text)
                    ),
                )
            else:
                documents = (
                    IncomingDocument(
                        "receipt.png", "image/png", receipt_png(reference, amount, qr_text)
                    ),
                )
        descriptions = {
            "transfer_out": "Transfer to supplier",
            "transfer_in": "Wallet top-up",
            "reimbursement": f"Reimbursement for {employee_name}",
            "cash_out": "ATM withdrawal",
            "cash_in": "Cash deposit",
        }
        yield IncomingTransaction(
            reference=reference,
            type=kind,
            amount=amount,
            currency="SAR",
            occurred_at=occurred_at,
            vat_amount=saudi_vat(amount) if kind in VAT_ABLE_TYPES else None,
            # Every 25th card payment was made abroad, in US dollars (3.75 SAR each).
            original_amount=(amount / Decimal("3.75")).quantize(Decimal("0.01"))
            if kind == "card_expense" and index % 25 == 0
            else None,
            original_currency="USD" if kind == "card_expense" and index % 25 == 0 else "",
            merchant=merchant,
            description=descriptions.get(kind, ""),
            employee_reference=employee_ref,
            employee_name=employee_name,
            budget=budget,
            card_reference=f"CARD-{employee_ref[-3:]}" if kind.startswith("card") else "",
            card_last4=f"4{employee_ref[-3:]}" if kind.startswith("card") else "",
            documents=documents,
        )
