"""VAT evidence benchmark (issue 27): reading receipts' ZATCA QR codes, and ingestion with the
reading queued.

    .venv/bin/python bench/vat_qr.py            # BENCH_RECEIPTS=10000 by default

1. Reads BENCH_RECEIPTS receipts in this one process (as one worker process would), half PDF
   (an A4 page, rendered at 150 dpi), a quarter PNG (a scanned receipt), a quarter JPEG (a
   phone photo); one in ten holds no QR code (the decoder's slowest case: it searches the
   whole picture). Prints receipts per second for each kind and overall, and the process's
   peak RSS and RSS after each quarter (flat: nothing kept between receipts).
2. Ingests 1,000 transactions with one receipt each (after a warm-up batch), four times with
   the reading queued and four times without, alternating (the same service,
   `queue_vat_reading` switched off), and prints the medians: the ingestion answer does not
   wait for any reading. The queued messages go to the
   Redis database of REDIS_URL and are purged at the end.
"""

import io
import os
import resource
import statistics
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

os.environ.setdefault("MEDIA_ROOT", tempfile.mkdtemp(prefix="bench-vat-media-"))

from bench.common import prepare_database, setup_django

setup_django("sifi_bench_vat")

import datetime  # noqa: E402

from django.utils import timezone  # noqa: E402
from PIL import Image, ImageDraw  # noqa: E402

from accounting.services import ingestion  # noqa: E402
from accounting.services.ingestion import (  # noqa: E402
    IncomingDocument,
    IncomingTransaction,
    ingest_transactions,
)
from accounting.vat_invoice import read_invoice  # noqa: E402
from sifi.celery import app as celery_app  # noqa: E402
from sifi.models import Organization  # noqa: E402
from tests.accounting.zatca_receipts import zatca_payload  # noqa: E402

RECEIPTS = int(os.environ.get("BENCH_RECEIPTS", "10000"))
DISTINCT = 40  # distinct files of each kind, read in turn


def rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * resource.getpagesize() / 1e6


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1000


