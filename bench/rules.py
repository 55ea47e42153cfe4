# ruff: noqa: E501 (report lines read better unwrapped)
"""Coding rules benchmark (issue 19), on the 1,000,000-row bench organization.

    .venv/bin/python bench/rules.py

1. Applying 50 rules (merchant, budget, type and amount conditions, a few auto-verifying)
   to 100,000 unverified transactions, the history of assigned ones included: target < 5 s.
2. Ingesting a 1,000-transaction batch with those 50 rules, against the same batch size with
   no rule: target ≤ 1.2 x (median of REPEAT batches each).
"""

import datetime
import os
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import prepare_database, setup_django

setup_django("sifi_bench")
prepare_database()

from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounting.models import Account, Budget, Rule, Transaction  # noqa: E402
from accounting.services.ingestion import IncomingTransaction, ingest_transactions  # noqa: E402
from accounting.services.rules import save_rule  # noqa: E402
from accounting.services.suggestions import apply_rules  # noqa: E402
from bench.ledger import populate  # noqa: E402
from integrations.models import Integration  # noqa: E402

REPEAT = int(os.environ.get("BENCH_REPEAT", "5"))
MERCHANTS = ["Jarir Bookstore", "مكتبة جرير", "Careem", "STC", "Saudia"]


def make_rules(org, accounts: list[Account]) -> None:
    Rule.objects.filter(organization=org).delete()
    budgets = list(
        Budget.objects.filter(organization=org).order_by("pk").values_list("pk", flat=True)
    )
    for n in range(50):
        conditions: dict = {}
        if n % 5 == 0:
            conditions["merchant_contains"] = ["jarir", "جرير", "careem", "stc", "saudia"][
                n // 5 % 5
            ]
        if n % 5 == 1:
            conditions["budget"] = budgets[n % len(budgets)]
        if n % 5 == 2:
            conditions["type"] = ["card_expense", "transfer_out", "reimbursement"][n % 3]
            conditions["amount_min"] = str(100 + n * 10)
        if n % 5 == 3:
            conditions["merchant_equals"] = "stc"
            conditions["amount_max"] = str(50 + n)
        if n % 5 == 4:
            conditions["budget"] = budgets[(n * 7) % len(budgets)]
            conditions["merchant_contains"] = "saudia"
        save_rule(
            organization=org,
            actor=None,
            name=f"Rule {n}",
            priority=n,
            conditions=conditions,
            account=accounts[n % len(accounts)].pk,
            auto_verify=n % 17 == 0,
        )


def target_window(org) -> tuple[datetime.datetime, datetime.datetime]:
    """Unverified transactions of 100,000 minutes: about 100,000 of them."""
    newest = (
        Transaction.objects.filter(organization=org)
        .order_by("-occurred_at")
        .values_list("occurred_at", flat=True)[0]
    )
    start = newest - datetime.timedelta(days=500)
    return start, start + datetime.timedelta(minutes=100_000)


def batch(seq: int) -> list[IncomingTransaction]:
    now = timezone.now()
    return [
        IncomingTransaction(
            reference=f"RULES-{seq}-{i:04d}",
            type="card_expense",
            amount=Decimal("120.50") + i,
            currency="SAR",
            occurred_at=now - datetime.timedelta(minutes=i),
            merchant=MERCHANTS[i % len(MERCHANTS)],
            budget=f"Budget {i % 20}",
        )
        for i in range(1000)
    ]


def ingest_times(org, label: str, seq_base: int) -> list[float]:
    times = []
    for n in range(REPEAT + 1):
        items = batch(seq_base + n)
        started = time.perf_counter()
        with transaction.atomic():
            ingest_transactions(organization=org, items=items)
        if n:  # the first is a warm-up
            times.append(time.perf_counter() - started)
    print(
        f"  ingestion of 1,000 {label}: median {statistics.median(times) * 1000:.0f} ms (runs: {', '.join(f'{t * 1000:.0f}' for t in times)})"
    )
    return times


def main() -> None:
    org, _user, account = populate()
    accounts = [account] + [
        a
        for a in Account.objects.filter(organization=org, is_heading=False, active=True).exclude(
            pk=account.pk
        )[:9]
    ]
    source = Integration.objects.get(organization=org).source_account_id
    accounts = [a for a in accounts if a.pk != source]
    make_rules(org, accounts)
    start, end = target_window(org)
    targets = Transaction.objects.filter(
        organization=org, status="unverified", occurred_at__gte=start, occurred_at__lt=end
    )
    count = targets.count()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE accounting_transaction")
    print(f"50 rules; {count:,} unverified transactions in the window")
    for _attempt in range(3):
        with transaction.atomic():
            started = time.perf_counter()
            result = apply_rules(organization=org, matching=targets)
            elapsed = time.perf_counter() - started
            transaction.set_rollback(True)  # the same starting point every time
        print(
            f"  apply 50 rules to {count:,}: {elapsed:.2f} s (target < 5 s): {result.suggested:,} suggested, {result.verified:,} verified"
        )

    with_rules = ingest_times(org, "with 50 rules", 10_000 * (int(time.time()) % 100000))
    Rule.objects.filter(organization=org).update(enabled=False)
    without = ingest_times(org, "with no rule", 10_000 * (int(time.time()) % 100000) + 5_000)
    Rule.objects.filter(organization=org).update(enabled=True)
    ratio = statistics.median(with_rules) / statistics.median(without)
    print(f"  ratio {ratio:.2f} (target ≤ 1.2)")
    Transaction.objects.filter(organization=org, reference__startswith="RULES-").delete()


if __name__ == "__main__":
    main()
