"""Connecting Zoho Books: OAuth 2.0's authorization code through Zoho's consent page (SPEC §3a).

The person goes to `ZOHO_ACCOUNTS_URL/oauth/v2/auth` with our `state` (kept by
`integrations.services.authorization`); Zoho sends them back to our callback with `code`,
`location` and `accounts-server`: the data centre that holds their account, where the code
must be exchanged. That server is a value in a URL anyone can forge, and it receives our client
secret: it must be one of `ZOHO_ACCOUNTS_SERVERS`, or nothing is called. The exchange gives the
refresh token we keep (encrypted) and the `api_domain` of the books; `GET /organizations` says
which Zoho organizations the grant reaches (the only one is chosen, among several the person
chooses, in the SiFi organization's base currency only).

Anything that fails after Zoho issued the grant revokes it: nothing is stored, and a Zoho user
keeps at most 20 refresh tokens (the 21st silently evicts the oldest).
"""

import ipaddress
import json
import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, ClassVar

import httpx
from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounting.providers import AuthRefused
from integrations.connect.base import Connected
from integrations.connect.oauth import AuthorizationRefused, OAuthFlow
from integrations.connect.tax_codes import tax_code_options
from integrations.provider_urls import is_public
from integrations.providers.zoho_books.client import (
    ZohoAccountsClient,
    ZohoBooksClient,
    base_url_for,
)
from integrations.providers.zoho_books.errors import ZohoBooksError, ZohoBooksRefreshRefused
from integrations.providers.zoho_books.options import DAILY_QUOTA
from integrations.providers.zoho_books.tokens import forget_access_token
from sifi.exceptions import UpstreamError

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

    from sifi.models import Organization

logger = logging.getLogger(__name__)

# What SiFi asks Zoho for (providers-api.md §2.1): the chart and journals (read, create,
# update: a draft corrected in place), and the organizations (settings).
OAUTH_SCOPES = (
    "ZohoBooks.accountants.READ",
    "ZohoBooks.accountants.CREATE",
    "ZohoBooks.accountants.UPDATE",
    "ZohoBooks.settings.READ",
)
EXCHANGE_TIMEOUT_SECONDS = 20.0


def trusted_accounts_servers() -> list[str]:
    """`ZOHO_ACCOUNTS_SERVERS` as origins (`https://accounts.zoho.sa`). A host alone means
    HTTPS. Plain HTTP counts only for a loopback or private address while
    `ALLOW_PRIVATE_PROVIDER_URLS` is on (the sandbox)."""
    origins = []
    for entry in settings.ZOHO_ACCOUNTS_SERVERS:
        entry = entry.strip()
        if not entry:
            continue
        origin = _origin(entry if "://" in entry else f"https://{entry}")
        if origin is not None:
            origins.append(origin)
    return origins


def _origin(url: str) -> str | None:
    """`scheme://host[:port]` of a server address, or None if it is not one we may call."""
    try:
        parsed = httpx.URL(url.strip().rstrip("/"))
    except (httpx.InvalidURL, TypeError):
        return None
    if not parsed.host or parsed.userinfo or parsed.query or parsed.path not in ("", "/"):
        return None
    if parsed.scheme == "http":
        if not (settings.ALLOW_PRIVATE_PROVIDER_URLS and _is_private_host(parsed.host)):
            return None
    elif parsed.scheme != "https":
        return None
    port = f":{parsed.port}" if parsed.port else ""
    return f"{parsed.scheme}://{parsed.host.lower()}{port}"


