"""How the ledger finds an accounting system and an organization's connection to it: a
registry of dotted paths (`settings.ACCOUNTING_PROVIDERS`: key → class, loaded lazily, as
healthchecks loads its transports) and `settings.ACCOUNTING_CONNECTIONS`, the dotted path of
the function that finds an organization's `BooksConnection` (what the ledger needs of one).
Both point into the integrations app, which imports the ledger, never the reverse."""

import datetime
from collections.abc import Callable
from functools import cache
from typing import TYPE_CHECKING, Protocol

from django.conf import settings
from django.utils.module_loading import import_string

from accounting.providers.budgets import RequestBudget
from accounting.providers.provider import Provider
from accounting.providers.sessions import ProviderSession

if TYPE_CHECKING:
    from accounting.models import Account
    from sifi.models import Organization


class BooksConnection(Protocol):
    """An organization's connection to its accounting system, as the ledger needs it."""

    @property
    def provider(self) -> Provider: ...

    @property
    def is_connected(self) -> bool:
        """Credentials are stored: sessions can be opened."""
        ...

    @property
    def attention_reason(self) -> str:
        """Why a person must act before anything is pushed ("" when nothing is wrong)."""
        ...

    @property
    def source_account(self) -> "Account | None":
        """The account that stands for the SiFi wallet: every entry's other side."""
        ...

    @property
    def input_vat_account(self) -> "Account | None":
        """Where VAT goes as a line of its own; None: not VAT-registered, booked gross."""
        ...

    @property
    def input_vat(self) -> str | None:
        """What the VAT line names in these books: the Input VAT account's external id, or,
        for books that take VAT as a tax rate (`Provider.input_vat_option`), the tax rate's
        id; None: booked gross."""
        ...

    @property
    def output_vat(self) -> str | None:
        """What a reverse-charge entry's output VAT line names: the Output VAT account's
        external id; None: none chosen (reverse charge cannot be booked)."""
        ...

    @property
    def input_vat_tax(self) -> str | None:
        """For books that book VAT through tax codes: the provider's id of the tax the input
        VAT line carries (None: none chosen, the line names its account only)."""
        ...

    @property
    def output_vat_tax(self) -> str | None:
        """Likewise for reverse charge's output VAT line."""
        ...

    @property
    def attachments_supported(self) -> bool | None:
        """Whether the books take files through the API (None: not known yet)."""
        ...

    def remember_attachments_supported(self, supported: bool) -> None: ...

    @property
    def closed_until(self) -> "datetime.date | None":
        """The last closed day of the books, as last learned (None: none known)."""
        ...

    def remember_closed_until(self, closed_until: "datetime.date | None") -> None:
        """What the books said of their closed period (read, or in a refusal)."""
        ...

    def needs_attention(self, reason: str) -> None:
        """The provider refused us: show `reason` on the connection until a person acts."""
        ...

    def entry_url(self, entry_id: str | None) -> str:
        """Where a person opens the entry in these books' own web app ("" if unknown)."""
        ...

    def open_session(self, *, max_wait: float | None = None) -> ProviderSession: ...

    def request_budget(self) -> RequestBudget | None:
        """The request budget of the provider company these books are in (None: no limit)."""
        ...


def provider_keys() -> list[str]:
    return list(settings.ACCOUNTING_PROVIDERS)


@cache
def _provider_class(dotted_path: str) -> type[Provider]:
    provider_class = import_string(dotted_path)
    if not (isinstance(provider_class, type) and issubclass(provider_class, Provider)):
        raise TypeError(f"{dotted_path} is not a Provider")
    return provider_class


def provider_for(key: str) -> Provider:
    """The registered provider `key` (KeyError if there is none)."""
    return _provider_class(settings.ACCOUNTING_PROVIDERS[key])()


def provider_names() -> str:
    """The registered providers' names, for a sentence ("A", or "A or B")."""
    names = [str(provider_for(key).name) for key in provider_keys()]
    return " or ".join(names)


def connection_for(organization: "Organization") -> BooksConnection | None:
    """The organization's connection to its accounting system, if it has one."""
    lookup: Callable[[Organization], BooksConnection | None] = import_string(
        settings.ACCOUNTING_CONNECTIONS
    )
    return lookup(organization)
