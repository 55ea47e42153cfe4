"""How the ledger's pages write amounts and entries."""

from decimal import Decimal, InvalidOperation
from typing import Any

from django import template

register = template.Library()


@register.filter
def money(value: Any) -> str:
    """An amount as Saudi finance teams read it in both languages: Western digits, a point
    before the halalas and commas between thousands ("12,482.48"). Django's Arabic number
    format writes "482,48", which reads as four hundred and eighty-two thousand and
    forty-eight to anyone used to Saudi bank statements."""
    if value is None or value == "":
        return ""
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        return str(value)
    return f"{amount:,.2f}"


@register.filter
def entry_url(entry_id: str | None, provider: Any) -> str:
    """Where the entry opens in the provider's own web app ("" when unknown); `provider` is
    the organization's connection (it knows where its books are) or a provider."""
    return provider.entry_url(entry_id) if provider is not None and entry_id else ""


@register.filter
def lookup(labels: dict[str, str], key: str) -> str:
    """`labels[key]`, for words looked up once per page instead of once per row."""
    return labels.get(key, key)


@register.simple_tag
def run_waiting_reason(run: Any, books_name: Any) -> str:
    """Why the sync run waits ("" when it pushes): `accounting.services.run_lifecycle`."""
    from accounting.services.run_lifecycle import waiting_reason

    return waiting_reason(run, books_name=books_name) if run is not None else ""