def _page(size: tuple[int, int], payload: str | None, module: int) -> Image.Image:
    import segno

    page = Image.new("L", size, 255)
    draw = ImageDraw.Draw(page)
    for line in range(25):  # lines of text, like a receipt's items
        draw.text((40, 40 + 28 * line), f"Item {line:02d} ........ {line * 3.5:8.2f} SAR", fill=0)
    if payload is not None:
        buffer = io.BytesIO()
        segno.make_qr(payload, error="m").save(buffer, kind="png", scale=module, border=4)
        code = Image.open(io.BytesIO(buffer.getvalue())).convert("L")
        page.paste(code, ((size[0] - code.width) // 2, size[1] - code.height - 60))
    return page


def receipts() -> dict[str, list[bytes]]:
    """DISTINCT files of each kind, one in ten without a QR code."""
    made: dict[str, list[bytes]] = {"application/pdf": [], "image/png": [], "image/jpeg": []}
    for n in range(DISTINCT):
        payload = None if n % 10 == 9 else zatca_payload(f"{100 + n}.00", f"{13 + n}.04")
        pdf, png, jpeg = io.BytesIO(), io.BytesIO(), io.BytesIO()
        # A4 at 150 dpi with a 2.5 cm code (3 px a module); a scan; a 2 Mpx phone photo.
        _page((1240, 1754), payload, 3).convert("RGB").save(pdf, "PDF", resolution=150)
        _page((800, 1400), payload, 4).save(png, "PNG")
        _page((1200, 1600), payload, 5).convert("RGB").save(jpeg, "JPEG", quality=85)
        made["application/pdf"].append(pdf.getvalue())
        made["image/png"].append(png.getvalue())
        made["image/jpeg"].append(jpeg.getvalue())
    return made


def bench_reading() -> None:
    files = receipts()
    # Interleaved, as a worker meets them: PDF, PNG, PDF, JPEG, ...
    kinds = ("application/pdf", "image/png", "application/pdf", "image/jpeg")
    plan = [(kinds[i % 4], i // 4) for i in range(RECEIPTS)]
    spent: dict[str, float] = dict.fromkeys(files, 0.0)
    counts: dict[str, int] = dict.fromkeys(files, 0)
    found = 0
    print(f"reading {len(plan)} receipts in one process; RSS at start {rss_mb():.0f} MB")
    began = time.perf_counter()
    for done, (kind, i) in enumerate(plan, start=1):
        start = time.perf_counter()
        invoice = read_invoice(files[kind][i % DISTINCT], kind)
        spent[kind] += time.perf_counter() - start
        counts[kind] += 1
        found += invoice is not None
        if done % (len(plan) // 4) == 0:
            print(f"  {done:>6} read, RSS {rss_mb():.0f} MB")
    total = time.perf_counter() - began
    for kind in files:
        print(
            f"  {kind:<16} {counts[kind]:>6}: {counts[kind] / spent[kind]:7.1f} receipts/s "
            f"({spent[kind] / counts[kind] * 1000:.1f} ms each)"
        )
    print(
        f"  all: {len(plan)} in {total:.1f} s = {len(plan) / total:.1f} receipts/s per worker "
        f"process; invoices found {found} of {len(plan)} (one in ten has no code); "
        f"peak RSS {peak_rss_mb():.0f} MB"
    )


def _batch(org_tag: str, run: int, pdf: bytes) -> list[IncomingTransaction]:
    now = timezone.now() - datetime.timedelta(hours=1)
    return [
        IncomingTransaction(
            reference=f"VAT-BENCH-{org_tag}-{run}-{n:05d}",
            type="card_expense",
            amount=Decimal("115.00"),
            currency="SAR",
            vat_amount=Decimal("15.00"),
            occurred_at=now,
            merchant="Jarir Bookstore",
            # A distinct file per transaction, as in real life (each is hashed and written).
            documents=(IncomingDocument("r.pdf", "application/pdf", pdf + f"%{n}".encode()),),
        )
        for n in range(1000)
    ]


def _ingest_ms(org: Organization, items: list[IncomingTransaction]) -> float:
    from django.db import connection

    start = time.perf_counter()
    # The API's request: one atomic block, then its commit (files written, reading queued).
    ingest_transactions(organization=org, items=items)
    assert connection.get_autocommit()
    return (time.perf_counter() - start) * 1000


def _no_reading(transaction_ids: list[int]) -> None:
    """Ingestion as it was before VAT evidence: nothing queued."""


def bench_ingestion() -> None:
    prepare_database()
    tag = str(time.time_ns())[-8:]
    org = Organization.objects.create(name=f"VAT bench {tag}")
    pdf = io.BytesIO()
    _page((1240, 1754), zatca_payload("115.00", "15.00"), 3).convert("RGB").save(
        pdf, "PDF", resolution=150
    )
    queued_reading = ingestion.queue_vat_reading
    with_reading: list[float] = []
    without: list[float] = []
    _ingest_ms(org, _batch(tag, 99, pdf.getvalue()))  # warm-up (first queries, first files)
    for run in range(8):
        queued = run % 2 == 0
        ingestion.queue_vat_reading = queued_reading if queued else _no_reading
        (with_reading if queued else without).append(
            _ingest_ms(org, _batch(tag, run, pdf.getvalue()))
        )
    ingestion.queue_vat_reading = queued_reading
    purged = celery_app.control.purge()
    print(
        "ingestion of 1,000 transactions with a receipt each: median "
        f"{statistics.median(with_reading):.0f} ms with the reading queued "
        f"({', '.join(f'{t:.0f}' for t in with_reading)}), "
        f"{statistics.median(without):.0f} ms without ({', '.join(f'{t:.0f}' for t in without)}); "
        f"{purged} queued reading messages purged"
    )


if __name__ == "__main__":
    bench_reading()
    bench_ingestion()
