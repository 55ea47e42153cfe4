"""What can go wrong talking to Qoyod, as types a caller can act on.

Each Qoyod error is also one of the ledger's neutral errors (`accounting.providers`): this
file is the Qoyod → neutral error mapping, so the sync engine branches on the neutral ones
without knowing Qoyod. Messages are safe to show a person (they never contain the API key);
`raw_body` keeps what Qoyod answered, for support.

A closed period: qoyod-api.md documents no refusal for it (Unknown). We assume a 422 whose
message names the date as closed ("date: is in a closed period: the books are closed up to
2026-10-31", the sandbox's wording) and read the day from it when it is written ISO.
"""

import datetime
import re

from accounting.providers import (
    AttachmentsUnsupported,
    AuthRefused,
    PeriodClosed,
    ProviderError,
    RateLimited,
    Rejected,
    Unavailable,
)


class QoyodError(ProviderError):
    """Base of every error the Qoyod client raises. No raw httpx error escapes the client."""


class QoyodAuthError(QoyodError, AuthRefused):
    """401/403: the key is wrong, was not saved in Qoyod, was regenerated, or is another
    company's. A person must act (the connection needs attention)."""


class QoyodNotFound(QoyodError):
    """404 for a specific object."""


class QoyodValidationError(QoyodError, Rejected):
    """422 (or 400): Qoyod refused the content. Retrying the same request cannot help."""


class QoyodPeriodClosed(QoyodValidationError, PeriodClosed):
    """Qoyod refused the entry: its date is in a closed period (`closed_until` when named)."""


CLOSED_PERIOD = re.compile(r"closed|locked|lock date", re.IGNORECASE)
_ISO_DAY = re.compile(r"\b(\d{4}-\d{2}-\d{2})\b")


def closed_until_in(text: str) -> datetime.date | None:
    found = _ISO_DAY.search(text)
    try:
        return datetime.date.fromisoformat(found.group(1)) if found else None
    except ValueError:
        return None


class QoyodRateLimited(QoyodError, RateLimited):
    """429: Qoyod asked us to wait `retry_after` seconds. The request was not processed."""

    def __init__(self, message: str, *, retry_after: float, raw_body: str = "") -> None:
        RateLimited.__init__(self, message, retry_after=retry_after, raw_body=raw_body)


class QoyodUnavailable(QoyodError, Unavailable):
    """5xx, timeout, dropped connection, redirect or an unreadable answer. Retryable; for a
    write the outcome is unknown (reconcile before sending it again)."""


class QoyodAttachmentsUnsupported(QoyodError, AttachmentsUnsupported):
    """This Qoyod tenant has no attachment endpoint (404/405 on it)."""
