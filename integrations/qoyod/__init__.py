"""The Qoyod client package: HTTP, typed results, typed errors, the shared rate limiter."""

from integrations.qoyod.client import QoyodClient
from integrations.qoyod.errors import (
    QoyodAttachmentsUnsupported,
    QoyodAuthError,
    QoyodError,
    QoyodNotFound,
    QoyodRateLimited,
    QoyodUnavailable,
    QoyodValidationError,
)
from integrations.qoyod.ratelimit import RedisRateLimiter, limiter_for_api_key
from integrations.qoyod.schemas import (
    AttachmentResult,
    CreatedJournalEntry,
    FoundJournalEntry,
    JournalEntryDraft,
    JournalEntryLine,
    QoyodAccount,
    QoyodVendor,
)

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
