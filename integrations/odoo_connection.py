"""Connecting Odoo: check the instance, the login and API key and the company with real calls,
then store the connection (`services.store_connection`: the key encrypted, audited, one
accounting system per organization).

The instance URL is a person's input: it is normalized and checked (HTTPS, a public address:
`provider_urls`) before anything is called.
"""

from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from integrations.models import Provider
from integrations.provider_urls import ProviderUrlError, check_instance_url
from integrations.providers.odoo.errors import (
    OdooAccessError,
    OdooAuthError,
    OdooError,
    OdooNotAnOdoo,
    OdooPlanRefused,
    OdooUnsafeAddress,
    OdooUnsupportedVersion,
)
from integrations.providers.odoo.provider import OdooCheck, check_odoo_connection
from integrations.services import (
    ConnectResult,
    refuse_a_second_system,
    require_consent,
    store_connection,
)
from sifi.exceptions import UpstreamError
from sifi.models import Organization


def _odoo_refusal(exc: OdooError, *, url: str, database: str) -> ValidationError:
    """Odoo refused the connection: the form field to fix and what to do, in the person's
    language."""
    if isinstance(exc, OdooPlanRefused):
        message = _(
            "Odoo Online refused the external API. Odoo opens it only on the Custom plan (not "
            "on One App Free or Standard): check this database's plan in Odoo, then that the "
            "login and API key are right."
        )
    elif isinstance(exc, OdooUnsupportedVersion):
        message = _("This Odoo is version %(version)s; SiFi works with Odoo 16 or later.") % {
            "version": exc.raw_body or "?"
        }
    elif isinstance(exc, OdooUnsafeAddress):
        message = exc.message
    elif isinstance(exc, OdooNotAnOdoo) and exc.status_code and 300 <= exc.status_code < 400:
        message = _(
            "%(url)s redirects to %(location)s. Enter the address Odoo redirects to (SiFi "
            "never follows redirects with your key)."
        ) % {"url": url, "location": exc.raw_body or "another address"}
    elif isinstance(exc, OdooNotAnOdoo):
        message = _(
            "%(url)s does not answer like Odoo's external API (JSON-RPC at /jsonrpc). Enter "
            "the address you open Odoo at, like https://acme.odoo.com."
        ) % {"url": url}
    elif isinstance(exc, OdooAuthError) and exc.field == "database":
        message = _(
            "Odoo has no database named %(database)s at this address. Odoo shows the database "
            "name on its login page (Manage Databases) and in Settings."
        ) % {"database": database}
    elif isinstance(exc, OdooAuthError):
        message = _(
            "Odoo refused this login and API key (wrong, revoked or expired key, or another "
            "user's). Create a key in Odoo under your profile > Preferences > Account Security "
            "> New API Key."
        )
    elif isinstance(exc, OdooAccessError):
        message = _(
            "This Odoo user may not read the company's accounting. Give it the Accounting "
            "rights in Odoo (Settings > Users), or connect with another user."
        )
    else:
        message = exc.message
    field = exc.field or ("username" if isinstance(exc, OdooAccessError) else "")
    return ValidationError({field: [message]} if field else message)


def connect_odoo(
    *,
    actor: Any,
    organization: Organization,
    url: str,
    database: str,
    username: str,
    api_key: str,
) -> ConnectResult:
    """Check the instance with real calls (an Odoo 16 or later, the login and API key, the
    user's company in the organization's currency, a general journal), then store the key
    encrypted with where the books are.

    The URL is a person's input: HTTPS and a public address only (SPEC §3). A refusal is a 400
    on the field to fix and nothing is stored; Odoo unreachable is a 502 and nothing is
    stored. Needs consent first (409), and no other accounting system connected (409).
    """
    values = {
        "url": url.strip(),
        "database": database.strip(),
        "username": username.strip(),
        "api_key": api_key.strip(),
    }
    missing = {
        "url": _("Enter the address of your Odoo, like https://acme.odoo.com."),
        "database": _("Enter the name of the Odoo database."),
        "username": _("Enter the login of the Odoo user SiFi connects as."),
        "api_key": _("Paste an API key of that Odoo user."),
    }
    empty = {field: [message] for field, message in missing.items() if not values[field]}
    if empty:
        raise ValidationError(empty)
    refuse_a_second_system(organization=organization, provider=Provider.ODOO)
    require_consent(organization=organization, provider=Provider.ODOO)
    try:
        values["url"] = check_instance_url(values["url"])
    except ProviderUrlError as exc:
        raise ValidationError({"url": [exc.message]}) from None

    try:
        check: OdooCheck = check_odoo_connection(values)
    except OdooError as exc:
        if exc.retryable:
            raise UpstreamError(
                _(
                    "Could not check the connection with Odoo: %(reason)s Nothing was saved; try "
                    "again."
                )
                % {"reason": exc.message},
                code="odoo_unavailable",
            ) from None
        raise _odoo_refusal(exc, url=values["url"], database=values["database"]) from None
    if check.company.currency and check.company.currency != organization.base_currency:
        raise ValidationError(
            _(
                "The Odoo company %(company)s keeps its books in %(currency)s; SiFi sends "
                "amounts in %(base)s. Connect a company whose currency is %(base)s."
            )
            % {
                "company": check.company.name,
                "currency": check.company.currency,
                "base": organization.base_currency,
            }
        )
    if check.default_journal is None:
        raise ValidationError(
            _(
                "The Odoo company %(company)s has no general journal (such as Miscellaneous "
                "Operations) for journal entries. Create one in Odoo (Accounting > "
                "Configuration > Journals), then connect again."
            )
            % {"company": check.company.name}
        )
    integration = store_connection(
        actor=actor,
        organization=organization,
        provider=Provider.ODOO,
        api_key=values["api_key"],
        accounts_found=check.accounts_found,
        details={
            "instance_url": values["url"],
            "database": values["database"],
            "login": values["username"],
            "external_company_id": str(check.company.id),
            "company_name": check.company.name,
            "server_version": check.version.label,
            "journals": [
                {"id": j.external_id, "code": j.code, "name": j.name} for j in check.journals
            ],
            "journal_external_id": check.default_journal.external_id,
            "journal_name": str(check.default_journal),
            "attachments_supported": None,  # asked again of this user's rights
        },
    )
    return ConnectResult(integration=integration, accounts_found=check.accounts_found)
