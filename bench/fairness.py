# ruff: noqa: E501 (report lines read better unwrapped)
"""Fair sync benchmark (issue 16): many companies syncing at once, one of them big.

    .venv/bin/python bench/fairness.py
    BENCH_WORKERS=4 BENCH_BIG=5000 .venv/bin/python bench/fairness.py

20 companies (each its own sandbox tenant, its own API key, its own 600 requests/min at the
sandbox and in our limiter): one with BENCH_BIG (5,000) verified transactions, 19 with
BENCH_SMALL (20) each, all started within 2 s; the sandbox answers after 50 ms. Real Celery
worker processes (BENCH_WORKERS: "4,2,8" runs the whole thing with 4, then 2, then 8).

A company's *floor* is the least time its requests can take inside its limit: every full
window but the last must pass (`(requests - 1) // limit` windows of 60.5 s, our limiter's
minute with its safety margin), the last window's requests going at once. Prints each small
company's completion time against its floor (p50, p95, max; target p95 within floor + 5 s),
the big one's ratio to its floor (target ≤ 1.15), requests/s against the sum of the limits,
duplicates and 429s (0), and the workers' memory over the run.
"""

import os
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/12")
os.environ.setdefault("CELERY_BROKER_URL", os.environ["REDIS_URL"])
os.environ.setdefault("CELERY_RESULT_BACKEND", os.environ["REDIS_URL"])

COMPANIES = int(os.environ.get("BENCH_COMPANIES", "20"))
BIG = int(os.environ.get("BENCH_BIG", "5000"))
SMALL = int(os.environ.get("BENCH_SMALL", "20"))
LIMIT = int(os.environ.get("BENCH_LIMIT_PER_MINUTE", "600"))
LATENCY_MS = int(os.environ.get("BENCH_LATENCY_MS", "50"))
WORKER_COUNTS = [int(n) for n in os.environ.get("BENCH_WORKERS", "4,2,8").split(",")]
PERIOD = 60.5  # our limiter's window: the provider's minute and its safety margin
os.environ["QOYOD_RATE_LIMIT_PER_MINUTE"] = str(LIMIT)

from bench.common import bulk_verified, group_rss_mb, prepare_database, setup_django  # noqa: E402

setup_django("sifi_bench_fair")

import redis  # noqa: E402
from django.conf import settings  # noqa: E402

from accounting.models import Account, SyncRun, SyncRunStatus, Transaction, TransactionStatus  # noqa: E402
from accounting.services.runs import start_sync_run  # noqa: E402
from integrations.models import ConnectionStatus, Integration  # noqa: E402
from sifi.models import Organization  # noqa: E402
from tests.fakes.sandbox import Sandbox, free_port  # noqa: E402
from tests.fakes.worker import Worker  # noqa: E402


def floor_seconds(requests: int) -> float:
    return ((requests - 1) // LIMIT) * PERIOD if requests else 0.0


def company(sandbox: Sandbox, label: str, count: int) -> Organization:
    key = f"fair-{label}-{time.time_ns()}"
    sandbox.add_tenant(key, name=label)
    org = Organization.objects.create(name=f"{label} {time.time_ns()}")
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
        secrets={"api_key": key},
        source_account=wallet,
    )
    bulk_verified(org, marketing, count, prefix="FAIR")
    return org


def sandbox_outcome(sandbox: Sandbox, org: Organization) -> tuple[int, int, int]:
    """(entries, references with more than one entry, requests refused with 429)."""
    key = Integration.objects.get(organization=org).secrets.get("api_key", "")
    entries = sandbox.journal_entries(key)
    references = Counter(e["description"].split("]")[0] for e in entries)
    return (
        len(entries),
        sum(1 for n in references.values() if n > 1),
        sandbox.stats(key).get("rate_limited", 0),
    )


