"""Reads of the chart of accounts (ledger reads follow), scoped to one organization."""

from django.db.models import Q, QuerySet

from accounting.models import Account
from sifi.models import Organization


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


def source_account_choices(*, organization: Organization) -> QuerySet[Account]:
    """Active accounts, those that can take payments (bank, cash) first: the likely wallet."""
    return Account.objects.filter(organization=organization, active=True).order_by(
        "-receive_payments", "code", "id"
    )
