"""Reads of the chart of accounts and the ledger, always scoped to one organization."""

from django.db.models import Case, Count, Q, QuerySet, Value, When
from django.http import Http404

from accounting.filters import tab_condition
from accounting.models import (
    Account,
    Reconciliation,
    ReconciliationStatus,
    SyncRun,
    Tab,
    Transaction,
)
from sifi.models import AuditEvent, Organization


def account_list(
    *, organization: Organization, search: str = "", active: bool | None = None
) -> QuerySet[Account]:
    """The organization's synced chart, searchable by code and English or Arabic name."""
    accounts = Account.objects.filter(organization=organization).select_related("parent")
    if active is not None:
        accounts = accounts.filter(active=active)
    search = search.strip()
    if search:
        accounts = accounts.filter(
            Q(code__istartswith=search)
            | Q(name_en__icontains=search)
            | Q(name_ar__icontains=search)
        )
    return accounts.order_by("code", "id")


def posting_accounts(*, organization: Organization) -> QuerySet[Account]:
    """Accounts entries can be booked on: active, not headings."""
    return Account.objects.filter(organization=organization, active=True, is_heading=False)


def source_account_choices(*, organization: Organization) -> QuerySet[Account]:
    """Posting accounts, those that can take payments (bank, cash) first: the likely wallet."""
    return posting_accounts(organization=organization).order_by("-receive_payments", "code", "id")


def input_vat_account_choices(*, organization: Organization) -> QuerySet[Account]:
    """Posting accounts, tax accounts first: the likely Input VAT account."""
    return posting_accounts(organization=organization).order_by(
        Case(When(group_type__iexact="tax", then=Value(0)), default=Value(1)), "code", "id"
    )


def transaction_list(*, organization: Organization) -> QuerySet[Transaction]:
    """The organization's transactions, newest first, with what a list row shows."""
    return (
        Transaction.objects.filter(organization=organization)
        .select_related("employee", "budget", "card", "account")
        .order_by("-occurred_at", "-id")
    )


# Tab badges count exactly up to this many and show "5,000+" beyond: counting a million-row
# ledger exactly costs ~300 ms on every page view; a capped count reads at most this many
# index entries per tab.
COUNT_CAP = 5_000


def tab_counts(*, filtered: QuerySet[Transaction], cap: int | None = COUNT_CAP) -> dict[str, int]:
    """How many transactions each tab holds under the current filters, counted exactly up to
    `cap` (a tab at `cap` + 1 has more). `cap=None` counts everything exactly (one query)."""
    if cap is None:
        return filtered.order_by().aggregate(
            **{tab.value: Count("status", filter=tab_condition(tab.value)) for tab in Tab}
        )
    counts = {}
    for tab in Tab:
        rows = filtered.filter(tab_condition(tab.value)).order_by().values("pk")
        counts[tab.value] = rows[: cap + 1].count()
    return counts


def transaction_get(*, organization: Organization, transaction_id: int) -> Transaction:
    try:
        return (
            transaction_list(organization=organization)
            .prefetch_related("documents")
            .get(pk=transaction_id)
        )
    except Transaction.DoesNotExist:
        raise Http404("No such transaction.") from None


def transaction_audit(*, transaction: Transaction) -> QuerySet[AuditEvent]:
    """Every change to this transaction, newest first."""
    return AuditEvent.objects.filter(
        organization_id=transaction.organization_id,
        target_type="transaction",
        target_id=transaction.pk,
    ).select_related("actor")


def sync_run_list(*, organization: Organization) -> QuerySet[SyncRun]:
    return SyncRun.objects.filter(organization=organization).select_related("started_by")


def sync_run_get(*, organization: Organization, run_id: int) -> SyncRun:
    try:
        return sync_run_list(organization=organization).get(pk=run_id)
    except SyncRun.DoesNotExist:
        raise Http404("No such sync run.") from None


def reconciliation_list(*, organization: Organization) -> QuerySet[Reconciliation]:
    return Reconciliation.objects.filter(organization=organization)


def reconciliation_get(*, organization: Organization, reconciliation_id: int) -> Reconciliation:
    try:
        return reconciliation_list(organization=organization).get(pk=reconciliation_id)
    except Reconciliation.DoesNotExist:
        raise Http404("No such reconciliation.") from None


def reconciliation_findings(*, organization: Organization) -> Reconciliation | None:
    """The latest finished reconciliation, if it found problems nobody has dismissed yet (the
    banner on the Accounting page)."""
    latest = (
        reconciliation_list(organization=organization)
        .filter(status=ReconciliationStatus.SUCCEEDED)
        .order_by("-finished_at", "-id")
        .first()
    )
    if latest is None or latest.acknowledged_at is not None or not latest.problems:
        return None
    return latest
