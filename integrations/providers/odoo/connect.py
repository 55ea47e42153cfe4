"""Connecting Odoo: the instance the organization names (its address, a person's input,
checked by the flow before anything is called), the database, the login and an API key of
that user; Odoo's version, the login, the company, its currency and journals checked with real
calls, each refusal said on the field to fix."""

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

import httpx
from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import serializers

from accounting.providers import BooksJournal
from integrations.connect.base import Connected, InstanceFlow
from integrations.connect.tax_codes import tax_code_options
from integrations.providers.odoo.errors import (
    OdooAccessError,
    OdooAuthError,
    OdooError,
    OdooNotAnOdoo,
    OdooPlanRefused,
    OdooUnsafeAddress,
    OdooUnsupportedVersion,
)
from integrations.providers.odoo.payloads import OdooVersion, default_journal
from integrations.providers.odoo.provider import Company, OdooSession, open_odoo_client
from integrations.validators import validate_api_key_characters
from sifi.exceptions import UpstreamError

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

    from sifi.models import Organization


class OdooConnectForm(forms.Form):
    """Odoo's credentials: where the books are and who we connect as."""

    url = forms.CharField(
        label=gettext_lazy("Odoo address"),
        max_length=300,
        help_text=gettext_lazy("The address you open Odoo at, like https://acme.odoo.com"),
        widget=forms.TextInput(
            attrs={"autocomplete": "url", "spellcheck": "false", "inputmode": "url"}
        ),
    )
    database = forms.CharField(
        label=gettext_lazy("Database"),
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    username = forms.CharField(
        label=gettext_lazy("Login (the Odoo user's email)"),
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    api_key = forms.CharField(
        label=gettext_lazy("API key"),
        max_length=500,
        validators=[validate_api_key_characters],
        widget=forms.PasswordInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )


class OdooConnectInput(serializers.Serializer):
    url = serializers.CharField(
        max_length=300, help_text="The address you open Odoo at, e.g. https://acme.odoo.com"
    )
    database = serializers.CharField(max_length=200)
    username = serializers.CharField(max_length=200, help_text="The Odoo user's login.")
    api_key = serializers.CharField(
        max_length=500, trim_whitespace=True, validators=[validate_api_key_characters]
    )


PLAN_MESSAGE = (
    "Odoo Online refused the external API. Odoo opens it only on the Custom plan (not on One "
    "App Free or Standard): check this database's plan in Odoo, then that the login and API "
    "key are right."
)


def is_odoo_online(url: str) -> bool:
    """Hosted by Odoo (Odoo Online, `<name>.odoo.com`), where the plan decides API access."""
    host = httpx.URL(url).host
    return host == "odoo.com" or host.endswith(".odoo.com")


@dataclass(frozen=True)
class OdooCheck:
    """What connecting learned about the Odoo company: shown to the person, stored."""

    version: OdooVersion
    company: Company
    journals: list[BooksJournal]
    default_journal: BooksJournal | None
    accounts_found: int


def check_odoo_connection(credentials: dict[str, str]) -> OdooCheck:
    """Real calls to the instance: `common.version` (16 or later), `common.authenticate`, the
    user's company, its general journals and how many accounts it has. Raises an OdooError
    whose `field` says what to fix; on Odoo Online a refusal says that the external API needs
    the Custom plan (we cannot tell that refusal from a wrong key: Odoo documents no answer
    of its own for it)."""
    url = credentials["url"]
    with open_odoo_client(credentials) as client:
        session = OdooSession(client)
        try:
            version = session.version()
            if not version.supported:
                raise OdooUnsupportedVersion(
                    f"This Odoo is version {version.label}; SiFi works with Odoo 16 or later.",
                    raw_body=version.label,
                )
            client.authenticate()
            company = session.company()
            journals = session.read_journals()
            accounts_found = session.count_accounts()
        except (OdooAuthError, OdooAccessError, OdooNotAnOdoo) as exc:
            if is_odoo_online(url) and exc.field != "database":
                raise OdooPlanRefused(PLAN_MESSAGE, name=exc.name, raw_body=exc.raw_body) from None
            raise
    return OdooCheck(
        version=version,
        company=company,
        journals=journals,
        default_journal=default_journal(journals),
        accounts_found=accounts_found,
    )


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


class OdooConnect(InstanceFlow):
    key = "odoo"
    scopes = {
        "company:read": gettext_lazy("Read the company's details (name, currency)"),
        "journals:read": gettext_lazy("Read the journals"),
        "accounts:read": gettext_lazy("Read the chart of accounts"),
        "taxes:read": gettext_lazy("Read taxes (the VAT lines carry the tax you choose)"),
        "journal_entries:write": gettext_lazy("Create draft journal entries"),
        "attachments:write": gettext_lazy("Attach documents (receipts) to journal entries"),
    }
    credentials_title = gettext_lazy("Step 2 of 3 · Your Odoo")
    credentials_help = (
        gettext_lazy(
            "SiFi connects as one Odoo user, with an API key of that user: in Odoo, open your "
            "profile › Preferences › Account Security › New API Key, and copy the key (Odoo "  # noqa: RUF001 (the menu path as the provider writes it)
            "shows it once). A user of its own for SiFi, with the Accounting rights, keeps the "
            "audit trail clear. We check everything with Odoo before saving the key, encrypted."
        ),
        gettext_lazy(
            "Odoo 16 or later. On Odoo Online, the external API is open only on the Custom plan."
        ),
    )
    form_class = OdooConnectForm
    input_serializer = OdooConnectInput
    options = tax_code_options("Odoo")
    location_fields = ("url", "database", "username")
    web_client_segments = ("web", "odoo", "jsonrpc")
    address_message = gettext_lazy("Enter the address of your Odoo, like https://acme.odoo.com.")
    required: ClassVar[dict[str, "StrOrPromise"]] = {
        "url": gettext_lazy("Enter the address of your Odoo, like https://acme.odoo.com."),
        "database": gettext_lazy("Enter the name of the Odoo database."),
        "username": gettext_lazy("Enter the login of the Odoo user SiFi connects as."),
        "api_key": gettext_lazy("Paste an API key of that Odoo user."),
    }

    def check_instance(self, *, organization: "Organization", values: dict[str, str]) -> Connected:
        """An Odoo 16 or later, the login and API key, the user's company in the
        organization's currency, a general journal. A refusal is a 400 on the field to fix;
        Odoo unreachable is a 502."""
        try:
            check: OdooCheck = check_odoo_connection(values)
        except OdooError as exc:
            if exc.retryable:
                raise UpstreamError(
                    _(
                        "Could not check the connection with Odoo: %(reason)s Nothing was "
                        "saved; try again."
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
        return Connected(
            secrets={"api_key": values["api_key"]},
            location={
                "url": values["url"],
                "database": values["database"],
                "username": values["username"],
                "company_id": str(check.company.id),
            },
            accounts_found=check.accounts_found,
            details={
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
