"""What can go wrong talking to Odoo, as types a caller can act on.

Each Odoo error is also one of the ledger's neutral errors (`accounting.providers`): this file
is the Odoo → neutral error mapping, so the sync engine branches on the neutral ones without
knowing Odoo. Messages are safe to show a person (never the API key); `raw_body` keeps what
Odoo answered (the exception's name and message, never its traceback), for support.

Odoo's JSON-RPC answers HTTP 200 with an `error` object whose `data.name` is the server-side
exception class; `client.py` maps it:

| Odoo raised / answered                         | here                   | neutral        |
|------------------------------------------------|------------------------|----------------|
| AccessDenied, `authenticate` → false, 401/403  | OdooAuthError          | AuthRefused    |
| AccessError (the user lacks the right)         | OdooAccessError        | AuthRefused    |
| AccessError on attachments                     | OdooAttachmentsRefused | AttachmentsUnsupported |
| UserError, ValidationError, MissingError       | OdooValidationError    | Rejected       |
| a change refused while the entry is posted     | OdooEntryPosted        | NotADraft      |

| UserError "… prior to … the lock date …"        | OdooPeriodClosed       | PeriodClosed   |
| HTTP 413 (larger than the server accepts)      | OdooTooLarge           | Rejected       |
| HTTP 429                                       | OdooRateLimited        | RateLimited    |
| HTTP 5xx, timeout, dropped connection          | OdooUnavailable        | Unavailable    |
| 404, a redirect, not a JSON-RPC answer         | OdooNotAnOdoo          | AuthRefused    |
| an address we will not call                    | OdooUnsafeAddress      | AuthRefused    |
| an older Odoo than 16                          | OdooUnsupportedVersion | ProviderError  |
| anything else (an unknown exception)           | OdooError              | ProviderError  |
"""

import datetime
import re

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


class OdooError(ProviderError):
    """Base of every error the Odoo client raises. No raw httpx error escapes the client.
    `name` is Odoo's exception class when Odoo raised one (e.g. `odoo.exceptions.UserError`)."""

    # Which part of the connection a person should fix, where we know: "url", "database",
    # "username" or "api_key" (the connect form puts the message under that field).
    field = ""

    def __init__(
        self,
        message: str,
        *,
        name: str = "",
        status_code: int | None = None,
        raw_body: str = "",
        field: str = "",
    ) -> None:
        super().__init__(message, status_code=status_code, raw_body=raw_body)
        self.name = name
        if field:
            self.field = field


class OdooAuthError(OdooError, AuthRefused):
    """Odoo refused the login and API key (wrong, revoked or expired key; wrong login or
    database). A person must act: the connection needs attention."""

    field = "api_key"


class OdooPlanRefused(OdooAuthError):
    """Odoo Online refused the external API: it is open only on the Custom plan. (Odoo
    documents no answer of its own for this; we say it for any refusal on Odoo Online.)"""


class OdooAccessError(OdooError, AuthRefused):
    """The Odoo user may not do this (its access rights): a person must give it the rights."""


class OdooAttachmentsRefused(OdooError, AttachmentsUnsupported):
    """The Odoo user may not attach files: receipts travel as links in the entry's lines."""


class OdooValidationError(OdooError, Rejected):
    """Odoo refused the content (UserError, ValidationError, MissingError). Sending it again
    cannot help."""


class OdooEntryPosted(OdooValidationError, NotADraft):
    """Odoo refused to change an entry it holds posted: a person corrects it in Odoo."""


# Odoo's "You cannot add/modify entries prior to and inclusive of the lock date 10/31/2026."
# (16/17; 18 words it "… prior to and inclusive of: …"): the date as the user's language writes
# it, read here as ISO or as en_US's month/day/year.
LOCK_DATE_REFUSAL = re.compile(r"lock date|prior to and inclusive of", re.IGNORECASE)
_ISO_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_US_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")


def lock_date_in(message: str) -> datetime.date | None:
    """The lock date an Odoo refusal names, when it can be read."""
    try:
        if found := _ISO_DATE.search(message):
            return datetime.date(int(found[1]), int(found[2]), int(found[3]))
        if found := _US_DATE.search(message):
            return datetime.date(int(found[3]), int(found[1]), int(found[2]))
    except ValueError:
        return None
    return None


class OdooPeriodClosed(OdooValidationError, PeriodClosed):
    """Odoo refused the entry: its date is on or before the company's lock date
    (`closed_until`, when the message names it)."""

    def __init__(self, message: str, *, name: str = "", raw_body: str = "") -> None:
        super().__init__(message, name=name, raw_body=raw_body)
        self.closed_until = lock_date_in(message)


class OdooTooLarge(OdooError, Rejected):
    """HTTP 413: the request (a receipt) is larger than this Odoo server accepts."""


class OdooRateLimited(OdooError, RateLimited):
    """HTTP 429 (Odoo.sh, Odoo Online or a proxy in front): wait `retry_after` seconds. The
    request was not processed."""

    def __init__(self, message: str, *, retry_after: float, raw_body: str = "") -> None:
        RateLimited.__init__(self, message, retry_after=retry_after, raw_body=raw_body)
        self.name = ""


class OdooUnsupportedVersion(OdooError):
    """An Odoo older than 16 (before `account_type`): we do not speak its chart."""

    field = "url"


class OdooUnavailable(OdooError, Unavailable):
    """5xx, timeout, dropped connection or an unreadable answer. Retryable; for a write the
    outcome is unknown (look the entry up by our reference before sending it again)."""


class OdooUnsafeAddress(OdooError, AuthRefused):
    """The instance's address now leads somewhere we do not call (not HTTPS, or a private
    network): a person must check the connection."""

    field = "url"


class OdooNotAnOdoo(OdooError, AuthRefused):
    """The address answers, but not as Odoo's external API (404, a redirect, not JSON-RPC): a
    person must check the address."""

    field = "url"
