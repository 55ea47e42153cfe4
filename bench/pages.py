# ruff: noqa: E501 (report lines read better unwrapped)
"""Page budget (issue 17): the Accounting pages as people load them, on the 1,000,000-row
bench organization with a 10,000-account chart.

    .venv/bin/python bench/pages.py

Renders each page server-side through Django's test client (the real middleware, views and
templates, no network), REPEAT times after a warm-up, and prints its HTML size and p50/p95
wall time. Targets: every Accounting tab, page 1 and a deep page, at most 150 kB and p95 at
most 150 ms; the transaction page p95 at most 100 ms; Settings → Qoyod configuration (and
its chart table) p95 at most 150 ms. The organization and its ledger are the ones
bench/ledger.py builds (made here if missing).
"""

import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import prepare_database, setup_django

setup_django("sifi_bench")
prepare_database()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402

import sifi.wsgi  # noqa: E402,F401  (the production entry point: its process set-up, GC included)
from accounting.models import Account, Tab, Transaction  # noqa: E402
from bench.ledger import populate  # noqa: E402
from integrations.models import ConnectionStatus, Integration  # noqa: E402
from sifi.models import AuditEvent, Role, User  # noqa: E402

REPEAT = int(os.environ.get("BENCH_REPEAT", "20"))
CHART = int(os.environ.get("BENCH_CHART", "10000"))
SYNCED = 50_000  # rows the Synced tab holds (and 2,000 failed)
LIMITS = {"tab": (150_000, 150.0), "transaction": (None, 100.0), "settings": (None, 150.0)}


def ensure_chart(org, provider: str) -> None:
    have = Account.objects.filter(organization=org, provider=provider).count()
    if have >= CHART:
        return
    Account.objects.bulk_create(
        [
            Account(
                organization=org,
                provider=provider,
                external_id=str(200_000 + n),
                code=f"6{n:05d}",
                name_en=f"Expense line {n}",
                name_ar=f"بند مصروفات {n}",
                type="Expense",
                times_assigned=n % 7,
            )
            for n in range(have, CHART)
        ],
        batch_size=2000,
    )


def ensure_outcomes(org, account: Account) -> None:
    """Verified, synced and failed rows, as months of use leave them."""
    if not Transaction.objects.filter(organization=org, status="verified").exists():
        with connection.cursor() as cursor:
            cursor.execute(
                """
                UPDATE accounting_transaction SET status = 'verified', account_id = %s, verified_at = now()
                WHERE id IN (SELECT id FROM accounting_transaction WHERE organization_id = %s
                             AND status = 'unverified' ORDER BY id DESC LIMIT 100000 OFFSET 5000)
                """,
                [account.pk, org.pk],
            )
            cursor.execute("VACUUM ANALYZE accounting_transaction")
    if Transaction.objects.filter(organization=org, status="synced").exists():
        return
    with connection.cursor() as cursor:
        cursor.execute(
            """
            UPDATE accounting_transaction SET status = 'synced', account_id = %s,
                   journal_entry_id = id::text, journal_entry_status = 'Draft', synced_at = now()
            WHERE id IN (SELECT id FROM accounting_transaction WHERE organization_id = %s
                         AND status = 'unverified' ORDER BY id LIMIT %s)
            """,
            [account.pk, org.pk, SYNCED],
        )
        cursor.execute(
            """
            UPDATE accounting_transaction SET status = 'failed', account_id = %s,
                   status_reason = 'Qoyod refused it: account is locked.', error_code = 'qoyod_validation'
            WHERE id IN (SELECT id FROM accounting_transaction WHERE organization_id = %s
                         AND status = 'unverified' ORDER BY id DESC LIMIT 2000)
            """,
            [account.pk, org.pk],
        )
    with connection.cursor() as cursor:  # VACUUM cannot run inside a transaction block
        cursor.execute("VACUUM ANALYZE accounting_transaction")


# The range filters bench/load.py found slow under load (issue 25): a tab's list and its
# counts with an amount range or from a date.
RANGE_FILTERS = [
    (
        "/accounting/?tab=transfers&amount 100-200",
        {"tab": "transfers", "amount_min": "100", "amount_max": "200"},
    ),
    ("/accounting/?tab=others&date_from=2025-01-01", {"tab": "others", "date_from": "2025-01-01"}),
    (
        "/accounting/?tab=verified&amount 100-200",
        {"tab": "verified", "amount_min": "100", "amount_max": "200"},
    ),
]


