"""Reads of the chart of accounts and the ledger, always scoped to one organization."""

import datetime
import math
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Case, Count, Q, QuerySet, Value, When
from django.db.models.expressions import Combinable
from django.http import Http404
from django.utils.translation import gettext as _

from accounting.filters import tab_condition
from accounting.models import (
    ACTIVE_RUN_STATUSES,
    Account,
    Reconciliation,
    ReconciliationStatus,
    ReverseChargeMerchant,
    Rule,
    SyncRun,
    SyncRunItem,
    SyncRunItemOutcome,
    SyncRunStatus,
    Tab,
    Transaction,
    VatEvidence,
)
from accounting.providers import BudgetWindow, binding_window, connection_for
from accounting.services import scheduler
from accounting.services.turns import pending_pushes
from sifi.models import AuditEvent, Organization


def books_provider(organization: Organization) -> str | None:
    """The key of the accounting system the organization keeps its books in (the connected
    one, else the last it had); None if it never connected one."""
    books = connection_for(organization)
    return books.provider.key if books else None


def _source_must_take_payments(organization: Organization) -> bool:
    """Whether the organization's books take only accounts that take payments as the Source
    Account (`Provider.source_account_must_take_payments`)."""
    books = connection_for(organization)
    return books is not None and books.provider.source_account_must_take_payments


def _chart(organization: Organization, provider: str | None) -> QuerySet[Account]:
    accounts = Account.objects.filter(organization=organization)
    return accounts.filter(provider=provider) if provider else accounts


def account_list(
    *,
    organization: Organization,
    provider: str | None,
    search: str = "",
    active: bool | None = None,
) -> QuerySet[Account]:
    """One provider's synced chart of the organization (an organization that moved its books
    keeps the old chart too), searchable by code and English or Arabic name."""
    accounts = _chart(organization, provider).select_related("parent")
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


def posting_accounts(
    *, organization: Organization, provider: str | None = None
) -> QuerySet[Account]:
    """Accounts entries can be booked on: active, not headings, of the chart of the system the
    organization keeps its books in (`provider`, else the connected one)."""
    provider = provider or books_provider(organization)
    return _chart(organization, provider).filter(active=True, is_heading=False)


SEARCH_LIMIT = 20


# What a picker is for decides which accounts come first.
SEARCH_ORDER: dict[str, tuple[str | Combinable, ...]] = {
    "assign": ("-times_assigned", "code", "id"),  # the ones this organization uses most
    "source": ("-receive_payments", "code", "id"),  # bank and cash: the likely wallet
    "input_vat": (
        Case(When(group_type__iexact="tax", then=Value(0)), default=Value(1)),
        "code",
        "id",
    ),
}


def account_search(
    *,
    organization: Organization,
    query: str,
    purpose: str = "assign",
    limit: int = SEARCH_LIMIT,
    exclude: tuple[int, ...] = (),
) -> list[Account]:
    """Posting accounts whose code starts with, or whose English or Arabic name contains, the
    query, in the order the `purpose` wants (SEARCH_ORDER); at most `limit`. An empty query
    gives the first ones (what a picker shows before anything is typed)."""
    accounts = posting_accounts(organization=organization).exclude(pk__in=exclude)
    if purpose == "source" and _source_must_take_payments(organization):
        accounts = accounts.filter(receive_payments=True)
    query = query.strip()
    if query:
        accounts = accounts.filter(
            Q(code__istartswith=query) | Q(name_en__icontains=query) | Q(name_ar__icontains=query)
        )
    order = SEARCH_ORDER.get(purpose, SEARCH_ORDER["assign"])
    return list(accounts.order_by(*order)[: max(1, min(limit, 50))])


def posting_account_by_code(*, organization: Organization, code: str) -> Account | None:
    """The posting account with exactly this code (what a person types without the picker)."""
    return posting_accounts(organization=organization).filter(code__iexact=code.strip()).first()


