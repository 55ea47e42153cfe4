"""The neutral errors: the only failures a provider raises to the ledger, and the only ones
the sync engine branches on. A provider's own errors subclass the one they mean."""

import datetime


class ProviderError(Exception):
    """Base of every error a provider raises to the ledger. `message` is safe to show a person
    (never a key); `raw_body` keeps what the provider answered, for support."""

    retryable = False

    def __init__(self, message: str, *, status_code: int | None = None, raw_body: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.status_code = status_code
        self.raw_body = raw_body[:2000]


class AuthRefused(ProviderError):
    """The provider refused our credentials: the connection needs a person, pushes stop."""


class Rejected(ProviderError):
    """The provider refused the content, with its own message. Sending it again cannot help.
    `errors` are the provider's sentences, `field_errors` its messages by field."""

    def __init__(
        self,
        message: str,
        *,
        errors: list[str] | None = None,
        field_errors: dict[str, list[str]] | None = None,
        status_code: int | None = None,
        raw_body: str = "",
    ) -> None:
        super().__init__(message, status_code=status_code, raw_body=raw_body)
        self.errors = errors or []
        self.field_errors = field_errors or {}


class NotADraft(Rejected):
    """The books hold the entry posted (or published, approved): it cannot be changed through
    the API any more; a person corrects it in the books."""


class PeriodClosed(Rejected):
    """The books are closed on the entry's date (a lock date, a transaction lock, closed
    books): nothing was created. `closed_until` is the last closed day when the provider says
    it (None: it did not); the engine may book the entry on the day after it."""

    closed_until: datetime.date | None = None

    def __init__(
        self,
        message: str,
        *,
        closed_until: datetime.date | None = None,
        errors: list[str] | None = None,
        field_errors: dict[str, list[str]] | None = None,
        status_code: int | None = None,
        raw_body: str = "",
    ) -> None:
        super().__init__(
            message,
            errors=errors,
            field_errors=field_errors,
            status_code=status_code,
            raw_body=raw_body,
        )
        self.closed_until = closed_until


class Unavailable(ProviderError):
    """Server error, timeout, dropped connection, unreadable answer. Retryable; for a write
    the outcome is unknown (look the entry up before sending it again)."""

    retryable = True


class RateLimited(ProviderError):
    """The provider asked us to wait `retry_after` seconds; the request was not processed.

    `window` names the window of the company's request budget the provider said is spent
    ("day": a daily quota used up); None: the first (shortest) one, as for a plain 429."""

    retryable = True

    def __init__(
        self, message: str, *, retry_after: float, raw_body: str = "", window: str | None = None
    ) -> None:
        super().__init__(message, status_code=429, raw_body=raw_body)
        self.retry_after = retry_after
        self.window = window


class AttachmentsUnsupported(ProviderError):
    """This company's books take no files through the API: receipts travel as links."""
