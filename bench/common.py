"""What every benchmark script needs: Django on a database of its own, created and migrated.

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.common import setup_django
setup_django("sifi_bench")       # before importing any model
...
prepare_database()
"""

import os
from decimal import Decimal
from pathlib import Path
from typing import Any

import django


def setup_django(database: str) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sifi.settings")
    os.environ.setdefault("DATABASE_URL", f"postgres://postgres@127.0.0.1:5432/{database}")
    os.environ.setdefault("DEBUG", "false")  # DEBUG keeps every SQL string: not production
    # DEBUG off refuses to start without keys; benchmarks use their own, never production's.
    os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-" + "b" * 40)
    os.environ.setdefault("FIELD_ENCRYPTION_KEYS", "YmVuY2gtb25seS1maWVsZC1lbmNyeXB0aW9uLWtleSE=")
    django.setup()


def prepare_database() -> None:
    """Create the benchmark's database if it is missing, then migrate it."""
    import psycopg
    from django.core.management import call_command
    from django.db import connection

    name = connection.settings_dict["NAME"]
    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as pg:
        if not pg.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            pg.execute(f'CREATE DATABASE "{name}"')
    call_command("migrate", verbosity=0)


def group_rss_mb(pgid: int) -> float:
    """Resident memory of every process of a process group (the worker and its pool), MB."""
    total = 0
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            if os.getpgid(int(pid)) != pgid:
                continue
            with open(f"/proc/{pid}/statm") as statm:
                total += int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        except (ProcessLookupError, FileNotFoundError, PermissionError):
            continue
    return total / 1e6


PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def bulk_verified(org: Any, account: Any, count: int, *, prefix: str = "BENCH") -> list[Any]:
    """`count` verified card expenses of `org` assigned to `account`, inserted in bulk
    (references `<prefix>-<org>-<n>`)."""
    from django.utils import timezone

    from accounting.models import Transaction, TransactionStatus

    now = timezone.now()
    return Transaction.objects.bulk_create(
        [
            Transaction(
                organization=org,
                reference=f"{prefix}-{org.pk}-{i:06d}",
                type="card_expense",
                direction="debit",
                amount=Decimal(100 + i % 900) + Decimal("0.25"),
                currency="SAR",
                merchant="Jarir Bookstore" if i % 2 else "مكتبة جرير",
                occurred_at=now,
                transaction_date=now.date(),
                status=TransactionStatus.VERIFIED,
                account=account,
                verified_at=now,
            )
            for i in range(count)
        ],
        batch_size=2000,
    )


def bulk_receipts(org: Any, transactions: list[Any], media: Path) -> None:
    """One small PDF receipt per transaction, written under `media` (the MEDIA_ROOT)."""
    from accounting.models import Document

    folder = media / "bench" / str(org.pk)
    folder.mkdir(parents=True)
    documents = []
    for txn in transactions:
        (folder / f"{txn.pk}.pdf").write_bytes(PDF)
        documents.append(
            Document(
                organization=org,
                transaction=txn,
                file=f"bench/{org.pk}/{txn.pk}.pdf",
                filename=f"receipt-{txn.reference}.pdf",
                content_type="application/pdf",
                size=len(PDF),
                sha256=f"{txn.pk:064x}",
            )
        )
    Document.objects.bulk_create(documents, batch_size=2000)
