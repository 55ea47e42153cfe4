# ruff: noqa: E501 (report lines read better unwrapped)
"""Sync-run benchmark (issue 7): verified transactions, one receipt each, pushed to the
Qoyod sandbox by real Celery workers inside a shared rate limit.

    .venv/bin/python bench/sync_run.py
    BENCH_TRANSACTIONS=10000 BENCH_RATE=50 BENCH_WORKERS=8 BENCH_SEQUENTIAL=300 .venv/bin/python bench/sync_run.py

The sandbox answers every request after BENCH_LATENCY_MS (50) and refuses more than
BENCH_RATE requests per second (as a sliding minute, like Qoyod); our limiter is set to the
same rate. Each transaction costs two requests (create the draft entry, attach its receipt).
Prints the run's wall time against the floor (requests / rate), duplicates (must be 0), the
workers' memory over the run, and a sequential push (one request after another, in one
process) of BENCH_SEQUENTIAL transactions as the baseline, scaled to the same count.
"""

import os
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
MEDIA = Path(tempfile.mkdtemp(prefix="sifi-bench-media-"))
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/13")
os.environ["MEDIA_ROOT"] = str(MEDIA)

TRANSACTIONS = int(os.environ.get("BENCH_TRANSACTIONS", "10000"))
RATE = float(os.environ.get("BENCH_RATE", "50"))  # requests per second
WORKERS = int(os.environ.get("BENCH_WORKERS", "8"))
LATENCY_MS = int(os.environ.get("BENCH_LATENCY_MS", "50"))
SEQUENTIAL = int(os.environ.get("BENCH_SEQUENTIAL", "300"))
os.environ["QOYOD_RATE_LIMIT_PER_MINUTE"] = str(int(RATE * 60))

from bench.common import (  # noqa: E402
    bulk_receipts,
    bulk_verified,
    group_rss_mb,
    prepare_database,
    setup_django,
)

setup_django("sifi_bench_sync")

import redis  # noqa: E402
from django.conf import settings  # noqa: E402

from accounting.models import (  # noqa: E402
    Account,
    SyncRun,
    SyncRunStatus,
    Transaction,
    TransactionStatus,
)
from accounting.services.runs import start_sync_run  # noqa: E402
from accounting.services.turns import pending_batches, push_batch  # noqa: E402
from integrations.models import ConnectionStatus, Integration  # noqa: E402
from sifi.models import Organization  # noqa: E402
from tests.fakes.sandbox import Sandbox, free_port  # noqa: E402
from tests.fakes.worker import Worker  # noqa: E402


def organization_with_verified(sandbox: Sandbox, count: int, label: str) -> Organization:
    """A connected organization with `count` verified card expenses, one PDF receipt each."""
    org = Organization.objects.create(name=f"Bench sync {label} {time.time_ns()}")
    wallet = Account.objects.create(
        organization=org, provider="qoyod", external_id="1003", code="110101", name_en="Wallet"
    )
    marketing = Account.objects.create(
        organization=org,
        provider="qoyod",
        external_id="1038",
        code="5201",
        name_en="Marketing Expenses",
    )
    Integration.objects.create(
        provider="qoyod",
        organization=org,
        status=ConnectionStatus.CONNECTED,
        secrets={"api_key": sandbox.demo_key},
        source_account=wallet,
    )
    bulk_receipts(org, bulk_verified(org, marketing, count), MEDIA)
    return org


def start_workers(sandbox: Sandbox) -> Worker:
    env = {
        **os.environ,
        "QOYOD_BASE_URL": sandbox.base_url,
        "QOYOD_RETRY_BASE_SECONDS": "0.2",
        "SYNC_RETRY_BASE_SECONDS": "0.2",
        "PYTHONUNBUFFERED": "1",
    }
    workers = Worker(env, concurrency=WORKERS)
    workers.start()
    return workers


def duplicates(sandbox: Sandbox, org: Organization) -> tuple[int, int, int]:
    """(entries, attachments, references with more than one entry) for this organization."""
    prefix = f"[BENCH-{org.pk}-"
    entries = [
        e for e in sandbox.journal_entries() if str(e.get("description", "")).startswith(prefix)
    ]
    references = Counter(e["description"].split("]")[0] for e in entries)
    attachments = sum(len(e.get("attachments", [])) for e in entries)
    return len(entries), attachments, sum(1 for n in references.values() if n > 1)


