# ruff: noqa: E501 (report lines read better unwrapped)
"""Reconciliation benchmark (issue 15): 10,000 synced transactions compared with what the
Qoyod sandbox holds, at 50 ms latency, within Qoyod's rate limit.

    .venv/bin/python bench/reconcile.py
    BENCH_TRANSACTIONS=10000 BENCH_RATE_PER_MINUTE=300 BENCH_LATENCY_MS=50 .venv/bin/python bench/reconcile.py

The sandbox holds one entry per synced transaction (written straight into its store, as if
pushed earlier). Two cases: everything still in place (the listing's pages only), and a
Qoyod accountant's month of edits: 5 % of the entries moved to another date (found by id),
1 % deleted, 1 % entered twice, 1 % changed. The sandbox answers after BENCH_LATENCY_MS and
refuses more than BENCH_RATE_PER_MINUTE requests in any minute (like Qoyod: 300); our limiter
is set to the same. Prints the requests the sandbox served, the wall time, and the floor the
limit imposes on that many requests: with a sliding window of L requests per W seconds the
N-th request cannot leave before floor((N - 1) / L) windows have passed (W = 60.5 s, our
limiter's window with its safety margin); below L requests the limit does not bind and only
the time is shown. Target: time ≤ 1.15 x floor. The findings must be exact.
"""

import datetime
import os
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/13")
os.environ.setdefault("LOG_LEVEL", "WARNING")  # one line per request would drown the report

TRANSACTIONS = int(os.environ.get("BENCH_TRANSACTIONS", "10000"))
PER_MINUTE = int(os.environ.get("BENCH_RATE_PER_MINUTE", "300"))
LATENCY_MS = int(os.environ.get("BENCH_LATENCY_MS", "50"))
WINDOW_S = 60.5  # integrations/providers/qoyod/ratelimit.py: 60 s + the safety margin
os.environ["QOYOD_RATE_LIMIT_PER_MINUTE"] = str(PER_MINUTE)

from bench.common import prepare_database, setup_django  # noqa: E402

setup_django("sifi_bench_reconcile")

import httpx  # noqa: E402
import redis  # noqa: E402
from django.conf import settings  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounting.models import Account, Reconciliation, Transaction, TransactionStatus  # noqa: E402
from accounting.services.reconciliation import run_reconciliation  # noqa: E402
from integrations.models import ConnectionStatus, Integration  # noqa: E402
from integrations.providers.qoyod.sandbox.seed import DEMO_KEY  # noqa: E402
from integrations.providers.qoyod.sandbox.store import Store  # noqa: E402
from sifi.models import Organization  # noqa: E402
from tests.fakes.sandbox import Sandbox, free_port  # noqa: E402

WALLET, MARKETING = 1003, 1038  # in the sandbox, as Qoyod's wire has them (integers)
DAY = datetime.date(2025, 3, 10)


def amount_of(index: int) -> Decimal:
    return Decimal(100 + index % 900) + Decimal("0.25")


def write_entries(store: Store, reference_of: list[str]) -> list[int]:
    """One Qoyod entry per transaction, as our pushes leave them; their ids, in order."""
    ids = []
    for index, reference in enumerate(reference_of):
        amount = f"{amount_of(index):.2f}"
        entry = store.create_entry(
            DEMO_KEY,
            {
                "date": DAY.isoformat(),
                "description": f"[{reference}] Card expense · Jarir Bookstore",
                "status": "Draft",
                "debit_amounts": [{"account_id": MARKETING, "amount": amount}],
                "credit_amounts": [{"account_id": WALLET, "amount": amount}],
                "total_debit": amount,
                "total_credit": amount,
            },
        )
        ids.append(int(entry["id"]))
    return ids


def synced_organization(references: list[str], entry_ids: list[int], api_key: str) -> Organization:
    org = Organization.objects.create(name=f"Bench reconcile {time.time_ns()}")
    wallet = Account.objects.create(
        organization=org, provider="qoyod", external_id=str(WALLET), code="110101", name_en="Wallet"
    )
    marketing = Account.objects.create(
        organization=org,
        provider="qoyod",
        external_id=str(MARKETING),
        code="5201",
        name_en="Marketing",
    )
    Integration.objects.create(
        provider="qoyod",
        organization=org,
        status=ConnectionStatus.CONNECTED,
        secrets={"api_key": api_key},
        source_account=wallet,
    )
    now = timezone.now()
    Transaction.objects.bulk_create(
        [
            Transaction(
                organization=org,
                reference=reference,
                type="card_expense",
                direction="debit",
                amount=amount_of(index),
                currency="SAR",
                occurred_at=now,
                transaction_date=DAY,
                status=TransactionStatus.SYNCED,
                account=marketing,
                journal_entry_id=str(entry_id),
                journal_entry_status="Draft",
                journal_entry_lines=[
                    {
                        "account": str(MARKETING),
                        "side": "debit",
                        "amount": f"{amount_of(index):.2f}",
                    },
                    {"account": str(WALLET), "side": "credit", "amount": f"{amount_of(index):.2f}"},
                ],
                synced_at=now,
            )
            for index, (reference, entry_id) in enumerate(zip(references, entry_ids, strict=True))
        ],
        batch_size=2000,
    )
    return org


