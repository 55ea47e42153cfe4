# ruff: noqa: E501 (report lines read better unwrapped)
"""Odoo sync-run benchmark (issue 18): verified transactions, one receipt each, pushed to the
Odoo sandbox by real Celery workers within Odoo's per-instance request limit.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sifi_bench_odoo REDIS_URL=redis://127.0.0.1:6379/9 \\
        .venv/bin/python bench/odoo_sync_run.py
    BENCH_TRANSACTIONS=2000 BENCH_WORKERS=8 BENCH_LATENCY_MS=50 .venv/bin/python bench/odoo_sync_run.py

The limit is the configured one (`ODOO_RATE_LIMIT_PER_SECOND`, default 10 requests per second
per instance, our limiter's window is one second). The sandbox answers every JSON-RPC call
after BENCH_LATENCY_MS (50) and refuses nothing (Odoo documents no limit): it counts what it
served and the most requests it saw in any one second. Each transaction costs two requests
(create the `account.move` with its lines, attach its receipt); each worker process also
authenticates once. Prints the run's wall time against the floor (requests served / limit),
duplicates (must be 0) and the workers' memory over the run.
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
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/sifi_bench_odoo")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/9")
os.environ["MEDIA_ROOT"] = str(MEDIA)
os.environ["ALLOW_PRIVATE_PROVIDER_URLS"] = "true"  # the sandbox is http://127.0.0.1

TRANSACTIONS = int(os.environ.get("BENCH_TRANSACTIONS", "2000"))
WORKERS = int(os.environ.get("BENCH_WORKERS", "8"))
LATENCY_MS = int(os.environ.get("BENCH_LATENCY_MS", "50"))

from bench.common import (  # noqa: E402
    bulk_receipts,
    bulk_verified,
    group_rss_mb,
    prepare_database,
    setup_django,
)

setup_django("sifi_bench_odoo")

import redis  # noqa: E402
from django.conf import settings  # noqa: E402

from accounting.models import (  # noqa: E402
    Account,
    SyncRunStatus,
    Transaction,
)
from accounting.services.runs import start_sync_run  # noqa: E402
from integrations.models import ConnectionStatus, Integration  # noqa: E402
from sifi.models import Organization  # noqa: E402
from tests.fakes.odoo_sandbox import OdooSandbox  # noqa: E402
from tests.fakes.sandbox import free_port  # noqa: E402
from tests.fakes.worker import Worker  # noqa: E402

RATE = float(settings.ODOO_RATE_LIMIT_PER_SECOND)


def organization_with_verified(sandbox: OdooSandbox, count: int) -> Organization:
    """An organization connected to the sandbox's demo company, `count` verified card
    expenses with one PDF receipt each."""
    org = Organization.objects.create(name=f"Bench Odoo {time.time_ns()}")
    odoo = {"organization": org, "provider": "odoo"}
    wallet = Account.objects.create(**odoo, external_id="1001", code="111001", name_en="Wallet")
    marketing = Account.objects.create(
        **odoo, external_id="1026", code="521001", name_en="Marketing"
    )
    Integration.objects.create(
        organization=org,
        provider="odoo",
        status=ConnectionStatus.CONNECTED,
        secrets={"api_key": sandbox.api_key},
        location={
            "url": sandbox.url,
            "database": sandbox.database,
            "username": sandbox.login,
            "company_id": "1",
        },
        journals=[{"id": "4", "code": "MISC", "name": "Miscellaneous Operations"}],
        journal_external_id="4",
        source_account=wallet,
    )
    bulk_receipts(org, bulk_verified(org, marketing, count), MEDIA)
    return org


def main() -> None:
    prepare_database()
    with tempfile.TemporaryDirectory() as tmp:
        sandbox = OdooSandbox(free_port(), Path(tmp) / "odoo.sqlite3")
        sandbox.start()
        try:
            sandbox.configure(latency_ms=LATENCY_MS)
            print(
                f"Odoo sync run benchmark: {TRANSACTIONS:,} verified transactions with one receipt "
                f"each, sandbox latency {LATENCY_MS} ms, limit {RATE:g} requests/s per instance, "
                f"{WORKERS} worker processes; load average {os.getloadavg()[0]:.2f} at the start"
            )
            org = organization_with_verified(sandbox, TRANSACTIONS)
            redis.Redis.from_url(settings.CELERY_BROKER_URL).flushdb()  # the bench's own db
            env = {
                **os.environ,
                "SYNC_RETRY_BASE_SECONDS": "0.2",
                "ODOO_RETRY_BASE_SECONDS": "0.2",
                "PYTHONUNBUFFERED": "1",
            }
            workers = Worker(env, concurrency=WORKERS)
            workers.start()
            assert workers.process is not None
            time.sleep(3)  # let the pool come up before the clock starts
            served_before = sandbox.stats().get("served", 0)
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
                    if time.perf_counter() - last_print > 30:
                        last_print = time.perf_counter()
                        done = Transaction.objects.filter(organization=org, status="synced").count()
                        print(
                            f"  … {done:,} synced after {last_print - started:.0f} s, load {loads[-1]:.2f}"
                        )
                elapsed = time.perf_counter() - started
            finally:
                workers.stop()
            stats = sandbox.stats()
            requests = stats.get("served", 0) - served_before
            moves = [
                m for m in sandbox.moves() if str(m.get("ref") or "").startswith(f"BENCH-{org.pk}-")
            ]
            references = Counter(m["ref"] for m in moves)
            duplicated = sum(1 for n in references.values() if n > 1)
            attachments = sum(len(m["attachments"]) for m in moves)
            synced = Transaction.objects.filter(organization=org, status="synced").count()
            floor = requests / RATE
            third = max(1, len(rss) // 3)
            print(f"\nrun: status {run.status}, {synced:,} of {TRANSACTIONS:,} synced")
            print(
                f"  requests      {requests:,} served ({len(moves):,} moves + {attachments:,} attachments + {requests - len(moves) - attachments} others: logins, lookups)"
            )
            print(f"  wall time     {elapsed:.1f} s")
            print(f"  floor         {floor:.1f} s (requests / {RATE:g} per s)")
            print(f"  ratio         {elapsed / floor:.3f}  (target ≤ 1.15)")
            print(
                f"  duplicates    {duplicated} (moves {len(moves):,} for {TRANSACTIONS:,} transactions)"
            )
            print(f"  most requests the sandbox saw in one second: {stats.get('peak_per_second')}")
            print(
                f"  worker memory first third max {max(rss[:third]):.0f} MB, last third max {max(rss[-third:]):.0f} MB; "
                f"load average during the run {min(loads):.2f} to {max(loads):.2f}"
            )
            assert run.status == SyncRunStatus.SUCCEEDED and duplicated == 0
            assert len(moves) == TRANSACTIONS
        finally:
            sandbox.stop()


if __name__ == "__main__":
    main()
