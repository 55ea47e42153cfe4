"""What can go wrong talking to Wafeq, as types a caller can act on.

Each Wafeq error is also one of the ledger's neutral errors (`accounting.providers`): this file
is the Wafeq → neutral mapping, so the sync engine branches on the neutral ones without
knowing Wafeq. Messages are safe to show a person (never the API key) and say what to do;
`raw_body` keeps what Wafeq answered, for support.

Wafeq's own sentences are kept word for word where a person needs them: above all the closed
books refusal, "Your books up to 2022-06-30 are closed. …" (providers-api.md §3.3).
`refusal_from` reads a refusal's body, whichever of Django REST framework's shapes it has.
"""

import datetime
import re
from typing import Any

import httpx
from django.utils.translation import gettext as _

from accounting.providers import (
    AttachmentsUnsupported,
    AuthRefused,
    NotADraft,
    PeriodClosed,
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


class WafeqBooksClosed(WafeqRejected, PeriodClosed):
    """The entry's date is in a period Wafeq's books have closed: the message is Wafeq's own
    sentence, word for word; `closed_until` is the last closed day when Wafeq names it."""

    def __init__(self, sentence: str, *, status_code: int | None = 400, raw_body: str = "") -> None:
        super().__init__(sentence, errors=[sentence], status_code=status_code, raw_body=raw_body)
        found = BOOKS_CLOSED.search(sentence)
        self.closed_until = datetime.date.fromisoformat(found.group(1)) if found else None


class WafeqNotFound(WafeqRejected):
    """404: the object, or one a request names (an account, a tax rate, a file), is not in
    this Wafeq organization. A lookup by id reads it as "gone" (None)."""


class WafeqEntryPosted(WafeqRejected, NotADraft):
    """Wafeq holds the entry posted (an expense marked as posted, or a manual journal, which
    Wafeq posts at once): it is not changed through the API; a person corrects it there."""


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


# --- reading a refusal ---------------------------------------------------------------------


def _messages(body: Any) -> tuple[list[str], dict[str, list[str]]]:
    """Wafeq's refusal in sentences and field messages, whatever its shape: `{"detail": …}`,
    Django REST framework's `{"amount": ["…"], "line_items": [{"account": ["…"]}]}`, or
    `{"errors": [{"code", "detail", "attr"}]}` (the shape of its documented 403 body). Field
    paths are dotted: "line_items.0.account"."""
    errors: list[str] = []
    fields: dict[str, list[str]] = {}

    def add(where: str, message: str) -> None:
        if where in ("", "detail", "non_field_errors"):
            errors.append(message)
        else:
            fields.setdefault(where, []).append(message)

    def walk(item: Any, where: str) -> None:
        if isinstance(item, dict):
            if "detail" in item and ("attr" in item or "code" in item):  # one error of a list
                add(str(item.get("attr") or ""), str(item["detail"]))
                return
            envelope = "errors" in item
            for key, each in item.items():
                if envelope and key in ("type", "code"):
                    continue
                walk(each, where if envelope and key == "errors" else _join(where, str(key)))
        elif isinstance(item, list):
            for index, each in enumerate(item):
                walk(each, _join(where, str(index)) if isinstance(each, dict) and where else where)
        elif item is not None and str(item):
            add(where, str(item))

    walk(body, "")
    return errors, fields


def _join(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key


def refusal_from(response: httpx.Response) -> WafeqRejected:
    """A refusal (400, 402, 404, 405, 409, 422) as our typed error, Wafeq's words kept: the closed
    books sentence as it is, a 404 as not found."""
    try:
        body: Any = response.json() if response.content else None
    except ValueError:
        body = None
    errors, fields = _messages(body)
    status = response.status_code
    for sentence in [*errors, *(m for messages in fields.values() for m in messages)]:
        if BOOKS_CLOSED.search(sentence):
            return WafeqBooksClosed(sentence, status_code=status, raw_body=response.text)
    reasons = [*errors, *(f"{field}: {', '.join(msgs)}" for field, msgs in fields.items())]
    error_type = WafeqNotFound if status == 404 else WafeqRejected
    return error_type(
        rejected_message(reasons),
        errors=errors,
        field_errors=fields,
        status_code=status,
        raw_body=response.text,
    )


def about_the_key(refusal: WafeqRejected) -> bool:
    """Whether Wafeq refused a keyed write for its key rather than its content: a 409 (the
    usual answer to a key still in use), or a refusal that talks about the key. Which status
    Wafeq uses is not documented; an invalid key never leaves the client (`_key_header`)."""
    if isinstance(refusal, WafeqBooksClosed | WafeqNotFound):
        return False
    words = " ".join([*refusal.errors, *refusal.field_errors, refusal.raw_body]).lower()
    return refusal.status_code == 409 or "idempoten" in words
