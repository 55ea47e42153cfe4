# ruff: noqa: E501 (report lines read better unwrapped)
"""Load (issue 25): accountants paging and filtering the 1,000,000-row ledger at once, through
the web server `bin/start` runs (gunicorn, its worker and thread counts), over real HTTP.

    .venv/bin/python bench/load.py
    BENCH_USERS=20 BENCH_SECONDS=60 WEB_WORKERS=3 WEB_THREADS=4 .venv/bin/python bench/load.py

The organization and its ledger are bench/ledger.py's (made here if missing; bench/pages.py
adds the verified, synced and failed rows). Each of BENCH_USERS accountants (a session of its
own) requests, one after another for BENCH_SECONDS with BENCH_THINK_S (2) of reading between
them on average (0: none, a stress test), the Accounting pages a person moves
through: each tab, a filtered tab (a budget, an amount range, a merchant search, a date
range), a deep page, a transaction, the account search, the Verified tab's VAT counts. Prints
p50/p95 per page and overall, the requests served a second, and errors (any answer but 200).
"""

import os
import random
import statistics
import subprocess
import sys
import threading
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import prepare_database, setup_django  # noqa: E402

setup_django("sifi_bench")
prepare_database()

import httpx  # noqa: E402
from django.conf import settings  # noqa: E402
from django.test import Client  # noqa: E402

from accounting.filters import tab_condition  # noqa: E402
from accounting.models import Tab, Transaction  # noqa: E402
from bench.ledger import populate  # noqa: E402
from sifi.models import Role, User  # noqa: E402

USERS = int(os.environ.get("BENCH_USERS", "20"))
SECONDS = float(os.environ.get("BENCH_SECONDS", "60"))
WORKERS = os.environ.get("WEB_WORKERS", "3")  # bin/start's defaults
THREADS = os.environ.get("WEB_THREADS", "4")
PORT = int(os.environ.get("BENCH_PORT", "8097"))
# A person reads a page before the next: 0.5 to 1.5 times THINK seconds (0: a stress test).
THINK = float(os.environ.get("BENCH_THINK_S", "2"))


def deep_cursor(org, tab: str) -> str:
    rows = Transaction.objects.filter(organization=org).filter(tab_condition(tab))
    row = rows.order_by("-occurred_at", "-id").values("occurred_at", "id")[20_000]
    return f"{row['occurred_at'].isoformat()}_{row['id']}"


def main() -> None:
    org, _accountant, _account = populate()
    sessions = []
    for n in range(USERS):
        user = User.objects.filter(username=f"bench-load-{n}").first() or User.objects.create_user(
            f"bench-load-{n}", password="x", organization=org, role=Role.ACCOUNTANT
        )
        client = Client()
        client.force_login(user)
        sessions.append(client.cookies[settings.SESSION_COOKIE_NAME].value)
    txn = (
        Transaction.objects.filter(organization=org)
        .order_by("-id")
        .values_list("pk", flat=True)[500]
    )
    pages = [(f"tab {tab}", "/accounting/", {"tab": tab}) for tab in Tab.values]
    pages += [
        ("expenses, budget", "/accounting/", {"tab": "expenses", "budget": "Budget 3"}),
        (
            "transfers, amounts",
            "/accounting/",
            {"tab": "transfers", "amount_min": "100", "amount_max": "200"},
        ),
        ("expenses, search", "/accounting/", {"tab": "expenses", "search": "careem"}),
        ("others, dates", "/accounting/", {"tab": "others", "date_from": "2025-01-01"}),
        (
            "expenses, deep page",
            "/accounting/",
            {"tab": "expenses", "after": deep_cursor(org, "expenses")},
        ),
        ("transaction", f"/accounting/transactions/{txn}/", {}),
        ("account search", "/api/v1/accounting/accounts/search/", {"q": "Expense line 12"}),
        ("verified VAT counts", "/accounting/vat-counts/", {}),
    ]

    env = {**os.environ, "HTTPS": "false", "DEBUG": "false"}
    server = subprocess.Popen(
        [
            str(ROOT / ".venv/bin/gunicorn"),
            "sifi.wsgi:application",
            "--bind",
            f"127.0.0.1:{PORT}",
            "--workers",
            WORKERS,
            "--threads",
            THREADS,
            "--timeout",
            "120",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{PORT}"
    try:
        for _ in range(100):
            try:
                if httpx.get(f"{base}/login/", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        times: dict[str, list[float]] = defaultdict(list)
        errors: list[str] = []
        lock = threading.Lock()
        deadline = time.monotonic() + SECONDS

        def accountant(n: int) -> None:
            order = random.Random(n)
            with httpx.Client(
                base_url=base, cookies={settings.SESSION_COOKIE_NAME: sessions[n]}, timeout=60
            ) as http:
                http.get("/accounting/")  # warm the session
                while time.monotonic() < deadline:
                    label, path, params = order.choice(pages)
                    started = time.perf_counter()
                    try:
                        answer = http.get(path, params=params)
                        status = str(answer.status_code)
                    except httpx.HTTPError as exc:
                        status = type(exc).__name__
                    took = (time.perf_counter() - started) * 1000
                    with lock:
                        times[label].append(took)
                        if status != "200":
                            errors.append(f"{label}: {status}")
                    if THINK:
                        time.sleep(THINK * order.uniform(0.5, 1.5))

        threads = [threading.Thread(target=accountant, args=(n,)) for n in range(USERS)]
        began = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        wall = time.monotonic() - began
    finally:
        os.killpg(server.pid, 15)
        server.wait(10)

    def p95(samples: list[float]) -> float:
        return statistics.quantiles(samples, n=20)[-1] if len(samples) > 1 else samples[0]

    everything = [t for samples in times.values() for t in samples]
    ledger = Transaction.objects.filter(organization=org).count()
    print(
        f"{USERS} accountants (reading {THINK:g} s a page on average) for {SECONDS:g} s on {ledger:,} transactions; gunicorn {WORKERS} workers x {THREADS} threads; load {os.getloadavg()[0]:.2f}"
    )
    print(f"{'page':<24}{'requests':>9}{'p50 ms':>9}{'p95 ms':>9}")
    for label, samples in sorted(times.items()):
        print(f"{label:<24}{len(samples):>9}{statistics.median(samples):>9.0f}{p95(samples):>9.0f}")
    print(
        f"{'all pages':<24}{len(everything):>9}{statistics.median(everything):>9.0f}{p95(everything):>9.0f}"
    )
    print(
        f"served {len(everything) / wall:.1f} requests/s; errors: {len(errors)}"
        + (f" ({', '.join(sorted(set(errors))[:5])})" if errors else "")
    )


if __name__ == "__main__":
    main()