def deep_cursor(org, tab: str) -> str:
    """The position halfway down the tab (found once, outside the timing)."""
    from accounting.filters import tab_condition

    rows = Transaction.objects.filter(organization=org).filter(tab_condition(tab))
    middle = rows.count() // 2
    row = rows.order_by("-occurred_at", "-id").values("occurred_at", "id")[middle]
    return f"{row['occurred_at'].isoformat()}_{row['id']}"


def measure(client: Client, url: str, params: dict | None = None) -> tuple[int, list[float]]:
    response = client.get(url, params or {}, secure=True)  # warm-up (HTTPS, as in production)
    assert response.status_code == 200, (url, response.status_code)
    size = len(response.content)
    times = []
    for _ in range(REPEAT):
        started = time.perf_counter()
        response = client.get(url, params or {}, secure=True)
        times.append((time.perf_counter() - started) * 1000)
    return size, times


def p95(times: list[float]) -> float:
    return statistics.quantiles(times, n=20)[-1]


def main() -> None:
    org, accountant, account = populate()
    source = Integration.objects.get(organization=org).source_account
    Integration.objects.filter(organization=org).update(
        status=ConnectionStatus.CONNECTED, secrets={"api_key": "bench-key"}
    )
    ensure_chart(org, account.provider)
    ensure_outcomes(org, account)
    admin = User.objects.filter(username="bench-admin").first() or User.objects.create_user(
        "bench-admin", password="x", organization=org, role=Role.ADMIN
    )
    txn = Transaction.objects.filter(organization=org, status="synced").first()
    assert txn is not None
    if not AuditEvent.objects.filter(target_type="transaction", target_id=txn.pk).exists():
        for action, after in (
            (
                "transaction.assigned",
                {"status": "verified", "account": account.pk, "account_label": str(account)},
            ),
            (
                "transaction.journal_entry_created",
                {"journal_entry_id": str(txn.pk), "status": "Draft", "adopted": False},
            ),
            ("transaction.synced", {"status": "synced", "journal_entry_id": str(txn.pk)}),
        ):
            AuditEvent.objects.create(
                organization=org,
                actor_label="bench",
                action=action,
                target_type="transaction",
                target_id=txn.pk,
                before={"status": "unverified"},
                after=after,
            )

    chart = Account.objects.filter(organization=org).count()
    ledger = Transaction.objects.filter(organization=org).count()
    print(
        f"organization: {ledger:,} transactions, {chart:,} accounts; source {source}; {REPEAT} requests each after a warm-up"
    )
    print(f"{'page':<44}{'HTML':>10}{'p50 ms':>9}{'p95 ms':>9}  verdict")

    client = Client()
    client.force_login(accountant)
    failures = 0

    def report(label: str, kind: str, size: int, times: list[float]) -> None:
        nonlocal failures
        max_bytes, max_ms = LIMITS[kind]
        ok = p95(times) <= max_ms and (max_bytes is None or size <= max_bytes)
        failures += not ok
        limit = f"≤ {max_bytes // 1000} kB, " if max_bytes else ""
        print(
            f"{label:<44}{size / 1000:>8.1f}kB{statistics.median(times):>9.1f}{p95(times):>9.1f}  {'ok' if ok else 'OVER'} ({limit}p95 ≤ {max_ms:g} ms)"
        )

    for tab in Tab.values:
        size, times = measure(client, "/accounting/", {"tab": tab})
        report(f"/accounting/?tab={tab}", "tab", size, times)
        size, times = measure(client, "/accounting/", {"tab": tab, "after": deep_cursor(org, tab)})
        report(f"/accounting/?tab={tab} (deep page)", "tab", size, times)
    for label, params in RANGE_FILTERS:
        size, times = measure(client, "/accounting/", params)
        report(label, "tab", size, times)
    size, times = measure(client, f"/accounting/transactions/{txn.pk}/")
    report("/accounting/transactions/<id>/", "transaction", size, times)
    size, times = measure(client, "/api/v1/accounting/accounts/search/", {"q": "Expense line 12"})
    report("account search (?q=Expense line 12)", "transaction", size, times)

    client.force_login(admin)
    size, times = measure(client, "/settings/integrations/qoyod/")
    report("/settings/integrations/qoyod/ (configuration)", "settings", size, times)
    size, times = measure(client, "/settings/integrations/qoyod/accounts/")
    report("  its chart table (page 1 of the 10,000)", "settings", size, times)
    size, times = measure(
        client, "/settings/integrations/qoyod/accounts/", {"search": "بند مصروفات 99"}
    )
    report("  its chart table, searched in Arabic", "settings", size, times)
    print(
        f"measured {timezone.now():%Y-%m-%d %H:%M}; {'all within budget' if not failures else f'{failures} over budget'}"
    )


if __name__ == "__main__":
    main()
