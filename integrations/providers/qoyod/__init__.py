"""Qoyod as a provider package: the HTTP client, its typed errors (mapped onto the ledger's
neutral ones), the payload mapping, the rate limit, the provider and its sandbox.

The package is also a Django app (`apps.py`), so it is imported while the app registry loads,
before any model may be: the names below are imported on first use (PEP 562), since the
client's payloads reach the ledger's models.
"""

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from integrations.providers.qoyod.client import QoyodClient
    from integrations.providers.qoyod.errors import (
        QoyodAttachmentsUnsupported,
        QoyodAuthError,
        QoyodError,
        QoyodNotFound,
        QoyodRateLimited,
        QoyodUnavailable,
        QoyodValidationError,
    )
    from integrations.providers.qoyod.payloads import (
        AttachmentResult,
        CreatedJournalEntry,
        FoundJournalEntry,
        JournalEntryDraft,
        JournalEntryLine,
        QoyodAccount,
        QoyodVendor,
    )
    from integrations.providers.qoyod.ratelimit import limiter_for_api_key
    from integrations.ratelimit import RedisRateLimiter

__all__ = [
    "AttachmentResult",
    "CreatedJournalEntry",
    "FoundJournalEntry",
    "JournalEntryDraft",
    "JournalEntryLine",
    "QoyodAccount",
    "QoyodAttachmentsUnsupported",
    "QoyodAuthError",
    "QoyodClient",
    "QoyodError",
    "QoyodNotFound",
    "QoyodRateLimited",
    "QoyodUnavailable",
    "QoyodValidationError",
    "QoyodVendor",
    "RedisRateLimiter",
    "limiter_for_api_key",
]
_HOMES = ("client", "errors", "payloads", "ratelimit")  # where the names above are found


def __getattr__(name: str) -> Any:
    if name in __all__:
        for home in _HOMES:
            module = import_module(f"{__name__}.{home}")
            if hasattr(module, name):
                return getattr(module, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