def one_round(sandbox: Sandbox, workers_count: int) -> dict[str, float]:
    redis.Redis.from_url(settings.REDIS_URL).flushdb()  # broker, limiter buckets, leases
    big = company(sandbox, "Big", BIG)
    smalls = [company(sandbox, f"Small {i:02d}", SMALL) for i in range(COMPANIES - 1)]
    env = {
        **os.environ,
        "QOYOD_BASE_URL": sandbox.base_url,
        "QOYOD_RETRY_BASE_SECONDS": "0.2",
        "SYNC_RETRY_BASE_SECONDS": "0.2",
        "PYTHONUNBUFFERED": "1",
    }
    workers = Worker(env, concurrency=workers_count)
    workers.start()
    assert workers.process is not None
    pgid = workers.process.pid
    time.sleep(4)  # the pool comes up before the clock starts
    rss: list[float] = []
    runs: dict[int, SyncRun] = {}
    try:
        began = time.perf_counter()
        spacing = 2.0 / len(smalls)
        runs[big.pk] = start_sync_run(organization=big, actor=None)
        for org in smalls:
            time.sleep(spacing)
            runs[org.pk] = start_sync_run(organization=org, actor=None)
        last_print = time.perf_counter()
        while True:
            time.sleep(1)
            rss.append(group_rss_mb(pgid))
            active = SyncRun.objects.filter(
                pk__in=[r.pk for r in runs.values()],
                status__in=[SyncRunStatus.QUEUED, SyncRunStatus.RUNNING],
            )
            if not active.exists():
                break
            if time.perf_counter() - last_print > 60:
                last_print = time.perf_counter()
                done = Transaction.objects.filter(
                    organization=big, status=TransactionStatus.SYNCED
                ).count()
                print(
                    f"    … big company {done:,} synced after {last_print - began:.0f} s, workers {rss[-1]:.0f} MB",
                    flush=True,
                )
        wall = time.perf_counter() - began
    finally:
        workers.stop()

    finished = {
        run.organization_id: run
        for run in SyncRun.objects.filter(pk__in=[r.pk for r in runs.values()])
    }
    small_times, small_over = [], []
    for org in smalls:
        run = finished[org.pk]
        assert run.finished_at is not None and run.status == SyncRunStatus.SUCCEEDED, (
            run.status,
            run.error,
        )
        took = (run.finished_at - run.created_at).total_seconds()
        small_times.append(took)
        small_over.append(took - floor_seconds(SMALL))
    big_run = finished[big.pk]
    assert big_run.finished_at is not None and big_run.status == SyncRunStatus.SUCCEEDED, (
        big_run.status,
        big_run.error,
    )
    big_took = (big_run.finished_at - big_run.created_at).total_seconds()
    big_floor = floor_seconds(BIG)
    duplicated = refused = requests = 0
    for org in [big, *smalls]:
        entries, dup, too_many = sandbox_outcome(sandbox, org)
        requests += entries
        duplicated += dup
        refused += too_many
    small_times.sort()
    p95 = small_times[min(len(small_times) - 1, round(0.95 * (len(small_times) - 1)))]
    third = max(1, len(rss) // 3)
    print(f"\n  {workers_count} worker processes: wall {wall:.1f} s")
    print(
        f"    small companies ({COMPANIES - 1} x {SMALL}, floor {floor_seconds(SMALL):.1f} s): "
        f"p50 {statistics.median(small_times):.1f} s, p95 {p95:.1f} s, max {small_times[-1]:.1f} s "
        f"(target p95 ≤ floor + 5 s: {'ok' if p95 <= floor_seconds(SMALL) + 5 else 'OVER'})"
    )
    print(
        f"    big company ({BIG:,}): {big_took:.1f} s, floor {big_floor:.1f} s, ratio {big_took / big_floor:.3f} "
        f"(target ≤ 1.15: {'ok' if big_took <= 1.15 * big_floor else 'OVER'})"
    )
    limits = COMPANIES * LIMIT / 60
    print(
        f"    requests {requests:,}: {requests / wall:.1f}/s over the run; sum of the limits {limits:.0f}/s"
    )
    print(f"    duplicates {duplicated}, 429s {refused}")
    print(
        f"    worker memory: first third max {max(rss[:third]):.0f} MB, last third max {max(rss[-third:]):.0f} MB, overall max {max(rss):.0f} MB"
    )
    return {
        "workers": workers_count,
        "small_p50": statistics.median(small_times),
        "small_p95": p95,
        "small_max": small_times[-1],
        "big": big_took,
        "big_ratio": big_took / big_floor,
        "duplicates": duplicated,
        "refused": refused,
    }


def main() -> None:
    prepare_database()
    with tempfile.TemporaryDirectory() as tmp:
        sandbox = Sandbox(free_port(), Path(tmp) / "qoyod.sqlite3")
        sandbox.start()
        try:
            sandbox.configure(latency_ms=LATENCY_MS, rate_limit_per_minute=LIMIT)
            settings.QOYOD_BASE_URL = sandbox.base_url
            print(
                f"Fair sync benchmark: {COMPANIES} companies (1 x {BIG:,} + {COMPANIES - 1} x {SMALL}), "
                f"{LIMIT} requests/min each, sandbox latency {LATENCY_MS} ms; load {os.getloadavg()[0]:.2f}",
                flush=True,
            )
            results = []
            for count in WORKER_COUNTS:
                results.append(one_round(sandbox, count))
            print("\nworkers | small p50 | small p95 | small max | big (s) | big ratio | dup | 429")
            for r in results:
                print(
                    f"{r['workers']:>7} | {r['small_p50']:>8.1f}s | {r['small_p95']:>8.1f}s | {r['small_max']:>8.1f}s | "
                    f"{r['big']:>7.1f} | {r['big_ratio']:>9.3f} | {r['duplicates']:>3} | {r['refused']:>3}"
                )
            print(f"load {os.getloadavg()[0]:.2f}")
        finally:
            sandbox.stop()


if __name__ == "__main__":
    main()
