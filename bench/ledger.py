# ruff: noqa: E501 (long SQL and report lines read better unwrapped)
"""Ledger benchmark (issue 6): 1,000,000 transactions in real PostgreSQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sifi_bench .venv/bin/python bench/ledger.py

Measures the transaction list (each tab with a filter, page 1 and a deep keyset page,
p95 over repeated requests through the real API view) and a bulk assignment of 100,000
transactions by filter with their audit rows. Prints the figures and the key plan lines.
"""

import base64
import os
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import prepare_database, setup_django

setup_django("sifi_bench")

from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from rest_framework.test import APIClient  # noqa: E402

from accounting.models import Account, Budget, Transaction  # noqa: E402
from accounting.selectors import COUNT_CAP  # noqa: E402
from accounting.services.verification import bulk_assign  # noqa: E402
from sifi.models import AuditEvent, Organization, Role, User  # noqa: E402
from tests.factories import set_source_account  # noqa: E402

ROWS = int(os.environ.get("BENCH_ROWS", "1000000"))
REPEAT = 30


def populate() -> tuple[Organization, User, Account]:
    org, _ = Organization.objects.get_or_create(name="Bench Org")
    user = User.objects.filter(username="bench-accountant").first() or User.objects.create_user(
        "bench-accountant", password="x", organization=org, role=Role.ACCOUNTANT
    )
    account = Account.objects.filter(organization=org, code="5201").first()
    if account is None:
        account = Account.objects.create(
            organization=org,
            provider="qoyod",
            external_id="1038",
            code="5201",
            name_en="Marketing Expenses",
        )
        set_source_account(org)
    have = Transaction.objects.filter(organization=org).count()
    if have >= ROWS:
        return org, user, account
    budgets = [
        Budget.objects.get_or_create(organization=org, name=f"Budget {i}")[0].pk for i in range(20)
    ]
    started = time.perf_counter()
    types = "ARRAY['card_expense','card_refund','transfer_out','transfer_in','reimbursement','cash_out','cash_in']"
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO accounting_transaction
              (organization_id, reference, type, direction, amount, currency, original_currency, merchant,
               description, occurred_at, transaction_date, budget_id, status, status_reason,
               journal_entry_status, error_code, vat_evidence, created_at, updated_at)
            SELECT %s, 'BENCH-' || g, t.type,
                   CASE WHEN t.type IN ('card_refund','transfer_in','cash_in') THEN 'credit' ELSE 'debit' END,
                   ((g %% 50000) + 100) / 100.0, 'SAR', '',
                   (ARRAY['Jarir Bookstore','مكتبة جرير','Careem','STC','Saudia'])[1 + g %% 5], '',
                   ts, (ts AT TIME ZONE 'Asia/Riyadh')::date,
                   (%s::bigint[])[1 + g %% 20], 'unverified', '', '', '', 'pending', now(), now()
            FROM generate_series(%s, %s) AS g,
                 LATERAL (SELECT ({types})[1 + g %% 7] AS type) t,
                 LATERAL (SELECT now() - (g || ' minutes')::interval AS ts) d
            """,
            [org.pk, budgets, have + 1, ROWS],
        )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE accounting_transaction")
    print(f"inserted {ROWS - have:,} transactions in {time.perf_counter() - started:.1f} s")
    return org, user, account


def p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20)[-1] * 1000


def measure_lists(user: User) -> None:
    oldest = Transaction.objects.order_by("occurred_at").values_list("occurred_at", flat=True)[1000]
    deep_cursor = base64.b64encode(urlencode({"p": oldest.isoformat()}).encode()).decode()
    cases = {
        "expenses, budget filter, page 1": {"tab": "expenses", "budget": "Budget 3"},
        "expenses, budget filter, deep page": {
            "tab": "expenses",
            "budget": "Budget 3",
            "cursor": deep_cursor,
        },
        "transfers, amount range, page 1": {
            "tab": "transfers",
            "amount_min": "100",
            "amount_max": "200",
        },
        "others, date range, page 1": {"tab": "others", "date_from": "2020-01-01"},
        "others, no filter, deep page": {"tab": "others", "cursor": deep_cursor},
        "verified, budget filter, page 1": {"tab": "verified", "budget": "Budget 3"},
        "expenses, merchant search, page 1": {"tab": "expenses", "search": "careem"},
    }
    measure_cases(user, "list requests", cases)


def measure_cases(user: User, title: str, cases: dict[str, dict[str, str]]) -> None:
    client = APIClient()
    client.force_authenticate(user)
    print(f"\n{title} (p95 of {REPEAT} after one warm-up, ms):")
    for label, params in cases.items():
        url = "/api/v1/accounting/transactions/"
        client.get(url, params)  # warm-up, not counted
        samples = []
        for _ in range(REPEAT):
            started = time.perf_counter()
            response = client.get(url, params)
            samples.append(time.perf_counter() - started)
            assert response.status_code == 200, response.content[:300]
        print(
            f"  {label:<40} p95 {p95(samples):7.1f}   median {statistics.median(samples) * 1000:7.1f}"
        )


def measure_bulk(org: Organization, user: User, account: Account) -> None:
    budgets = list(Budget.objects.filter(organization=org).order_by("name"))
    # Two budgets hold 10% of the rows: 100,000 of a million.
    target = Transaction.objects.filter(organization=org, budget__in=budgets[:2])
    count = target.count()
    print(f"\nbulk assign by filter ({count:,} rows), three runs after VACUUM ANALYZE:")
    for attempt in range(1, 4):
        Transaction.objects.filter(pk__in=target.values("pk")).update(
            status="unverified", account=None, verified_by=None, verified_at=None
        )
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE accounting_transaction")
            cursor.execute("VACUUM ANALYZE sifi_auditevent")
        audit_before = AuditEvent.objects.count()
        started = time.perf_counter()
        result = bulk_assign(organization=org, actor=user, account_id=account.pk, matching=target)
        elapsed = time.perf_counter() - started
        audits = AuditEvent.objects.count() - audit_before
        print(
            f"  run {attempt}: {result.updated:,} of {count:,} rows + {audits:,} audit rows in {elapsed:.2f} s"
        )
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE accounting_transaction")
    # The Verified tab now holds 100,000 rows, and two budgets have nothing left to verify:
    # the filters that match nothing must not walk the whole tab.
    measure_cases(
        user,
        "after the bulk assignment (100,000 verified)",
        {
            "verified, budget filter, page 1": {"tab": "verified", "budget": "Budget 1"},
            "verified, budget with no verified rows": {"tab": "verified", "budget": "Budget 3"},
            "verified, no filter, page 1": {"tab": "verified"},
            "expenses, budget with nothing left": {"tab": "expenses", "budget": "Budget 1"},
        },
    )
    Transaction.objects.filter(pk__in=target.values("pk")).update(
        status="unverified", account=None, verified_by=None, verified_at=None
    )
    with connection.cursor() as cursor:  # leave no dead "verified" entries for the next run
        cursor.execute("VACUUM ANALYZE accounting_transaction")


def measure_counts(user: User) -> None:
    client = APIClient()
    client.force_authenticate(user)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE accounting_transaction")
    print(f"\ntab counts, capped at {COUNT_CAP:,} (p95 of {REPEAT} after one warm-up, ms):")
    for label, params in {
        "budget filter (50,000 rows)": {"budget": "Budget 3"},
        "no filter (1,000,000 rows)": {},
    }.items():
        client.get("/api/v1/accounting/transactions/counts/", params)  # warm-up, not counted
        samples = []
        for _ in range(REPEAT):
            started = time.perf_counter()
            response = client.get("/api/v1/accounting/transactions/counts/", params)
            samples.append(time.perf_counter() - started)
            assert response.status_code == 200, response.content[:300]
        print(
            f"  {label:<40} p95 {p95(samples):7.1f}   median {statistics.median(samples) * 1000:7.1f}"
        )


def explain(user: User) -> None:
    """The plan PostgreSQL runs for a list request, from the SQL the API view sends."""
    client = APIClient()
    client.force_authenticate(user)
    for label, params in {
        "expenses + budget, page 1": {"tab": "expenses", "budget": "Budget 3"},
        "verified + budget, page 1": {"tab": "verified", "budget": "Budget 3"},
    }.items():
        with CaptureQueriesContext(connection) as queries:
            client.get("/api/v1/accounting/transactions/", params)
        sql = next(q["sql"] for q in queries.captured_queries if "LIMIT 51" in q["sql"])
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, COSTS OFF) " + sql)
            lines = [row[0] for row in cursor.fetchall()]
        print(f"\nplan ({label}):")
        for line in lines:
            if "Scan" in line or "Execution" in line or "Limit" in line or "Sort" in line:
                print("  " + line.strip())


if __name__ == "__main__":
    prepare_database()
    org, user, account = populate()
    measure_lists(user)
    measure_bulk(org, user, account)
    measure_counts(user)
    explain(user)
