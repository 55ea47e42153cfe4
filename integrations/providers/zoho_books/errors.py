"""What can go wrong talking to Zoho Books, as types a caller can act on.

Each error is also one of the ledger's neutral errors (`accounting.providers`), so the sync
engine branches on the neutral ones without knowing Zoho. Every error carries Zoho's own
`code` (the body's `code`; None where Zoho sent none) and a message a person can act on,
never a token; `raw_body` keeps what Zoho answered, for support.

Zoho answers `{"code": <int>, "message": "…"}` with any HTTP status (0 = success), so the
mapping in `error_for` branches on the code first and on the status second. Codes that Zoho
documents or that field clients agree on (providers-api.md §2.6): 57 and 14 (the access token
is refused), 44/45/1070 (the per-minute, daily and concurrency limits), 1002 (does not exist),
1000 (internal error). Zoho publishes no code for a locked period, an inactive account or an
unknown organization: those are recognised by the words of Zoho's message (see
docs/zoho-books-client.md).
"""

import datetime
import re

from django.utils.translation import gettext as _

from accounting.providers import (
    AuthRefused,
    NotADraft,
    PeriodClosed,
    ProviderError,
    RateLimited,
    Rejected,
    Unavailable,
)

# Zoho's body codes (providers-api.md §2.6).
NOT_AUTHORIZED = 57  # HTTP 401: expired/invalid access token, or a scope we lack
INVALID_AUTHTOKEN = 14  # invalid access token (seen with HTTP 401 and with HTTP 200)
TOKEN_CODES = frozenset({NOT_AUTHORIZED, INVALID_AUTHTOKEN})
MINUTE_LIMIT = 44  # more than 100 requests in a minute for the organization
DAILY_QUOTA = 45  # the organization's daily quota (by plan) is spent
IN_PROCESS_LIMIT = 1070  # too many requests in flight at once for the organization
DOES_NOT_EXIST = 1002
INTERNAL_ERROR = 1000

# How long a code-44 block lasts is not documented: wait for the minute.
MINUTE_LIMIT_SECONDS = 60.0
# Too many requests in flight: a few seconds frees a slot.
IN_PROCESS_WAIT_SECONDS = 5.0
# Spent daily quota: when Zoho resets it is not documented; ask again this often (the
# provider passes settings.ZOHO_QUOTA_PROBE_SECONDS, SPEC §3a).
DEFAULT_QUOTA_PROBE_SECONDS = 900.0

DAY_WINDOW = "day"
# Zoho blocks a refresh token that minted 10 access tokens for the rest of its 10 minutes.
REFRESH_BLOCK_SECONDS = 600.0


class ZohoBooksError(ProviderError):
    """Base of every error the Zoho Books clients raise. No raw httpx error escapes them."""

    code: int | None = None

    def __init__(
        self,
        message: str,
        *,
        code: int | None = None,
        status_code: int | None = None,
        raw_body: str = "",
    ) -> None:
        ProviderError.__init__(self, message, status_code=status_code, raw_body=raw_body)
        self.code = code


class ZohoBooksAuthError(ZohoBooksError, AuthRefused):
    """Zoho refused our access: a person must act (reconnect, or give the Zoho user the
    permission). The connection needs attention; pushes stop."""


class ZohoBooksTokenRejected(ZohoBooksAuthError):
    """HTTP 401 with code 57 or 14: the access token expired or is not valid. The client asks
    its token source for a fresh one and sends the request again, once; refused again, the
    error stands (then it is most likely a permission the grant lacks)."""


class ZohoBooksRefreshRefused(ZohoBooksAuthError):
    """Zoho's accounts server refused the refresh token (`invalid_code`: revoked, expired, or
    evicted by newer grants) or our app (`invalid_client`): only reconnecting helps."""


class ZohoBooksOrganizationNotFound(ZohoBooksAuthError):
    """Zoho no longer finds the organization we send (deleted, or this Zoho user left it)."""


class ZohoBooksRateLimited(ZohoBooksError, RateLimited):
    """HTTP 429 (or a limit code): Zoho asked us to wait; the request was not processed.
    `window` says which window of the organization's budget is spent (None: the minute)."""

    def __init__(
        self,
        message: str,
        *,
        retry_after: float,
        code: int | None = None,
        window: str | None = None,
        raw_body: str = "",
    ) -> None:
        RateLimited.__init__(
            self, message, retry_after=retry_after, raw_body=raw_body, window=window
        )
        self.code = code


class ZohoBooksMinuteLimit(ZohoBooksRateLimited):
    """Code 44: more than 100 requests in a minute for this organization; wait the minute."""


class ZohoBooksDailyQuotaSpent(ZohoBooksRateLimited):
    """Code 45: the organization's daily API quota is spent. The day window waits; the sync
    engine defers this organization's work and probes again later."""


