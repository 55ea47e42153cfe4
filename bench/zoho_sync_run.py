# ruff: noqa: E501 (report lines read better unwrapped)
"""Zoho Books sync-run benchmark (issue 23): verified transactions, one receipt each, pushed to
the Zoho Books sandbox by real Celery workers within Zoho's per-organization limit.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sifi_bench_zoho REDIS_URL=redis://127.0.0.1:6379/11 \\
        .venv/bin/python bench/zoho_sync_run.py
    BENCH_LIMIT_PER_MINUTE=600 BENCH_TRANSACTIONS=2000 .venv/bin/python bench/zoho_sync_run.py
    BENCH_SCENARIO=quota BENCH_TRANSACTIONS=300 BENCH_LIMIT_PER_MINUTE=600 .venv/bin/python bench/zoho_sync_run.py

Zoho allows 100 requests a minute per organization: 2,000 transactions with receipts are
4,000 requests, 40 minutes. BENCH_LIMIT_PER_MINUTE (default 100) sets both the sandbox's limit
(429 code 44 past it) and ours (`ZOHO_RATE_LIMIT_PER_MINUTE`); BENCH_TRANSACTIONS (default 200)
the run's size. The sandbox answers after BENCH_LATENCY_MS (50). Each transaction costs two
requests (create the journal, attach its receipt); the access token is refreshed once for
every worker (counted by the sandbox). The daily quota is the connection's `daily_quota`
option (set to 100,000 here so that our own day window never binds).

BENCH_SCENARIO=quota: the sandbox's daily quota (Zoho counting other apps' calls too) runs out
after BENCH_QUOTA requests (default: half the run's), and comes back (Zoho's new day)
BENCH_QUOTA_BACK_S (default 20) seconds after the first code 45. The workers probe every
ZOHO_QUOTA_PROBE_SECONDS (BENCH_PROBE_S, default 5; 900 in production). Shows the run resumes
with nothing sent twice, and how many probes Zoho saw.

Prints the run's wall time against the floor (requests served / limit, plus the quota's
outage in the quota scenario), duplicates (must be 0), refreshes, 429s.
"""

import os
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
MEDIA = Path(tempfile.mkdtemp(prefix="sifi-bench-media-"))

TRANSACTIONS = int(os.environ.get("BENCH_TRANSACTIONS", "200"))
LIMIT_PER_MINUTE = int(os.environ.get("BENCH_LIMIT_PER_MINUTE", "100"))
WORKERS = int(os.environ.get("BENCH_WORKERS", "4"))
LATENCY_MS = int(os.environ.get("BENCH_LATENCY_MS", "50"))
SCENARIO = os.environ.get("BENCH_SCENARIO", "run")
QUOTA = int(os.environ.get("BENCH_QUOTA", str(TRANSACTIONS)))  # half the run's requests
QUOTA_BACK_S = float(os.environ.get("BENCH_QUOTA_BACK_S", "20"))
PROBE_S = float(os.environ.get("BENCH_PROBE_S", "5"))

from tests.fakes.sandbox_process import free_port  # noqa: E402

PORT = free_port()
SANDBOX_URL = f"http://127.0.0.1:{PORT}"
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/sifi_bench_zoho")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/9")
os.environ["MEDIA_ROOT"] = str(MEDIA)
os.environ["ALLOW_PRIVATE_PROVIDER_URLS"] = "true"  # the sandbox is http://127.0.0.1
os.environ["ZOHO_CLIENT_ID"] = "sifi-sandbox-client"
os.environ["ZOHO_CLIENT_SECRET"] = "sifi-sandbox-secret"
os.environ["ZOHO_ACCOUNTS_SERVERS"] = SANDBOX_URL
os.environ["ZOHO_RATE_LIMIT_PER_MINUTE"] = str(LIMIT_PER_MINUTE)
os.environ["ZOHO_QUOTA_PROBE_SECONDS"] = str(PROBE_S)
# Our own day window never binds here (the connection's option says so too, once the connect
# flow declares it): the sandbox's quota is the one that runs out in the quota scenario.
os.environ["ZOHO_DAILY_QUOTA"] = "100000"

from bench.common import (  # noqa: E402
    bulk_receipts,
    bulk_verified,
    group_rss_mb,
    prepare_database,
    setup_django,
)

setup_django("sifi_bench_zoho")

import redis  # noqa: E402
from django.conf import settings  # noqa: E402

from accounting.models import Account, SyncRunStatus, Transaction  # noqa: E402
from accounting.services.runs import start_sync_run  # noqa: E402
from integrations.models import ConnectionStatus, Integration  # noqa: E402
from integrations.providers.zoho_books.sandbox import seed  # noqa: E402
from sifi.models import Organization  # noqa: E402
from tests.fakes.worker import Worker  # noqa: E402
from tests.fakes.zoho_books_sandbox import ZohoBooksSandbox, forget_zoho_state  # noqa: E402


def organization_with_verified(sandbox: ZohoBooksSandbox, count: int) -> Organization:
    """An organization connected to the sandbox's demo organization, `count` verified card
    expenses with one PDF receipt each."""
    org = Organization.objects.create(name=f"Bench Zoho {time.time_ns()}")
    zoho = {"organization": org, "provider": "zoho_books"}
    wallet = Account.objects.create(
        **zoho, external_id=seed.WALLET, code="110101", name_en="Wallet"
    )
    marketing = Account.objects.create(
        **zoho, external_id=seed.MARKETING, code="5201", name_en="Marketing Expenses"
    )
    credentials = dict(sandbox.credentials)
    Integration.objects.create(
        organization=org,
        provider="zoho_books",
        status=ConnectionStatus.CONNECTED,
        secrets={"refresh_token": credentials.pop("refresh_token")},
        location=credentials,
        options={"daily_quota": 100_000},
        source_account=wallet,
    )
    bulk_receipts(org, bulk_verified(org, marketing, count), MEDIA)
    return org


