"""Chart-of-accounts sync benchmark (issue 5): a 10,000-account chart from the Qoyod sandbox.

    .venv/bin/python bench/chart_sync.py            # BENCH_ACCOUNTS=10000 by default

Starts a sandbox process (real HTTP), gives it a tenant with BENCH_ACCOUNTS accounts, and
runs the configuration sync job exactly as the Celery task does: a first sync (all new), a
re-sync with 100 renamed, 50 added and 50 removed accounts, then five unchanged re-syncs.
Prints each sync's wall time, its Python allocation peak (tracemalloc) and the process RSS,
and the peak at a quarter and half the chart size (how memory scales).
Target: under 10 s for 10,000 accounts, memory flat across repeated syncs.
"""

import os
import resource
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import prepare_database, setup_django

setup_django("sifi_bench")

from django.conf import settings  # noqa: E402

from accounting.models import Account  # noqa: E402
from integrations.config_sync import run_config_sync  # noqa: E402
from integrations.jobs import start_config_sync  # noqa: E402
from integrations.models import ConnectionStatus, Integration  # noqa: E402
from sifi.models import Organization, Role, User  # noqa: E402
from tests.fakes.sandbox import Sandbox, free_port  # noqa: E402

ACCOUNTS = int(os.environ.get("BENCH_ACCOUNTS", "10000"))
TARGET_SECONDS = 10.0


def rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        pages = int(statm.read().split()[1])
    return pages * resource.getpagesize() / 1e6


def fresh_org(size: int, sandbox: Sandbox) -> tuple[Organization, User]:
    key = f"bench-chart-{size}-{time.time_ns()}"
    sandbox.add_tenant(key, accounts=size, name=f"Bench chart {size}")
    org = Organization.objects.create(name=f"Bench chart {size} {key[-6:]}")
    admin = User.objects.create_user(
        key, password="x", organization=org, role=Role.ADMIN, first_name="Bench"
    )
    Integration.objects.create(
        provider="qoyod",
        organization=org,
        status=ConnectionStatus.CONNECTED,
        secrets={"api_key": key},
        secret_hint=key[-4:],
        attributes=["accounts"],
    )
    return org, admin


def timed_sync(org: Organization, admin: User, *, trace: bool = False) -> tuple[float, float, str]:
    """Seconds, Python allocation peak in MB (only when `trace`: tracing slows the sync
    down, so timed runs don't trace), and the job's message."""
    if trace:
        tracemalloc.start()
    started = time.perf_counter()
    job = run_config_sync(job_id=start_config_sync(actor=admin, organization=org).pk)
    elapsed = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1] if trace else 0
    tracemalloc.stop()
    assert job is not None and job.status == "succeeded", job and job.error
    message = Integration.objects.get(organization=org).last_sync_message
    return elapsed, peak / 1e6, message


def main() -> None:
    prepare_database()
    settings.QOYOD_RATE_LIMIT_PER_MINUTE = 1_000_000
    with tempfile.TemporaryDirectory() as tmp:
        sandbox = Sandbox(free_port(), Path(tmp) / "qoyod.sqlite3")
        sandbox.start()
        try:
            settings.QOYOD_BASE_URL = sandbox.base_url
            run(sandbox)
        finally:
            sandbox.stop()


def run(sandbox: Sandbox) -> None:
    print(f"Chart sync benchmark: {ACCOUNTS:,} accounts, sandbox over HTTP, PostgreSQL")
    print(f"{'sync':<44}{'seconds':>9}{'RSS MB':>9}")
    org, admin = fresh_org(ACCOUNTS, sandbox)
    key = Integration.objects.get(organization=org).secrets.get("api_key", "")

    def report(label: str) -> float:
        seconds, _, message = timed_sync(org, admin)
        print(f"{label:<44}{seconds:>9.2f}{rss_mb():>9.0f}   {message}")
        return seconds

    first = report("first sync (all new)")
    generated = sorted(  # Qoyod's ids: the sandbox takes them as the integers they are
        int(external_id)
        for external_id in Account.objects.filter(
            organization=org, code__startswith="59"
        ).values_list("external_id", flat=True)
    )
    sandbox.change_accounts(
        key,
        rename={qid: {"name_en": f"Renamed {qid}"} for qid in generated[:100]},
        add=[
            {
                "id": 900_000 + i,
                "code": f"58{i:06d}",
                "name_en": f"Added {i}",
                "name_ar": f"مضاف {i}",
                "type": "Expense",
            }
            for i in range(50)
        ],
        remove=generated[100:150],
    )
    resync = report("re-sync (100 renamed, 50 added, 50 removed)")
    again = [report(f"unchanged re-sync #{n}") for n in range(1, 6)]

    assert Account.objects.filter(organization=org).count() == ACCOUNTS + 50
    assert Account.objects.filter(organization=org, active=False).count() == 50
    assert Account.objects.filter(organization=org, name_en__startswith="Renamed").count() == 100

    print()
    print("memory as the chart grows (first sync of a fresh tenant, traced with tracemalloc):")
    for size in (ACCOUNTS // 4, ACCOUNTS // 2, ACCOUNTS):
        small_org, small_admin = fresh_org(size, sandbox)
        _, peak, _ = timed_sync(small_org, small_admin, trace=True)
        print(f"  {size:>7,} accounts: Python allocation peak {peak:6.1f} MB")

    worst = max(first, resync, *again)
    verdict = "OK" if worst < TARGET_SECONDS else "OVER TARGET"
    print()
    target = f"target < {TARGET_SECONDS:.0f} s"
    print(f"slowest sync {worst:.2f} s for {ACCOUNTS:,} accounts ({target}): {verdict}")


if __name__ == "__main__":
    main()