class ZohoBooksTooManyInFlight(ZohoBooksRateLimited):
    """Code 1070: too many requests in flight at once for this organization; a few seconds."""


class ZohoBooksRejected(ZohoBooksError, Rejected):
    """Zoho refused the content, with its own message. Sending it again cannot help."""


class ZohoBooksPeriodLocked(ZohoBooksRejected, PeriodClosed):
    """The entry is dated in a period Zoho's transaction lock closes; `closed_until` is the
    last closed day when Zoho's message names the lock date in a way we can read. Zoho
    publishes no code or wording for it (providers-api.md §2.8, Unknown): any refusal speaking
    of a lock is one. Zoho's help says transactions dated *before* the lock date are locked;
    the sandbox says "on or before" (then the lock date itself is closed)."""


_ISO_DAY = re.compile(r"\b(\d{4}-\d{2}-\d{2})\b")
_NAMED_DAY = re.compile(r"\b(\d{1,2} [A-Z][a-z]{2} \d{4})\b")
_SLASHED_DAY = re.compile(r"\b(\d{1,2})/(\d{1,2})/(\d{4})\b")


def _day_in(text: str) -> datetime.date | None:
    if found := _ISO_DAY.search(text):
        return datetime.date.fromisoformat(found.group(1))
    if found := _NAMED_DAY.search(text):
        return datetime.datetime.strptime(found.group(1), "%d %b %Y").date()
    if found := _SLASHED_DAY.search(text):
        first, second, year = (int(part) for part in found.groups())
        if first > 12:  # dd/MM/yyyy
            return datetime.date(year, second, first)
        if second > 12:  # MM/dd/yyyy
            return datetime.date(year, first, second)
    return None  # 03/04/2026: the organization's format decides; we do not guess


def lock_date_in(text: str) -> datetime.date | None:
    """The last closed day a Zoho refusal names, when it is written in a way we can read:
    the lock date, or the day before it when Zoho says "before" (not "on or before")."""
    try:
        day = _day_in(text)
    except ValueError:
        return None
    before = re.search(r"\bbefore\b", text, re.IGNORECASE)
    if day is not None and before and not re.search(r"\bon or before\b", text, re.IGNORECASE):
        return day - datetime.timedelta(days=1)
    return day


class ZohoBooksAccountInactive(ZohoBooksRejected):
    """A line uses an account that is inactive in Zoho Books."""


class ZohoBooksJournalPublished(ZohoBooksRejected, NotADraft):
    """Zoho refused to change a journal it holds published: a person corrects it there."""


class ZohoBooksNotFound(ZohoBooksError):
    """Code 1002 or HTTP 404: the object (a journal) does not exist."""


class ZohoBooksUnavailable(ZohoBooksError, Unavailable):
    """5xx, code 1000, timeout, dropped connection, redirect or an unreadable answer.
    Retryable; for a write the outcome is unknown (look the journal up before sending again)."""


def _zoho_says(message: str) -> str:
    return message.strip().rstrip(".") if message else ""


def _locked(text: str) -> bool:
    # "transaction lock", "locked", "lock date"; not "blocked"
    return re.search(r"\block", text) is not None


def _inactive_account(text: str) -> bool:
    return "inactive" in text and "account" in text


def _unknown_organization(text: str) -> bool:
    # "Invalid value passed for organization_id", "This organization does not exist", …; not a
    # validation message that only mentions the organization ("invalid currency for this
    # organization"), which would stop every push.
    if "organization_id" in text:
        return True
    return "organization" in text and any(
        words in text for words in ("not exist", "not found", "not associated", "no longer")
    )


