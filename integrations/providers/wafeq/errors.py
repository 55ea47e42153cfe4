"""What can go wrong talking to Wafeq, as types a caller can act on.

Each Wafeq error is also one of the ledger's neutral errors (`accounting.providers`): this file
is the Wafeq → neutral mapping, so the sync engine branches on the neutral ones without
knowing Wafeq. Messages are safe to show a person (never the API key) and say what to do;
`raw_body` keeps what Wafeq answered, for support.

Wafeq's own sentences are kept word for word where a person needs them: above all the closed
books refusal, "Your books up to 2022-06-30 are closed. …" (providers-api.md §3.3).
"""

import datetime
import re

from django.utils.translation import gettext as _

from accounting.providers import (
    AttachmentsUnsupported,
    AuthRefused,
    ProviderError,
    RateLimited,
    Rejected,
    Unavailable,
)

# "Your books up to 2022-06-30 are closed." — the date is the lock date, the last closed day.
BOOKS_CLOSED = re.compile(r"books up to (\d{4}-\d{2}-\d{2}) are closed", re.IGNORECASE)


class WafeqError(ProviderError):
    """Base of every error the Wafeq client raises. No raw httpx error escapes the client."""


class WafeqAuthError(WafeqError, AuthRefused):
    """401: the API key is wrong or was deleted; 403: the key may not do this. A person must
    act (the connection needs attention)."""


class WafeqRejected(WafeqError, Rejected):
    """Wafeq refused the content (400, 402, 409, 422). Sending the same request again cannot
    help. `errors` are Wafeq's sentences, `field_errors` its messages by field ("amount",
    "line_items.0.account")."""

    def __init__(
        self,
        message: str,
        *,
        errors: list[str] | None = None,
        field_errors: dict[str, list[str]] | None = None,
        status_code: int | None = 400,
        raw_body: str = "",
    ) -> None:
        super().__init__(message, status_code=status_code, raw_body=raw_body)
        self.errors = errors or []
        self.field_errors = field_errors or {}


class WafeqBooksClosed(WafeqRejected):
    """The entry's date is in a period Wafeq's books have closed: the message is Wafeq's own
    sentence, word for word; `closed_until` is the last closed day when Wafeq names it."""

    def __init__(self, sentence: str, *, status_code: int | None = 400, raw_body: str = "") -> None:
        super().__init__(sentence, errors=[sentence], status_code=status_code, raw_body=raw_body)
        found = BOOKS_CLOSED.search(sentence)
        self.closed_until = datetime.date.fromisoformat(found.group(1)) if found else None


class WafeqNotFound(WafeqRejected):
    """404: the object, or one a request names (an account, a tax rate, a file), is not in
    this Wafeq organization. A lookup by id reads it as "gone" (None)."""


class DraftNotExpressible(WafeqRejected):
    """Our entry has a shape no Wafeq object can hold, or needs a choice not made yet (an
    input VAT tax rate). Refused before anything is sent; a person acts, then retries."""

    def __init__(self, message: str) -> None:
        super().__init__(message, errors=[message], status_code=None)


class WafeqRateLimited(WafeqError, RateLimited):
    """429: Wafeq asked us to wait `retry_after` seconds. The request was not processed."""

    def __init__(self, message: str, *, retry_after: float, raw_body: str = "") -> None:
        RateLimited.__init__(self, message, retry_after=retry_after, raw_body=raw_body)


class WafeqUnavailable(WafeqError, Unavailable):
    """5xx, timeout, dropped connection, redirect or an unreadable answer. Retryable; for a
    write without an idempotency key the outcome is unknown (look it up before sending it
    again)."""


class WafeqKeyConflict(WafeqUnavailable):
    """Wafeq would not take a write because of its idempotency key: another attempt with the
    same key is still in progress, or the key was used before for a different body. Either
    way an earlier attempt may have created the entry: like any unknown outcome, look it up
    by `external_id` before sending again (never read as "nothing was created")."""


class WafeqAttachmentsUnsupported(WafeqError, AttachmentsUnsupported):
    """Wafeq has no file upload for these credentials (404/405 on `/files/`)."""


def auth_message(status: int) -> str:
    if status == 403:
        return _(
            "Wafeq refused this request: the API key may not do it. Check the key's access in "
            "Wafeq (Developer → API Keys) or create a new key, then connect again."
        )
    return _(
        "Wafeq refused this API key: it is wrong or was deleted. Create a new key in Wafeq "
        "(Developer → API Keys) and connect again."
    )


def rejected_message(reasons: list[str]) -> str:
    if not reasons:
        return _("Wafeq refused it without saying why. Check the entry in Wafeq.")
    return _("Wafeq refused it: %(reasons)s") % {"reasons": "; ".join(reasons)}


def rate_limited_message(retry_after: float) -> str:
    return _("Wafeq asked us to slow down; we try again in %(seconds)s s.") % {
        "seconds": f"{retry_after:g}"
    }


def unavailable_message(status: int) -> str:
    return _("Wafeq had a problem on its side (HTTP %(status)s); we try again later.") % {
        "status": status
    }


def key_conflict_message() -> str:
    return _(
        "Wafeq is still working on an earlier attempt of this entry, or kept another version "
        "of it; we look the entry up in Wafeq before trying again."
    )
