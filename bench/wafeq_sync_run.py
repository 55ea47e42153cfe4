# ruff: noqa: E501 (report lines read better unwrapped)
"""Wafeq sync-run benchmark (issue 24): verified card expenses, one receipt each, pushed to the
Wafeq sandbox by real Celery workers within Wafeq's per-key request limit.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sifi_bench_wafeq REDIS_URL=redis://127.0.0.1:6379/<yours> \\
        .venv/bin/python bench/wafeq_sync_run.py
    BENCH_TRANSACTIONS=2000 BENCH_LIMIT_PER_MINUTE=600 .venv/bin/python bench/wafeq_sync_run.py
    BENCH_TRANSACTIONS=150 BENCH_LIMIT_PER_MINUTE=60 .venv/bin/python bench/wafeq_sync_run.py

Each expense with a receipt costs an upload (`POST /files/`), the create (`POST /expenses/`)
and, when Wafeq answers it POSTED, a mark-as-draft: the sandbox answers every
BENCH_POSTED_EVERY-th (2) new expense POSTED. Our limit is BENCH_LIMIT_PER_MINUTE (60, Wafeq's
default of ours) per API key; the sandbox enforces the same limit (429 past it) and answers
after BENCH_LATENCY_MS (100). Prints the wall time against the floor (the requests the
expenses need / the limit), the requests by kind, what Wafeq's answers required
(mark-as-draft calls), duplicates (must be 0) and the workers' memory. REDIS_URL must name a
Redis database no one else uses: the benchmark flushes it (its broker) before the run.
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
TRANSACTIONS = int(os.environ.get("BENCH_TRANSACTIONS", "2000"))
WORKERS = int(os.environ.get("BENCH_WORKERS", "8"))
LATENCY_MS = int(os.environ.get("BENCH_LATENCY_MS", "100"))
LIMIT_PER_MINUTE = int(os.environ.get("BENCH_LIMIT_PER_MINUTE", "60"))
POSTED_EVERY = int(os.environ.get("BENCH_POSTED_EVERY", "2"))
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/sifi_bench_wafeq")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/8")
os.environ["MEDIA_ROOT"] = str(MEDIA)
os.environ["ALLOW_PRIVATE_PROVIDER_URLS"] = "true"  # the sandbox is http://127.0.0.1
os.environ["WAFEQ_RATE_LIMIT_PER_MINUTE"] = str(LIMIT_PER_MINUTE)

from bench.common import (  # noqa: E402
    bulk_receipts,
    bulk_verified,
    group_rss_mb,
    prepare_database,
    setup_django,
)

setup_django("sifi_bench_wafeq")

import redis  # noqa: E402
from django.conf import settings  # noqa: E402

from accounting.models import Account, SyncRunStatus, Transaction  # noqa: E402
from accounting.services.runs import start_sync_run  # noqa: E402
from integrations.models import ConnectionStatus, Integration  # noqa: E402
from sifi.models import Organization  # noqa: E402
from tests.fakes.sandbox_process import free_port  # noqa: E402
from tests.fakes.wafeq_sandbox import WafeqSandbox  # noqa: E402


def organization_with_verified(sandbox: WafeqSandbox, count: int) -> Organization:
    """An organization connected to the sandbox's demo organization, `count` verified card
    expenses with one PDF receipt each."""
    org = Organization.objects.create(name=f"Bench Wafeq {time.time_ns()}")
    wafeq = {"organization": org, "provider": "wafeq"}
    wallet = Account.objects.create(
        **wafeq, external_id="acc_1101", code="1101", name_en="Wallet", receive_payments=True
    )
    marketing = Account.objects.create(
        **wafeq, external_id="acc_5101", code="5101", name_en="Marketing"
    )
    Integration.objects.create(
        organization=org,
        provider="wafeq",
        status=ConnectionStatus.CONNECTED,
        secrets={"api_key": sandbox.api_key},
        source_account=wallet,
    )
    bulk_receipts(org, bulk_verified(org, marketing, count), MEDIA)
    return org


def main() -> None:
    from tests.fakes.worker import Worker

    prepare_database()
    with tempfile.TemporaryDirectory() as tmp:
        sandbox = WafeqSandbox(free_port(), Path(tmp) / "wafeq.sqlite3")
        sandbox.start()
        try:
            sandbox.configure(
                latency_ms=LATENCY_MS,
                rate_limit_per_minute=LIMIT_PER_MINUTE,
                posted_every=POSTED_EVERY,
            )
            print(
                f"Wafeq sync run benchmark: {TRANSACTIONS:,} verified card expenses with one receipt "
                f"each, limit {LIMIT_PER_MINUTE} requests/min per API key (ours and the sandbox's), "
                f"sandbox latency {LATENCY_MS} ms, every {POSTED_EVERY}. expense answered POSTED, "
                f"{WORKERS} worker processes; load average {os.getloadavg()[0]:.2f} at the start"
            )
            org = organization_with_verified(sandbox, TRANSACTIONS)
            redis.Redis.from_url(settings.CELERY_BROKER_URL).flushdb()  # the bench's own db
            env = {
                **os.environ,
                "WAFEQ_BASE_URL": sandbox.base_url,
                "SYNC_RETRY_BASE_SECONDS": "0.2",
                "WAFEQ_RETRY_BASE_SECONDS": "0.2",
                "PYTHONUNBUFFERED": "1",
            }
            workers = Worker(env, concurrency=WORKERS)
            workers.start()
            assert workers.process is not None
            time.sleep(3)  # let the pool come up before the clock starts
            rss: list[float] = []
            loads: list[float] = []
            try:
                started = time.perf_counter()
                run = start_sync_run(organization=org, actor=None)
                last_print = 0.0
                while True:
                    time.sleep(1)
                    rss.append(group_rss_mb(workers.process.pid))
                    loads.append(os.getloadavg()[0])
                    run.refresh_from_db()
                    if run.status not in (SyncRunStatus.QUEUED, SyncRunStatus.RUNNING):
                        break
                    if time.perf_counter() - last_print > 60:
                        last_print = time.perf_counter()
                        done = Transaction.objects.filter(organization=org, status="synced").count()
                        print(
                            f"  … {done:,} synced after {last_print - started:.0f} s, load {loads[-1]:.2f}"
                        )
                elapsed = time.perf_counter() - started
            finally:
                workers.stop()
            stats = sandbox.stats()
            books = sandbox.entries()
            ours = [e for e in books["expenses"] if e["external_id"].startswith(f"BENCH-{org.pk}-")]
            references = Counter(e["external_id"] for e in ours)
            duplicated = sum(1 for n in references.values() if n > 1)
            uploads = int(stats.get("files_uploaded", 0))
            creates = len(ours)
            marks = int(stats.get("marked_as_draft", 0))
            posted_answers = (
                int(stats.get("expenses_created", 0)) // POSTED_EVERY if POSTED_EVERY else 0
            )
            served = int(stats.get("served", 0))
            needed = TRANSACTIONS * 2 + posted_answers  # upload + create (+ mark-as-draft)
            per_second = LIMIT_PER_MINUTE / 60
            floor = needed / per_second
            synced = Transaction.objects.filter(organization=org, status="synced").count()
            drafts = sum(1 for e in ours if e["status"] == "DRAFT")
            third = max(1, len(rss) // 3)
            print(
                f"\nrun: status {run.status}, {synced:,} of {TRANSACTIONS:,} synced, {drafts:,} expenses DRAFT in Wafeq"
            )
            print(
                f"  requests      {served:,} served: {uploads:,} uploads, {creates:,} creates, "
                f"{marks:,} mark-as-draft, {served - uploads - creates - marks:,} others "
                f"({stats.get('looked_up', 0)} lookups by external_id, {stats.get('replayed', 0)} creates replayed); "
                f"{stats.get('rate_limited', 0)} refused with 429"
            )
            print(
                f"  Wafeq answered {posted_answers:,} of {creates:,} expenses POSTED: {marks:,} mark-as-draft calls "
                f"({needed / TRANSACTIONS:.2f} requests per expense at the floor)"
            )
            print(f"  wall time     {elapsed:.1f} s")
            print(
                f"  floor         {floor:.1f} s ({needed:,} requests needed / {per_second:g} per s)"
            )
            print(f"  ratio         {elapsed / floor:.3f}  (target ≤ 1.10)")
            print(
                f"  duplicates    {duplicated} (expenses {len(ours):,} for {TRANSACTIONS:,} transactions)"
            )
            print(
                f"  worker memory first third max {max(rss[:third]):.0f} MB, last third max {max(rss[-third:]):.0f} MB; "
                f"load average during the run {min(loads):.2f} to {max(loads):.2f}"
            )
            assert run.status == SyncRunStatus.SUCCEEDED and duplicated == 0
            assert len(ours) == TRANSACTIONS
        finally:
            sandbox.stop()


if __name__ == "__main__":
    main()