def concurrent_run(sandbox: Sandbox) -> float:
    org = organization_with_verified(sandbox, TRANSACTIONS, "concurrent")
    broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    broker.flushdb()  # the bench's own Redis database: broker, limiter buckets
    workers = start_workers(sandbox)
    assert workers.process is not None
    pgid = workers.process.pid
    time.sleep(3)  # let the pool come up before the clock starts
    rss: list[float] = []
    try:
        started = time.perf_counter()
        run = start_sync_run(organization=org, actor=None)
        last_print = 0.0
        while True:
            time.sleep(1)
            rss.append(group_rss_mb(pgid))
            run.refresh_from_db()
            if run.status not in (SyncRunStatus.QUEUED, SyncRunStatus.RUNNING):
                break
            if time.perf_counter() - last_print > 30:
                last_print = time.perf_counter()
                done = Transaction.objects.filter(
                    organization=org, status=TransactionStatus.SYNCED
                ).count()
                print(
                    f"  … {done:,} synced after {last_print - started:.0f} s, workers {rss[-1]:.0f} MB"
                )
        elapsed = time.perf_counter() - started
    finally:
        workers.stop()
    entries, attachments, duplicated = duplicates(sandbox, org)
    requests = entries + attachments
    floor = requests / RATE
    synced = Transaction.objects.filter(organization=org, status=TransactionStatus.SYNCED).count()
    third = max(1, len(rss) // 3)
    print(
        f"\nconcurrent run ({WORKERS} worker processes): status {run.status}, {synced:,} of {TRANSACTIONS:,} synced"
    )
    print(f"  requests      {requests:,} ({entries:,} entries + {attachments:,} attachments)")
    print(f"  wall time     {elapsed:.1f} s")
    print(f"  floor         {floor:.1f} s (requests / {RATE:g} per s)")
    print(f"  ratio         {elapsed / floor:.3f}  (target ≤ 1.15)")
    print(f"  duplicates    {duplicated}")
    print(
        f"  worker memory first third max {max(rss[:third]):.0f} MB, last third max {max(rss[-third:]):.0f} MB, "
        f"overall max {max(rss):.0f} MB"
    )
    assert run.status == SyncRunStatus.SUCCEEDED and duplicated == 0
    return elapsed


def sequential_baseline(sandbox: Sandbox) -> float:
    """One process, one request after another (no workers), same latency and limit."""
    org = organization_with_verified(sandbox, SEQUENTIAL, "sequential")
    run = start_sync_run(organization=org, actor=None)
    SyncRun.objects.filter(pk=run.pk).update(status=SyncRunStatus.RUNNING)
    started = time.perf_counter()
    while batches := pending_batches(run):
        for batch in batches:
            wait = push_batch(run_id=run.pk, transaction_ids=batch)
            if wait:  # the limit's window is spent: wait it out (one process, nothing else)
                time.sleep(wait)
                break
    elapsed = time.perf_counter() - started
    entries, attachments, duplicated = duplicates(sandbox, org)
    per_txn = elapsed / SEQUENTIAL
    print(
        f"\nsequential baseline: {SEQUENTIAL} transactions ({entries + attachments} requests) in {elapsed:.1f} s, "
        f"{per_txn * 1000:.0f} ms per transaction, duplicates {duplicated}"
    )
    scaled = per_txn * TRANSACTIONS
    print(f"  scaled to {TRANSACTIONS:,} transactions: {scaled:.0f} s")
    return scaled


def main() -> None:
    prepare_database()
    with tempfile.TemporaryDirectory() as tmp:
        sandbox = Sandbox(free_port(), Path(tmp) / "qoyod.sqlite3")
        sandbox.start()
        try:
            sandbox.configure(latency_ms=LATENCY_MS, rate_limit_per_minute=int(RATE * 60))
            settings.QOYOD_BASE_URL = sandbox.base_url
            print(
                f"Sync run benchmark: {TRANSACTIONS:,} verified transactions with one receipt each, "
                f"sandbox latency {LATENCY_MS} ms, rate limit {RATE:g} requests/s"
            )
            concurrent = concurrent_run(sandbox)
            sequential = sequential_baseline(sandbox)
            print(
                f"\nconcurrent {concurrent:.0f} s vs sequential {sequential:.0f} s (scaled): {sequential / concurrent:.1f} times faster"
            )
        finally:
            sandbox.stop()


if __name__ == "__main__":
    main()
