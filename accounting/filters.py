"""The transaction list's filters (SPEC §8), shared by the list, the tab counts and bulk assign."""

from typing import Any

import django_filters
from django import forms
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from accounting.models import (
    TO_SYNC_STATUSES,
    Budget,
    Tab,
    Transaction,
    TransactionStatus,
    TransactionType,
    VatEvidence,
    types_of_tab,
)
from sifi.models import Organization
from sifi.tenancy import current_organization

UNVERIFIED_TABS = (Tab.EXPENSES, Tab.TRANSFERS, Tab.OTHERS)


def tab_condition(tab: str) -> Q:
    """Which transactions a tab shows: the first three hold what is still to verify."""
    if tab in UNVERIFIED_TABS:
        return Q(status=TransactionStatus.UNVERIFIED, type__in=types_of_tab(tab))
    if tab == Tab.VERIFIED:
        # Verified and waiting for sync, including those a run has taken but not finished:
        # the status group that has its own index.
        return Q(status__in=TO_SYNC_STATUSES)
    if tab == Tab.SYNCED:
        return Q(status=TransactionStatus.SYNCED)
    if tab == Tab.FAILED:
        return Q(status=TransactionStatus.FAILED)
    raise ValueError(f"unknown tab {tab!r}")


class TransactionFilterForm(forms.Form):
    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            self.add_error("date_to", _("The end date is before the start date."))
        low, high = data.get("amount_min"), data.get("amount_max")
        if low is not None and high is not None and low > high:
            self.add_error("amount_max", _("The maximum amount is below the minimum."))
        return data


class TransactionFilter(django_filters.FilterSet):
    tab = django_filters.ChoiceFilter(choices=Tab.choices, method="filter_tab")
    date_from = django_filters.DateFilter(field_name="transaction_date", lookup_expr="gte")
    date_to = django_filters.DateFilter(field_name="transaction_date", lookup_expr="lte")
    employee = django_filters.NumberFilter(field_name="employee_id")
    budget = django_filters.CharFilter(method="filter_budget", max_length=200)
    card = django_filters.NumberFilter(field_name="card_id")
    type = django_filters.ChoiceFilter(choices=TransactionType.choices)
    amount_min = django_filters.NumberFilter(field_name="amount", lookup_expr="gte", min_value=0)
    amount_max = django_filters.NumberFilter(field_name="amount", lookup_expr="lte", min_value=0)
    search = django_filters.CharFilter(method="filter_search", max_length=100)
    status = django_filters.ChoiceFilter(choices=TransactionStatus.choices)
    account = django_filters.NumberFilter(field_name="account_id")
    vat_evidence = django_filters.ChoiceFilter(choices=VatEvidence.choices)

    class Meta:
        model = Transaction
        fields: list[str] = []
        form = TransactionFilterForm

    def __init__(self, *args: Any, organization: Organization | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        # Whose budgets a budget name means; through the API, the requesting user's.
        self.organization = organization or current_organization(self.request)

    def filter_tab(self, queryset: QuerySet[Transaction], name: str, value: str) -> Any:
        return queryset.filter(tab_condition(value))

    def filter_budget(self, queryset: QuerySet[Transaction], name: str, value: str) -> Any:
        """A budget by id or by its exact name ("Marketing Campaign 2025").

        Looked up first, so the ledger query gets budget ids as constants and PostgreSQL walks
        the budget's own index (a name joined in walked the whole tab: 300 ms on a million
        rows for a budget with nothing in the tab)."""
        value = value.strip()
        condition = Q(name=value)
        if value.isascii() and value.isdecimal() and len(value) <= 18:
            condition |= Q(pk=int(value))
        budgets = Budget.objects.filter(condition, organization=self.organization)
        return queryset.filter(budget_id__in=list(budgets.values_list("pk", flat=True)))

    def filter_search(self, queryset: QuerySet[Transaction], name: str, value: str) -> Any:
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(merchant__icontains=value)
            | Q(description__icontains=value)
            | Q(reference__iexact=value)
        )


# The filter names, for every place that passes a filter on (the API's bulk assignment, the
# page's tab links and its bulk form): one list, so a filter is never dropped on the way.
FILTER_PARAMS = frozenset(TransactionFilter.base_filters)