def resolve_account_choice(
    *, organization: Organization, account_id: str, account_code: str, field: str = "account"
) -> int | None:
    """The account a form chose: its id (the picker's), else the code a person typed (the
    form without JavaScript, or "5201 · Marketing" as the picker shows it). None if nothing
    was chosen; a 400 on `field` if the code names no posting account."""
    account_id = (account_id or "").strip()
    if account_id:
        if not (account_id.isascii() and account_id.isdigit()):
            raise ValidationError({field: [_("Pick an account from the list.")]})
        return int(account_id)
    code = (account_code or "").split("·")[0].strip()
    if not code:
        return None
    account = posting_account_by_code(organization=organization, code=code)
    if account is None:
        raise ValidationError(
            {
                field: [
                    _("No posting account has the code %(code)s; type an account's code.")
                    % {"code": code}
                ]
            }
        )
    return account.pk


def transaction_list(*, organization: Organization) -> QuerySet[Transaction]:
    """The organization's transactions, newest first, with what a list row shows."""
    return (
        Transaction.objects.filter(organization=organization)
        .select_related("employee", "budget", "card", "account", "suggestion__account")
        .order_by("-occurred_at", "-id")
    )


PAGE_SIZE = 50


@dataclass
class TransactionPage:
    """One page of a list, newest first, and the cursors of its neighbours ("" if none)."""

    rows: list[Transaction]
    newer: str
    older: str


def _cursor(txn: Transaction) -> str:
    return f"{txn.occurred_at.isoformat()}_{txn.pk}"


def _position(cursor: str) -> tuple[datetime.datetime, int] | None:
    moment, _sep, pk = cursor.rpartition("_")
    try:
        occurred_at = datetime.datetime.fromisoformat(moment)
    except ValueError:
        return None
    if not (pk.isascii() and pk.isdigit()) or occurred_at.tzinfo is None:
        return None
    return occurred_at, int(pk)


