"""The ledger's one public interface to accounting systems: what it asks of one, and how it
finds one. Import from here (`from accounting.providers import ProviderSession`); the modules
behind it are this package's own business.

The ledger names no accounting system. It speaks to an organization's books through:
- `BooksConnection`: the organization's connection (state, Source Account, whether the
  provider takes attachments), which opens a `ProviderSession`;
- `ProviderSession`: read the chart, create a draft entry, find an entry by our reference,
  attach a document; every failure is one of the neutral errors, the only ones the
  sync engine branches on. What differs between accounting systems is declared on the
  `Provider` as capabilities (how files travel, an idempotency key, a draft that needs a
  second call); the engine asks them instead of assuming, and a session offers the methods
  its provider declares (`UploadingSession`, `RedraftingSession`);
- a registry of dotted paths (`settings.ACCOUNTING_PROVIDERS`: key → class, loaded lazily, as
  healthchecks loads its transports) and `settings.ACCOUNTING_CONNECTIONS`, the dotted path of
  the function that finds an organization's connection. Both point into the integrations
  app, which imports this package, never the reverse.

Behind it, a module per concept: `errors` (the neutral errors), `sessions` (a session and the
values that cross it), `budgets` (request budgets), `provider` (the `Provider` base, its
capabilities, `Credentials`), `registry` (`BooksConnection`, `provider_for`, `connection_for`).
"""

from accounting.providers.budgets import BudgetWindow, RequestBudget, binding_window
from accounting.providers.errors import (
    AttachmentsUnsupported,
    AuthRefused,
    NotADraft,
    PeriodClosed,
    ProviderError,
    RateLimited,
    Rejected,
    Unavailable,
)
from accounting.providers.provider import AttachmentFlow, Credentials, Provider, SecretsWriter
from accounting.providers.registry import (
    BooksConnection,
    connection_for,
    provider_for,
    provider_keys,
    provider_names,
)
from accounting.providers.sessions import (
    AttachingUploadsSession,
    AttachmentListingSession,
    AttachmentRef,
    BooksJournal,
    ChartAccount,
    EditingSession,
    EntryRef,
    HeldEntry,
    HeldLine,
    LockReadingSession,
    ProviderSession,
    RedraftingSession,
    UploadingSession,
)

__all__ = [
    "AttachingUploadsSession",
    "AttachmentFlow",
    "AttachmentListingSession",
    "AttachmentRef",
    "AttachmentsUnsupported",
    "AuthRefused",
    "BooksConnection",
    "BooksJournal",
    "BudgetWindow",
    "ChartAccount",
    "Credentials",
    "EditingSession",
    "EntryRef",
    "HeldEntry",
    "HeldLine",
    "LockReadingSession",
    "NotADraft",
    "PeriodClosed",
    "Provider",
    "ProviderError",
    "ProviderSession",
    "RateLimited",
    "RedraftingSession",
    "Rejected",
    "RequestBudget",
    "SecretsWriter",
    "Unavailable",
    "UploadingSession",
    "binding_window",
    "connection_for",
    "provider_for",
    "provider_keys",
    "provider_names",
]
