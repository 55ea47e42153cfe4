"""The Zoho Books HTTP clients: everything we say to Zoho goes through here.

`ZohoBooksClient` speaks to one Zoho organization's books (`<api_domain>/books/v3`,
`organization_id` on every call, `Authorization: Zoho-oauthtoken <access token>`);
`ZohoAccountsClient` to a Zoho accounts server (the refresh of an access token). They know
Zoho's paths and shapes, nothing of our models; the HTTP promises (the organization's budget,
bounded retries, writes never re-sent after an unknown outcome, no redirects, typed errors,
nothing secret logged) are `ApiClient`'s.

Zoho answers `{"code": 0, …}` on success and `{"code": <n>, "message": "…"}` otherwise, with
any HTTP status — an error may come as HTTP 200 —, so every answer is read by its body's code
(`errors.error_for`); an accounts server answers `{"error": "…"}`, also with HTTP 200.

Tokens: the client holds no refresh token. It asks a `TokenSource` (the provider's, with the
access token cached for every worker) for the access token, and, when Zoho refuses it (HTTP 401
with code 57 or 14), for a fresh one, once; the request is then sent again, once.
"""

import datetime
import ipaddress
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import httpx
from django.utils.translation import gettext as _

from accounting.providers import AuthRefused
from integrations.http_client import ApiClient, ErrorTypes, RequestLimiter, retry_after_seconds
from integrations.providers.zoho_books.errors import (
    DEFAULT_QUOTA_PROBE_SECONDS,
    ZohoBooksAuthError,
    ZohoBooksError,
    ZohoBooksNotFound,
    ZohoBooksRateLimited,
    ZohoBooksTokenRejected,
    ZohoBooksUnavailable,
    accounts_error,
    error_for,
)

API_PATH = "/books/v3"
PAGE_SIZE = 200  # Zoho's largest page
MAX_PAGES = 500  # 100,000 rows: a loop guard, not a limit anyone meets
DEFAULT_TIMEOUT_SECONDS = 30.0
# A Zoho id in a path: digits in practice; nothing that could leave the path.
_ID = re.compile(r"^[0-9A-Za-z_-]{1,64}$")


class TokenSource(Protocol):
    """Where a client gets the organization's access token. The provider implements it (the
    token cached in Redis for its hour and shared by every worker; a refresh made by one
    worker at a time, at most 10 in 10 minutes); tests use a fake."""

    def access_token(self) -> str:
        """The current access token (minted from the refresh token if none is cached)."""
        ...

    def renew(self, *, refused: str) -> str:
        """A fresh access token in place of `refused`, which Zoho refused. If another worker
        already replaced `refused`, its token, without asking Zoho again. Raises
        `ZohoBooksRefreshRefused` when Zoho refuses the refresh token (reconnect)."""
        ...


def base_url_for(api_domain: str) -> str:
    """`<api_domain>/books/v3` from the `api_domain` Zoho gave with the token
    ("https://www.zohoapis.sa"). HTTPS only (plain HTTP only to this machine: a sandbox), and
    nothing but scheme and host, so the token never travels in clear or to a path we did not
    choose."""
    url = httpx.URL(api_domain.strip().rstrip("/"))
    local = url.host in ("localhost", "testserver") or _is_loopback(url.host)
    if not url.host or url.scheme not in ("https", "http") or (url.scheme == "http" and not local):
        raise ValueError(f"not an API domain Zoho would give: {api_domain!r}")
    if url.path not in ("", "/") or url.query or url.userinfo:
        raise ValueError(f"an API domain is a scheme and a host only: {api_domain!r}")
    return f"{url.scheme}://{url.netloc.decode()}{API_PATH}"


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _path_id(value: str) -> str:
    if not _ID.match(value):
        raise ZohoBooksNotFound(_("This is not a Zoho Books id."), code=None)
    return value


def _as_int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _id_order(row: dict[str, Any]) -> tuple[int, str]:
    """Zoho's ids grow with creation: the oldest first (numerically; strings of digits)."""
    journal_id = str(row.get("journal_id") or "")
    return (int(journal_id), journal_id) if journal_id.isdigit() else (0, journal_id)


