"""A realistic, deterministic demo ledger (seed_demo): the same content every run, so
re-running the seed changes nothing (ingestion is idempotent by reference)."""

import datetime
import random
import struct
import zlib
from collections.abc import Iterator
from decimal import Decimal
from zoneinfo import ZoneInfo

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


def receipt_pdf(reference: str, merchant: str, amount: Decimal) -> bytes:
    """A one-page PDF receipt (ASCII text; real PDF structure so viewers open it)."""
    text = f"SiFi receipt {reference} - {amount} SAR".replace("(", "").replace(")", "")
    stream = f"BT /F1 14 Tf 40 760 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    out += (
        f"trailer << /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    )
    return bytes(out)


def receipt_png(seed: int) -> bytes:
    """A small grey 'photo of a receipt' PNG, different per transaction."""
    width, height = 24, 32
    shade = 180 + seed % 60
    rows = b"".join(b"\x00" + bytes([shade, shade, shade]) * width for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def demo_transactions(count: int, *, end: datetime.date) -> Iterator[IncomingTransaction]:
    """`count` transactions over the ~11 months before `end`, every type, two languages."""
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
        if kind in ("card_expense", "reimbursement") and index % 3:
            if index % 2:
                documents = (
                    IncomingDocument(
                        "receipt.pdf", "application/pdf", receipt_pdf(reference, merchant, amount)
                    ),
                )
            else:
                documents = (IncomingDocument("receipt.png", "image/png", receipt_png(index)),)
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