def transaction_page(
    rows: QuerySet[Transaction], *, after: str = "", before: str = "", size: int = PAGE_SIZE
) -> TransactionPage:
    """A keyset page: the rows older than `after` (or newer than `before`), so a deep page
    costs what the first one does (an offset would read every row above it). A cursor that
    does not parse is the first page."""
    position = _position(after) if after else None
    backwards = False
    if position is None and before:
        position = _position(before)
        backwards = position is not None
    if position is None:
        found = list(rows.order_by("-occurred_at", "-id")[: size + 1])
        more_older, more_newer = len(found) > size, False
    elif not backwards:
        moment, pk = position
        older = rows.filter(occurred_at__lte=moment).exclude(occurred_at=moment, id__gte=pk)
        found = list(older.order_by("-occurred_at", "-id")[: size + 1])
        more_older, more_newer = len(found) > size, True
    else:
        moment, pk = position
        newer = rows.filter(occurred_at__gte=moment).exclude(occurred_at=moment, id__lte=pk)
        found = list(newer.order_by("occurred_at", "id")[: size + 1])
        more_newer, more_older = len(found) > size, True
        found = list(reversed(found[:size]))
    found = found[:size]
    return TransactionPage(
        rows=found,
        newer=_cursor(found[0]) if found and more_newer else "",
        older=_cursor(found[-1]) if found and more_older else "",
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


def vat_evidence_counts(*, filtered: QuerySet[Transaction]) -> dict[str, int]:
    """How many of the filtered transactions have each VAT evidence (every value, 0 when
    none): what a sync under "reclaim only backed VAT" would book gross. One query."""
    return filtered.order_by().aggregate(
        **{
            evidence.value: Count("pk", filter=Q(vat_evidence=evidence.value))
            for evidence in VatEvidence
        }
    )


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
    return SyncRun.objects.filter(organization=organization).select_related(
        "started_by", "retry_of"
    )


def sync_runs_with_counts(*, organization: Organization) -> QuerySet[SyncRun]:
    """Runs, newest first, each with how many of its transactions succeeded, failed, wait."""
    return sync_run_list(organization=organization).annotate(
        succeeded_count=Count("items", filter=Q(items__outcome=SyncRunItemOutcome.SUCCEEDED)),
        failed_count=Count("items", filter=Q(items__outcome=SyncRunItemOutcome.FAILED)),
        pending_count=Count("items", filter=Q(items__outcome=SyncRunItemOutcome.PENDING)),
    )


def sync_run_items(
    *, run: SyncRun, outcome: str = "", after: int = 0, size: int = 100
) -> list[SyncRunItem]:
    """A page of a run's results in push order (keyset by item id), optionally one outcome."""
    items = run.items.select_related("transaction").order_by("pk")
    if outcome:
        items = items.filter(outcome=outcome)
    if after:
        items = items.filter(pk__gt=after)
    return list(items[:size])


def sync_run_failure_codes(*, run: SyncRun) -> list[str]:
    """Why the run's failures failed: each distinct error code once."""
    failed = run.items.filter(outcome=SyncRunItemOutcome.FAILED)
    return list(failed.order_by().values_list("error_code", flat=True).distinct())


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


def reverse_charge_merchant_list(*, organization: Organization) -> QuerySet[ReverseChargeMerchant]:
    """The merchants the organization ticked as foreign services (reverse charge)."""
    return ReverseChargeMerchant.objects.filter(organization=organization)


def rule_list(*, organization: Organization) -> QuerySet[Rule]:
    """The organization's rules in the order they are tried."""
    return Rule.objects.filter(organization=organization).select_related("account")


def rule_get(*, organization: Organization, rule_id: int) -> Rule:
    try:
        return rule_list(organization=organization).get(pk=rule_id)
    except Rule.DoesNotExist:
        raise Http404("No such rule.") from None


# --- the sync queues, per company (`manage.py sync_queues`) ------------------------------------


@dataclass(frozen=True)
class CompanyQueue:
    organization: str
    provider: str
    runs_queued: int
    runs_running: int
    transactions_waiting: int
    batches_waiting: int  # turns of SYNC_TURN_TRANSACTIONS still to come
    turns_in_flight: int
    requests_used: int | None  # in the binding window of the company's budget (None: no limit)
    request_limit: int | None
    waiting_seconds: int  # until the company's budget opens again (0: pushing)
    request_windows: tuple[BudgetWindow, ...] = ()  # every window (several: minute and day)

    @property
    def binding_window(self) -> BudgetWindow | None:
        """The window that holds the company back (None: no limit)."""
        return binding_window(self.request_windows) if self.request_windows else None


def sync_queues() -> list[CompanyQueue]:
    """Every company with sync work: what the scheduler holds for it, and its request budget.
    An operator's view across organizations (a command, never a page)."""
    active = (
        SyncRun.objects.filter(status__in=ACTIVE_RUN_STATUSES)
        .values("organization_id")
        .annotate(
            queued=Count("pk", filter=Q(status=SyncRunStatus.QUEUED)),
            running=Count("pk", filter=Q(status=SyncRunStatus.RUNNING)),
        )
        .order_by("organization_id")
    )
    rows = []
    for counts in active:
        organization = Organization.objects.get(pk=counts["organization_id"])
        waiting = pending_pushes(organization.pk).count()
        books = connection_for(organization)
        budget = books.request_budget() if books is not None and books.is_connected else None
        windows = tuple(budget.windows()) if budget is not None else ()
        binding = binding_window(windows) if windows else None
        latest = SyncRun.objects.filter(
            organization=organization, status__in=ACTIVE_RUN_STATUSES
        ).first()
        rows.append(
            CompanyQueue(
                organization=organization.name,
                provider=str(books.provider.name) if books else "-",
                runs_queued=counts["queued"],
                runs_running=counts["running"],
                transactions_waiting=waiting,
                batches_waiting=math.ceil(waiting / max(1, settings.SYNC_TURN_TRANSACTIONS)),
                turns_in_flight=scheduler.turns_held(organization.pk),
                requests_used=binding.used if binding is not None else None,
                request_limit=binding.limit if binding is not None else None,
                waiting_seconds=latest.waiting_seconds if latest else 0,
                request_windows=windows,
            )
        )
    return rows