class _ZohoAnswers(ApiClient):
    """What both Zoho clients share: answers read by their body's code."""

    quota_probe_seconds: float = DEFAULT_QUOTA_PROBE_SECONDS

    def read_answer(self, response: httpx.Response) -> Any:
        status = response.status_code
        if 300 <= status < 400:
            return super().read_answer(response)  # not followed: the token stays here
        body = self._json_object(response)
        retry_after = retry_after_seconds(response) if "Retry-After" in response.headers else None
        if body is None:
            if 200 <= status < 300:
                return super().read_answer(response)  # empty, or not JSON: Unavailable
            raise error_for(
                status=status,
                code=None,
                message="",
                raw_body=response.text,
                retry_after=retry_after,
                quota_probe_seconds=self.quota_probe_seconds,
            )
        if "error" in body and "code" not in body:
            raise accounts_error(
                str(body.get("error")),
                description=str(body.get("error_description") or ""),
                status=status,
                raw_body=response.text,
            )
        code = _as_int(body.get("code"))
        if 200 <= status < 300 and (code == 0 or "code" not in body):
            return body
        raise error_for(
            status=status,
            code=code,
            message=str(body.get("message") or ""),
            raw_body=response.text,
            retry_after=retry_after,
            quota_probe_seconds=self.quota_probe_seconds,
        )

    @staticmethod
    def _json_object(response: httpx.Response) -> dict[str, Any] | None:
        if not response.content:
            return None
        try:
            body = response.json()
        except ValueError:
            return None
        return body if isinstance(body, dict) else None


