"""Qoyod as a provider package: the HTTP client, its typed errors (mapped onto the ledger's
neutral ones), the payload mapping, the rate limit, the provider and its sandbox."""

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