def _is_private_host(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return not is_public(ipaddress.ip_address(host))
    except ValueError:
        return False


def trusted_origin(value: str) -> str | None:
    """The origin of `value` if it is one of the trusted accounts servers, else None."""
    origin = _origin(value) if value else None
    return origin if origin is not None and origin in trusted_accounts_servers() else None


def trusted_accounts_server(value: str) -> str:
    """The accounts server the callback named, if we trust it (one of `ZOHO_ACCOUNTS_SERVERS`);
    `AuthorizationRefused` otherwise, before anything is called."""
    origin = trusted_origin(value)
    if origin is None:
        raise AuthorizationRefused(
            _(
                "Zoho sent you back from an accounts server SiFi does not trust (%(server)s), "
                "so SiFi did not send it anything. Nothing was saved. Start connecting Zoho "
                "Books again from this page."
            )
            % {"server": value[:200] or _("none named")}
        )
    return origin


def accounts_client(accounts_server: str) -> ZohoAccountsClient:
    return ZohoAccountsClient(
        accounts_server,
        client_id=settings.ZOHO_CLIENT_ID,
        client_secret=settings.ZOHO_CLIENT_SECRET,
        timeout=EXCHANGE_TIMEOUT_SECONDS,
    )


class _FirstAccessToken:
    """The access token the exchange gave, for the organization list: nothing to renew."""

    def __init__(self, token: str) -> None:
        self.token = token

    def access_token(self) -> str:
        return self.token

    def renew(self, *, refused: str) -> str:
        return refused  # the same token: the client lets the refusal stand


def _zoho_error_name(exc: ZohoBooksError) -> str:
    """The `error` of an accounts-server answer (`invalid_code`), for the sentence."""
    try:
        body = json.loads(exc.raw_body)
    except (TypeError, ValueError):
        return ""
    return str(body.get("error") or "")[:64] if isinstance(body, dict) else ""


class ZohoBooksConnect(OAuthFlow):
    key = "zoho_books"
    scopes: ClassVar[dict[str, "StrOrPromise"]] = {
        "organizations:read": gettext_lazy("Read your Zoho organizations (name, currency)"),
        "accounts:read": gettext_lazy("Read the chart of accounts"),
        "taxes:read": gettext_lazy("Read taxes (the VAT lines carry the tax you choose)"),
        "journals:write": gettext_lazy("Create draft journals (and correct our own drafts)"),
        "attachments:write": gettext_lazy("Attach documents (receipts) to journals"),
    }
    credentials_help = (
        gettext_lazy(
            "Zoho Books opens its own page: sign in there with a Zoho user of the organization "
            "that keeps your books and accept. Zoho then sends you back here. SiFi keeps Zoho's "
            "authorization encrypted and never sees your password."
        ),
        gettext_lazy(
            "If your sign-in reaches several Zoho organizations, you choose one next; its base "
            "currency must be this organization's."
        ),
    )
    company_field = "organization_id"
    companies_field = "organizations"
    company_keys: ClassVar[dict[str, str]] = {
        "organization_id": "id",
        "name": "name",
        "currency_code": "currency",
    }
    choose_company_title = gettext_lazy("Choose the Zoho organization")
    options = (DAILY_QUOTA, *tax_code_options("Zoho Books"))

    def authorize_endpoint(self) -> str:
        return f"{settings.ZOHO_ACCOUNTS_URL.rstrip('/')}/oauth/v2/auth"

    def authorize_params(self, *, state: str) -> dict[str, str]:
        return {
            "response_type": "code",
            "client_id": settings.ZOHO_CLIENT_ID,
            "scope": ",".join(OAUTH_SCOPES),
            "redirect_uri": self.callback_url(),
            "access_type": "offline",  # a refresh token
            "prompt": "consent",  # a new one, even if this user consented before
            "state": state,
        }

    def exchange(self, *, organization: "Organization", params: Mapping[str, str]) -> Connected:
        """Exchange the code at the trusted accounts server Zoho named, then list the Zoho
        organizations the grant reaches. Refusals are sentences (`AuthorizationRefused`);
        Zoho unreachable is an `UpstreamError`. Nothing is stored here."""
        server = trusted_accounts_server(
            params.get("accounts-server") or settings.ZOHO_ACCOUNTS_URL
        )
        code = params.get("code", "").strip()
        if not code:
            raise AuthorizationRefused(
                _("Zoho sent you back without an authorization code. Nothing was saved.")
            )
        with accounts_client(server) as accounts:
            try:
                grant = accounts.exchange_code(code, redirect_uri=self.callback_url())
            except ZohoBooksError as exc:
                raise self._exchange_refusal(exc) from None
        try:
            organizations = self._organizations(
                api_domain=grant.api_domain, token=grant.access_token
            )
        except (AuthorizationRefused, UpstreamError):
            self._revoke_quietly(server, grant.refresh_token)
            raise
        return Connected(
            secrets={"refresh_token": grant.refresh_token},
            location={"api_domain": grant.api_domain, "accounts_server": server},
            details={"companies": organizations},
        )

    def _organizations(self, *, api_domain: str, token: str) -> list[dict[str, str]]:
        """The active Zoho organizations the grant reaches, as companies
        ([{"id", "name", "currency"}])."""
        try:
            base_url_for(api_domain)
        except ValueError:
            raise AuthorizationRefused(
                _("Zoho named an API address SiFi will not use (%(domain)s). Nothing was saved.")
                % {"domain": api_domain[:200] or _("none")}
            ) from None
        try:
            with ZohoBooksClient(
                api_domain=api_domain,
                token_source=_FirstAccessToken(token),
                timeout=EXCHANGE_TIMEOUT_SECONDS,
                max_retries=1,
            ) as books:
                rows = books.list_organizations()
        except AuthRefused as exc:
            raise AuthorizationRefused(
                _(
                    "Zoho Books did not let SiFi list your organizations (%(zoho)s). Sign in "
                    "with a Zoho user who uses Zoho Books, and accept every permission. "
                    "Nothing was saved."
                )
                % {"zoho": exc.message}
            ) from None
        except ZohoBooksError as exc:
            if exc.retryable:
                raise UpstreamError(
                    _(
                        "Zoho Books could not be reached: %(reason)s Nothing was saved; "
                        "connect again."
                    )
                    % {"reason": exc.message},
                    code="zoho_books_unavailable",
                ) from None
            raise AuthorizationRefused(
                _("Zoho Books refused to list your organizations: %(zoho)s Nothing was saved.")
                % {"zoho": exc.message}
            ) from None
        companies = [
            {
                "id": str(row.get("organization_id") or ""),
                "name": str(row.get("name") or ""),
                "currency": str(row.get("currency_code") or ""),
            }
            for row in rows
            if row.get("organization_id") and row.get("is_org_active", True) not in (False, "false")
        ]
        if not companies:
            raise AuthorizationRefused(
                _(
                    "This Zoho user has no active Zoho Books organization. Sign in with a user "
                    "of the organization that keeps your books. Nothing was saved."
                )
            )
        return companies

    def _exchange_refusal(self, exc: ZohoBooksError) -> Exception:
        """What to tell the person when the accounts server did not give tokens for the code."""
        if exc.retryable:
            return UpstreamError(
                _(
                    "Zoho's accounts server could not finish the sign-in: %(reason)s Nothing "
                    "was saved; connect again."
                )
                % {"reason": exc.message},
                code="zoho_accounts_unavailable",
            )
        if isinstance(exc, ZohoBooksRefreshRefused):
            error = _zoho_error_name(exc) or "invalid_code"
            if error == "invalid_client":
                return AuthorizationRefused(
                    _(
                        "Zoho does not accept SiFi's app at this data centre (invalid_client). "
                        "Ask SiFi's support to enable it; nothing was saved."
                    )
                )
            return AuthorizationRefused(
                _(
                    "Zoho refused the sign-in code (%(error)s): it expired (a code is valid for "
                    "two minutes) or was used already. Nothing was saved. Connect Zoho Books "
                    "again."
                )
                % {"error": error}
            )
        return AuthorizationRefused(exc.message)

    def unknown_company_message(self) -> str:
        return _(
            "Your Zoho sign-in does not reach this organization. Choose one of the Zoho "
            "organizations listed (organization_id)."
        )

    def company_refusal(
        self, *, organization: "Organization", company: Mapping[str, str]
    ) -> str | None:
        currency = company.get("currency", "")
        if currency and currency != organization.base_currency:
            return _(
                "The Zoho organization %(company)s keeps its books in %(currency)s; SiFi sends "
                "amounts in %(base)s. Choose an organization whose base currency is %(base)s."
            ) % {
                "company": company.get("name", ""),
                "currency": currency,
                "base": organization.base_currency,
            }
        return None

    def revoke(self, *, secrets: dict[str, str], location: dict[str, str]) -> None:
        """Revoke the refresh token at the accounts server it came from (best effort), and
        drop the access token the workers share from Redis."""
        refresh_token = secrets.get("refresh_token", "")
        server = location.get("accounts_server", "")
        if refresh_token and server:
            self._revoke_quietly(server, refresh_token)
        if refresh_token:  # the access token shared by the workers goes too
            forget_access_token(refresh_token)

    def _revoke_quietly(self, server: str, refresh_token: str) -> None:
        try:
            trusted = trusted_accounts_server(server)
        except AuthorizationRefused:
            logger.warning("zoho books: not revoking at an untrusted accounts server")
            return
        try:
            with accounts_client(trusted) as accounts:
                accounts.revoke_refresh_token(refresh_token)
        except ZohoBooksError as exc:
            logger.warning("zoho books: revoking the grant failed: %s", exc.message)