class ZohoBooksClient(_ZohoAnswers):
    """A connection to one Zoho organization's books. Use as a context manager.

    `organization_id` goes on every call but the organization list (which, given one, would
    list only that one). Ids are strings."""

    name = "Zoho Books"
    errors = ErrorTypes(
        base=ZohoBooksError,
        unavailable=ZohoBooksUnavailable,
        rate_limited=ZohoBooksRateLimited,
        auth_refused=ZohoBooksAuthError,
    )

    def __init__(
        self,
        *,
        api_domain: str,
        token_source: TokenSource,
        organization_id: str | None = None,
        timeout: float = DEFAULT_TIMEOUT_SECONDS,
        rate_limiter: RequestLimiter | None = None,
        max_retries: int = 3,
        retry_base_seconds: float = 0.5,
        quota_probe_seconds: float = DEFAULT_QUOTA_PROBE_SECONDS,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        super().__init__(
            base_url_for(api_domain),
            timeout=timeout,
            rate_limiter=rate_limiter,
            max_retries=max_retries,
            transport=transport,
        )
        self.organization_id = organization_id
        self.token_source = token_source
        self.quota_probe_seconds = quota_probe_seconds
        self._retry_base_seconds = retry_base_seconds
        self._access_token: str | None = None
        self._refused_tokens: list[str] = []

    # --- what we use ------------------------------------------------------------------------

    def list_organizations(self) -> list[dict[str, Any]]:
        """The organizations the grant reaches (`GET /organizations`; no organization_id)."""
        body = self.request("GET", "organizations")
        rows = body.get("organizations") if isinstance(body, dict) else None
        return [row for row in rows or [] if isinstance(row, dict)]

    def chart_of_accounts(self) -> list[dict[str, Any]]:
        """Every account, active or not (`GET /chartofaccounts`, all pages of 200)."""
        return list(
            self._pages("chartofaccounts", "chartofaccounts", {"filter_by": "AccountType.All"})
        )

    def taxes(self) -> list[dict[str, Any]]:
        """The organization's taxes (`GET /settings/taxes`, scope ZohoBooks.settings.READ)."""
        body = self.request("GET", "settings/taxes", params=self._org())
        rows = body.get("taxes") if isinstance(body, dict) else None
        return [row for row in rows or [] if isinstance(row, dict)]

    def create_journal(self, payload: Mapping[str, Any]) -> dict[str, Any]:
        """Create a journal (`POST /journals`); the journal Zoho answers with.

        Never re-sent after an unknown outcome: ZohoBooksUnavailable means "maybe created",
        and the caller looks it up (`find_journals`) before sending it again."""
        body = self.request("POST", "journals", params=self._org(), json=dict(payload))
        journal = body.get("journal") if isinstance(body, dict) else None
        if not isinstance(journal, dict) or not journal.get("journal_id"):
            raise ZohoBooksUnavailable(
                _("Zoho Books accepted the journal but did not say its id."),
                status_code=None,
                raw_body=str(body)[:2000],
            )
        journal["journal_id"] = str(journal["journal_id"])
        return journal

    def update_journal(self, journal_id: str, payload: Mapping[str, Any]) -> dict[str, Any]:
        """Replace a journal (`PUT /journals/{id}`: the whole line set, `journal_date`
        required); the journal Zoho answers with. Never re-sent after an unknown outcome:
        ZohoBooksUnavailable means "maybe updated", and the caller reads the journal
        (`get_journal`) before sending it again."""
        body = self.request(
            "PUT",
            f"journals/{_path_id(journal_id)}",
            params=self._org(),
            json=dict(payload),
            idempotent=False,
            label=f"PUT /journals/{journal_id}",
        )
        journal = body.get("journal") if isinstance(body, dict) else None
        return journal if isinstance(journal, dict) else {}

    def find_journals(self, reference_number: str) -> list[dict[str, Any]]:
        """The journals whose `reference_number` is exactly ours, oldest first. Every row
        Zoho returns is checked: a filter it ignored, or matched loosely, finds nothing."""
        rows = self._pages("journals", "journals", {"reference_number": reference_number})
        matches = [
            row for row in rows if str(row.get("reference_number") or "") == reference_number
        ]
        return sorted(matches, key=_id_order)

    def get_journal(self, journal_id: str) -> dict[str, Any] | None:
        """One journal with its status and lines (`GET /journals/{id}`); None if Zoho has
        no such journal (deleted, or not an id of this organization)."""
        try:
            body = self.request("GET", f"journals/{_path_id(journal_id)}", params=self._org())
        except ZohoBooksNotFound:
            return None
        journal = body.get("journal") if isinstance(body, dict) else None
        return journal if isinstance(journal, dict) and journal.get("journal_id") else None

    def list_journals(
        self, date_start: datetime.date, date_end: datetime.date
    ) -> list[dict[str, Any]]:
        """Every journal dated in the range, inclusive (all pages; rows without lines or
        status: `get_journal` has those)."""
        params = {"date_start": date_start.isoformat(), "date_end": date_end.isoformat()}
        return sorted(self._pages("journals", "journals", params), key=_id_order)

    def attach_to_journal(
        self, journal_id: str, *, filename: str, content: bytes, content_type: str
    ) -> dict[str, Any]:
        """Attach one file to a journal (`POST /journals/{id}/attachment`, multipart part
        `attachment`). Zoho answers no attachment id."""
        body = self.request(
            "POST",
            f"journals/{_path_id(journal_id)}/attachment",
            params=self._org(),
            files={"attachment": (filename, content, content_type)},
            label=f"POST /journals/{journal_id}/attachment",
        )
        return body if isinstance(body, dict) else {}

    # --- hooks ------------------------------------------------------------------------------

    def read_answer(self, response: httpx.Response) -> Any:
        """Zoho's answer; any answer but a limit (or a failure on its side) tells the budget
        Zoho is answering this organization again (after a spent daily quota: the probe)."""
        try:
            answer = super().read_answer(response)
        except (ZohoBooksRateLimited, ZohoBooksUnavailable):
            raise
        except ZohoBooksError:
            self._zoho_answered()
            raise
        self._zoho_answered()
        return answer

    def _zoho_answered(self) -> None:
        answered = getattr(self.rate_limiter, "answered", None)
        if answered is not None:
            answered()

    def auth_headers(self) -> dict[str, str]:
        if self._access_token is None:
            self._access_token = self.token_source.access_token()
        return {"Authorization": f"Zoho-oauthtoken {self._access_token}"}

    def secrets(self) -> list[str]:
        tokens = [*self._refused_tokens, self._access_token or ""]
        return [token for token in tokens if token]

    def refresh_credentials(self, refusal: AuthRefused) -> bool:
        """Zoho refused the access token (401, code 57 or 14): one fresh one from the token
        source. Any other refusal stands (a permission, an organization gone)."""
        if not isinstance(refusal, ZohoBooksTokenRejected) or self._access_token is None:
            return False
        refused = self._access_token
        fresh = self.token_source.renew(refused=refused)
        if not fresh or fresh == refused:
            return False
        self._refused_tokens.append(refused)
        self._access_token = fresh
        return True

    @property
    def retry_base_seconds(self) -> float:
        return self._retry_base_seconds

    # --- plumbing ---------------------------------------------------------------------------

    def _org(self) -> dict[str, str]:
        if not self.organization_id:
            raise ValueError("this call needs the Zoho organization (organization_id)")
        return {"organization_id": self.organization_id}

    def _pages(self, path: str, key: str, params: Mapping[str, str]) -> Iterator[dict[str, Any]]:
        """Every row of a list, page after page of 200 while Zoho says `has_more_page` (a list
        that sends no `page_context`: while a page is full). A page that repeats the previous
        one ends the loop."""
        previous: list[Any] | None = None
        for page in range(1, MAX_PAGES + 1):
            query = {**self._org(), **params, "page": str(page), "per_page": str(PAGE_SIZE)}
            body = self.request("GET", path, params=query)
            batch = body.get(key) if isinstance(body, dict) else None
            rows = [row for row in batch or [] if isinstance(row, dict)]
            ids = [row.get("account_id") or row.get("journal_id") for row in rows]
            if not rows or ids == previous:
                return
            yield from rows
            previous = ids
            context = body.get("page_context") if isinstance(body, dict) else None
            if isinstance(context, dict) and "has_more_page" in context:
                more = context.get("has_more_page") in (True, "true")
            else:
                more = len(rows) >= PAGE_SIZE
            if not more:
                return
        self.logger.warning("zoho books %s: more than %s pages; stopped", path, MAX_PAGES)


@dataclass(frozen=True)
class AccessToken:
    """What a refresh gives: the access token, for `expires_in` seconds, and the API domain of
    the organization's data centre."""

    access_token: str
    expires_in: int
    api_domain: str


class ZohoAccountsClient(_ZohoAnswers):
    """A connection to one Zoho accounts server (the one the grant came from:
    accounts.zoho.sa, …), for the token source's refresh. Its errors come as HTTP 200
    `{"error": "…"}` as often as not."""

    name = "Zoho"
    errors = ErrorTypes(
        base=ZohoBooksError,
        unavailable=ZohoBooksUnavailable,
        rate_limited=ZohoBooksRateLimited,
        auth_refused=ZohoBooksAuthError,
    )

    def __init__(
        self,
        accounts_server: str,
        *,
        client_id: str,
        client_secret: str,
        timeout: float = DEFAULT_TIMEOUT_SECONDS,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        # A refresh is not re-sent after an unknown outcome: each one counts toward Zoho's 10
        # in 10 minutes.
        super().__init__(accounts_server, timeout=timeout, max_retries=0, transport=transport)
        self._client_id = client_id
        self._client_secret = client_secret
        self._known_secrets: list[str] = [client_secret]

    def refresh_access_token(self, refresh_token: str) -> AccessToken:
        """A new access token from the refresh token (`POST /oauth/v2/token`,
        grant_type=refresh_token); Zoho sends no new refresh token. ZohoBooksRefreshRefused
        if Zoho refuses it (revoked, expired, evicted): reconnect."""
        self._known_secrets.append(refresh_token)
        body = self.request(
            "POST",
            "oauth/v2/token",
            data={
                "grant_type": "refresh_token",
                "refresh_token": refresh_token,
                "client_id": self._client_id,
                "client_secret": self._client_secret,
            },
        )
        token = str(body.get("access_token") or "") if isinstance(body, dict) else ""
        if not token:
            raise ZohoBooksUnavailable(
                _("Zoho's accounts server answered without an access token."), raw_body=""
            )
        self._known_secrets.append(token)
        return AccessToken(
            access_token=token,
            expires_in=_as_int(body.get("expires_in")) or 3600,
            api_domain=str(body.get("api_domain") or ""),
        )

    def exchange_code(self, code: str, *, redirect_uri: str) -> "Grant":
        """The tokens for the code Zoho sent to our callback (`POST /oauth/v2/token`,
        grant_type=authorization_code). Never re-sent: a code works once. Zoho's refusal
        (`invalid_code`: expired, used, or from another data centre; `invalid_client`) is a
        `ZohoBooksRefreshRefused`; an answer without a refresh token a `ZohoBooksAuthError`."""
        self._known_secrets.append(code)
        body = self.request(
            "POST",
            "oauth/v2/token",
            data={
                "grant_type": "authorization_code",
                "code": code,
                "client_id": self._client_id,
                "client_secret": self._client_secret,
                "redirect_uri": redirect_uri,
            },
        )
        body = body if isinstance(body, dict) else {}
        access_token = str(body.get("access_token") or "")
        refresh_token = str(body.get("refresh_token") or "")
        self._known_secrets.extend(token for token in (access_token, refresh_token) if token)
        if not access_token or not refresh_token:
            raise ZohoBooksAuthError(
                _(
                    "Zoho answered the sign-in without a refresh token, so SiFi could not keep "
                    "access. Connect again and accept on Zoho's page."
                ),
                raw_body=redact_keys(body),
            )
        return Grant(
            access_token=access_token,
            refresh_token=refresh_token,
            api_domain=str(body.get("api_domain") or ""),
            expires_in=_as_int(body.get("expires_in")) or 3600,
        )

    def revoke_refresh_token(self, refresh_token: str) -> None:
        """Revoke the grant (`POST /oauth/v2/token/revoke?token=`, as Zoho documents it; the
        access tokens minted from it die with it). The token is in the URL because Zoho asks
        for it there: the request is logged by its label only, and httpx's own log is off."""
        self._known_secrets.append(refresh_token)
        self.request(
            "POST",
            "oauth/v2/token/revoke",
            params={"token": refresh_token},
            label="POST /oauth/v2/token/revoke",
        )

    def secrets(self) -> list[str]:
        return list(self._known_secrets)


@dataclass(frozen=True)
class Grant:
    """What exchanging an authorization code gives: the refresh token to keep (encrypted), a
    first access token, and the API domain of the organization's data centre."""

    access_token: str
    refresh_token: str
    api_domain: str
    expires_in: int


def redact_keys(body: Mapping[str, Any]) -> str:
    """An accounts-server answer for support, its tokens left out."""
    kept = {key: value for key, value in body.items() if "token" not in key}
    return str(kept)[:2000]