def error_for(
    *,
    status: int,
    code: int | None,
    message: str,
    raw_body: str,
    retry_after: float | None = None,
    quota_probe_seconds: float = DEFAULT_QUOTA_PROBE_SECONDS,
) -> ZohoBooksError:
    """The typed error an answer of Zoho Books means (it is not a success). `message` is
    Zoho's; `retry_after` what a Retry-After header said, if any."""
    says = _zoho_says(message)
    text = says.lower()
    if code == DAILY_QUOTA:
        return ZohoBooksDailyQuotaSpent(
            _(
                "Zoho's daily API limit for this organization is used up (code 45); "
                "SiFi tries again later without sending anything twice."
            ),
            retry_after=quota_probe_seconds,
            window=DAY_WINDOW,
            code=code,
            raw_body=raw_body,
        )
    if code == MINUTE_LIMIT:
        return ZohoBooksMinuteLimit(
            _(
                "Zoho Books allows 100 requests a minute for an organization (code 44); "
                "SiFi waits a minute and goes on."
            ),
            retry_after=max(MINUTE_LIMIT_SECONDS, retry_after or 0.0),
            code=code,
            raw_body=raw_body,
        )
    if code == IN_PROCESS_LIMIT:
        return ZohoBooksTooManyInFlight(
            _("Zoho Books has too many requests in progress for this organization (code 1070)."),
            retry_after=max(IN_PROCESS_WAIT_SECONDS, retry_after or 0.0),
            code=code,
            raw_body=raw_body,
        )
    if status == 429:
        return ZohoBooksRateLimited(
            _("Zoho Books asked SiFi to slow down."),
            retry_after=retry_after if retry_after is not None else MINUTE_LIMIT_SECONDS,
            code=code,
            raw_body=raw_body,
        )
    # A token refused comes as HTTP 401 (code 14 also with HTTP 200); a 403 is a permission.
    if code in TOKEN_CODES and status != 403:
        return ZohoBooksTokenRejected(
            _(
                "Zoho Books refused SiFi's access (code %(code)s). Reconnect Zoho Books; if "
                "it goes on, check that the Zoho user may use Accountant and Settings."
            )
            % {"code": code},
            status_code=status,
            code=code,
            raw_body=raw_body,
        )
    if _unknown_organization(text) and status != 500:
        return ZohoBooksOrganizationNotFound(
            _(
                "Zoho Books no longer finds the connected organization (%(zoho)s). Reconnect "
                "Zoho Books and choose the organization again."
            )
            % {"zoho": says},
            status_code=status,
            code=code,
            raw_body=raw_body,
        )
    if status in (401, 403):
        return ZohoBooksAuthError(
            _(
                "Zoho Books refused SiFi's access (HTTP %(status)s: %(zoho)s). Reconnect Zoho "
                "Books with a user who may create journals."
            )
            % {"status": status, "zoho": says or _("no reason given")},
            status_code=status,
            code=code,
            raw_body=raw_body,
        )
    if status >= 500 or code == INTERNAL_ERROR:
        return ZohoBooksUnavailable(
            _("Zoho Books had a problem on its side (HTTP %(status)s); SiFi tries again later.")
            % {"status": status},
            status_code=status,
            code=code,
            raw_body=raw_body,
        )
    if status == 404 or code == DOES_NOT_EXIST:
        return ZohoBooksNotFound(
            _("Zoho Books did not find it (%(zoho)s).") % {"zoho": says or _("not found")},
            status_code=status,
            code=code,
            raw_body=raw_body,
        )
    if _locked(text):
        locked = ZohoBooksPeriodLocked(
            _(
                "Zoho Books refused the journal: its date is in a locked period (%(zoho)s). "
                "Unlock the period in Zoho Books (Settings → Transaction Locking) or change "
                "the transaction's date, then sync again."
            )
            % {"zoho": says},
            status_code=status,
            code=code,
            raw_body=raw_body,
        )
        locked.closed_until = lock_date_in(says)
        return locked
    if _inactive_account(text):
        return ZohoBooksAccountInactive(
            _(
                "Zoho Books refused the journal: an account on it is inactive (%(zoho)s). "
                "Activate the account in Zoho Books or choose another one, then sync again."
            )
            % {"zoho": says},
            status_code=status,
            code=code,
            raw_body=raw_body,
        )
    return ZohoBooksRejected(
        _("Zoho Books refused it: %(zoho)s (code %(code)s).")
        % {"zoho": says or _("no reason given"), "code": code if code is not None else "-"},
        status_code=status,
        code=code,
        raw_body=raw_body,
    )


def accounts_error(
    error: str, *, description: str = "", status: int, raw_body: str
) -> ZohoBooksError:
    """The typed error of a Zoho accounts-server answer `{"error": "<error>"}` (it comes with
    HTTP 200 as often as not). `invalid_code` on a refresh: the refresh token is revoked,
    expired or evicted (a user keeps at most 20); `invalid_client`: our app's id or secret, or
    its data centre not enabled. Too many refreshes (Zoho allows 10 in 10 minutes) waits."""
    if "too many" in description.lower():
        return ZohoBooksRateLimited(
            _("Zoho refused to renew SiFi's access token so often; SiFi waits and tries again."),
            retry_after=REFRESH_BLOCK_SECONDS,
            raw_body=raw_body,
        )
    if error in ("invalid_code", "invalid_client", "invalid_grant", "unauthorized_client"):
        return ZohoBooksRefreshRefused(
            _(
                "Zoho refused SiFi's saved authorization (%(error)s): it was revoked, expired, "
                "or replaced by newer ones. Reconnect Zoho Books."
            )
            % {"error": error},
            status_code=status,
            raw_body=raw_body,
        )
    return ZohoBooksUnavailable(
        _("Zoho's accounts server answered an error (%(error)s); SiFi tries again later.")
        % {"error": error},
        status_code=status,
        raw_body=raw_body,
    )