def measure(sandbox: Sandbox, org: Organization, label: str, expected: dict[str, int]) -> float:
    before = httpx.get(f"{sandbox.root}/_sandbox/stats", params={"api_key": DEMO_KEY}).json()
    redis.Redis.from_url(settings.REDIS_URL).flushdb()  # a fresh window for our limiter
    reconciliation = Reconciliation.objects.create(organization=org, date_from=DAY, date_to=DAY)
    started = time.perf_counter()
    done = run_reconciliation(reconciliation_id=reconciliation.pk)
    elapsed = time.perf_counter() - started
    after = httpx.get(f"{sandbox.root}/_sandbox/stats", params={"api_key": DEMO_KEY}).json()
    assert done is not None and done.status == "succeeded", done and done.error
    served = after["served"] - before["served"]
    refused = after.get("rate_limited", 0) - before.get("rate_limited", 0)
    windows = (served - 1) // PER_MINUTE
    floor = windows * WINDOW_S
    found = {
        name: getattr(done, name)
        for name in ("checked", "matched", "missing", "duplicated", "mismatched")
    }
    verdict = (
        f"floor {floor:.1f} s, ratio {elapsed / floor:.3f}"
        if floor
        else "the limit does not bind (fewer requests than one window allows)"
    )
    print(
        f"{label}: {done.checked:,} transactions, {served} requests ({refused} refused with 429) "
        f"in {elapsed:.2f} s; {verdict}; findings {found}"
    )
    assert found == expected, (found, expected)
    return elapsed / floor if floor else 0.0


def main() -> None:
    prepare_database()
    data = Path(tempfile.mkdtemp(prefix="sifi-bench-reconcile-")) / "qoyod.sqlite3"
    references = [f"RECON-{i:06d}" for i in range(TRANSACTIONS)]
    store = Store(data)
    started = time.perf_counter()
    entry_ids = write_entries(store, references)
    print(f"wrote {len(entry_ids):,} sandbox entries in {time.perf_counter() - started:.1f} s")
    sandbox = Sandbox(free_port(), data)
    sandbox.start()
    try:
        sandbox.configure(latency_ms=LATENCY_MS, rate_limit_per_minute=PER_MINUTE)
        org = synced_organization(references, entry_ids, DEMO_KEY)
        settings.QOYOD_BASE_URL = sandbox.base_url
        print(
            f"sandbox: {LATENCY_MS} ms latency, {PER_MINUTE} requests/minute; our limiter the same"
        )
        in_place = measure(
            sandbox,
            org,
            "everything in place",
            {
                "checked": TRANSACTIONS,
                "matched": TRANSACTIONS,
                "missing": 0,
                "duplicated": 0,
                "mismatched": 0,
            },
        )

        # A month of a Qoyod accountant's edits.
        step = 100
        moved = entry_ids[0:TRANSACTIONS:20]  # 5 %
        deleted = entry_ids[1:TRANSACTIONS:step]  # 1 %
        changed = entry_ids[2:TRANSACTIONS:step]  # 1 %
        duplicated = list(range(3, TRANSACTIONS, step))  # 1 %
        for entry_id in moved:
            sandbox.change_entry(entry_id, date="2025-04-15")
        for entry_id in deleted:
            sandbox.delete_entry(entry_id)
        for entry_id in changed:
            sandbox.change_entry(
                entry_id,
                debit_amounts=[{"account_id": MARKETING, "amount": "1.00"}],
                credit_amounts=[{"account_id": WALLET, "amount": "1.00"}],
            )
        for index in duplicated:
            store.create_entry(
                DEMO_KEY,
                {
                    "date": DAY.isoformat(),
                    "description": f"[{references[index]}] copy",
                    "status": "Draft",
                    "debit_amounts": [],
                    "credit_amounts": [],
                },
            )
        problems = len(moved) + len(deleted) + len(changed) + len(duplicated)
        edited = measure(
            sandbox,
            org,
            "after a month of edits",
            {
                "checked": TRANSACTIONS,
                "matched": TRANSACTIONS - problems,
                "missing": len(deleted),
                "duplicated": len(duplicated),
                "mismatched": len(moved) + len(changed),
            },
        )
        print(
            f"ratio to the floor where the limit binds: {edited:.3f} (target ≤ 1.15); in place: {'no floor' if not in_place else f'{in_place:.3f}'}"
        )
    finally:
        sandbox.stop()


if __name__ == "__main__":
    main()