class QuotaOutage:
    """The quota scenario's Zoho: its daily quota spent after QUOTA requests, back
    QUOTA_BACK_S after the first refusal."""

    def __init__(self, sandbox: ZohoBooksSandbox) -> None:
        self.sandbox = sandbox
        self.spent_at: float | None = None
        self.back_at: float | None = None
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._watch, daemon=True)

    def start(self) -> None:
        self.sandbox.configure(daily_quota=QUOTA)
        self.thread.start()

    def _watch(self) -> None:
        while not self.stop.is_set():
            if self.sandbox.stats().get("quota_refused", 0) and self.spent_at is None:
                self.spent_at = time.perf_counter()
            if self.spent_at and time.perf_counter() - self.spent_at >= QUOTA_BACK_S:
                self.sandbox.configure(daily_quota=0)  # Zoho's new day
                self.back_at = time.perf_counter()
                return
            time.sleep(0.2)


def main() -> None:
    prepare_database()
    with tempfile.TemporaryDirectory() as tmp:
        sandbox = ZohoBooksSandbox(PORT, Path(tmp) / "zoho_books.sqlite3")
        sandbox.start()
        try:
            sandbox.configure(
                latency_ms=LATENCY_MS, rate_limit_per_minute=LIMIT_PER_MINUTE, daily_quota=0
            )
            print(
                f"Zoho Books sync run benchmark ({SCENARIO}): {TRANSACTIONS:,} verified transactions "
                f"with one receipt each, sandbox latency {LATENCY_MS} ms, limit {LIMIT_PER_MINUTE} "
                f"requests/min per organization, {WORKERS} worker processes; load average "
                f"{os.getloadavg()[0]:.2f} at the start"
            )
            org = organization_with_verified(sandbox, TRANSACTIONS)
            redis.Redis.from_url(settings.CELERY_BROKER_URL).flushdb()  # the bench's own db
            forget_zoho_state(settings.REDIS_URL)
            env = {
                **os.environ,
                "SYNC_RETRY_BASE_SECONDS": "0.2",
                "ZOHO_RETRY_BASE_SECONDS": "0.2",
                "PYTHONUNBUFFERED": "1",
            }
            workers = Worker(env, concurrency=WORKERS)
            workers.start()
            assert workers.process is not None
            time.sleep(3)  # let the pool come up before the clock starts
            outage = QuotaOutage(sandbox)
            if SCENARIO == "quota":
                outage.start()
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
                            f"  … {done:,} synced after {last_print - started:.0f} s, load {loads[-1]:.2f}, waiting {run.waiting_seconds} s"
                        )
                elapsed = time.perf_counter() - started
            finally:
                outage.stop.set()
                workers.stop()
            stats = sandbox.stats()
            requests = stats.get("served", 0)
            journals = [
                j
                for j in sandbox.journals()
                if str(j.get("reference_number") or "").startswith(f"BENCH-{org.pk}-")
            ]
            references = Counter(j["reference_number"] for j in journals)
            duplicated = sum(1 for n in references.values() if n > 1)
            attachments = sum(len(j["documents"]) for j in journals)
            synced = Transaction.objects.filter(organization=org, status="synced").count()
            floor = requests / (LIMIT_PER_MINUTE / 60)
            outage_s = 0.0
            if outage.spent_at is not None and outage.back_at is not None:
                outage_s = outage.back_at - outage.spent_at
            third = max(1, len(rss) // 3)
            print(f"\nrun: status {run.status}, {synced:,} of {TRANSACTIONS:,} synced")
            print(
                f"  requests      {requests:,} served ({len(journals):,} journals + {attachments:,} attachments + {requests - len(journals) - attachments} others: lookups)"
            )
            print(f"  wall time     {elapsed:.1f} s")
            print(f"  floor         {floor:.1f} s (requests / {LIMIT_PER_MINUTE} per min)")
            sliding = max(0, requests - LIMIT_PER_MINUTE) / (LIMIT_PER_MINUTE / 60)
            print(
                f"                {sliding:.1f} s for a sliding minute (its first {LIMIT_PER_MINUTE} requests go at once)"
            )
            if SCENARIO == "quota":
                print(
                    f"  quota         spent after {QUOTA} requests, back {outage_s:.1f} s later; floor with the outage {floor + outage_s:.1f} s"
                )
                print(
                    f"  probes        {stats.get('quota_refused', 0)} requests refused with code 45 (probe every {PROBE_S:g} s)"
                )
                floor += outage_s
            print(f"  ratio         {elapsed / floor:.3f}")
            print(
                f"  duplicates    {duplicated} (journals {len(journals):,} for {TRANSACTIONS:,} transactions)"
            )
            print(f"  refreshes     {sandbox.refreshes()} (access tokens minted for all workers)")
            print(
                f"  429s          {stats.get('rate_limited', 0) - stats.get('quota_refused', 0)} code 44, "
                f"most requests the sandbox saw in one second: {stats.get('peak_per_second')}"
            )
            print(
                f"  worker memory first third max {max(rss[:third]):.0f} MB, last third max {max(rss[-third:]):.0f} MB; "
                f"load average during the run {min(loads):.2f} to {max(loads):.2f}"
            )
            assert run.status == SyncRunStatus.SUCCEEDED and duplicated == 0
            assert len(journals) == TRANSACTIONS
        finally:
            sandbox.stop()


if __name__ == "__main__":
    main()
