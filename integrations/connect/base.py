"""The connect flow's base and the two styles that ask a person for credentials: an API key,
or an instance URL with credentials."""

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from django import forms
from django.core.exceptions import ValidationError
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy
from rest_framework import serializers

from accounting.providers import Provider, provider_for, provider_keys
from integrations.provider_urls import ProviderUrlError, check_instance_url
from integrations.validators import validate_api_key_characters

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

    from integrations.models import Integration
    from sifi.models import Organization


@dataclass(frozen=True)
class Connected:
    """What checking the credentials learned, to be stored: the secrets (encrypted), where the
    books are, the number of accounts the provider shows, and the connection's other facts
    (`company_name`, `server_version`, `journals`, `companies`: columns of the Integration)."""

    secrets: dict[str, str]
    location: dict[str, str]
    accounts_found: int | None = None
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def hint(self) -> str:
        """What people may see of the credentials: the main secret's last 4 characters."""
        secret = self.secrets.get("api_key") or ""
        return secret[-4:]


@dataclass(frozen=True)
class ConnectionOption:
    """A configuration value of one provider's connections beside the shared ones (Source
    Account, Input VAT account, Auto Sync): a plan's daily request quota, a switch. Declared
    by the provider's connect flow (`ConnectFlow.options`), stored in `Integration.options`,
    shown on the configuration page, read and written top-level by the connection API
    (`PATCH {"<name>": value}`) and given to the provider's sessions and request budget.

    `api_field` builds the field that validates a value (its type, its bounds) for the API and
    the page alike; `check` (optional) validates against what the connection holds (e.g. one
    of the synced tax rates) and answers the value to store; `choices` (a "choice" option)
    lists (value, label) pairs for the page's select."""

    name: str
    label: "StrOrPromise"
    help: "StrOrPromise"
    default: Any
    kind: Literal["bool", "int", "choice"]
    api_field: Callable[..., serializers.Field]
    check: Callable[["Integration", Any], Any] | None = None
    choices: Callable[["Integration"], list[tuple[str, str]]] | None = None

    def field(self, **kwargs: Any) -> serializers.Field:
        return self.api_field(help_text=str(self.help), **kwargs)


class ConnectFlow:
    """One accounting system's connect wizard and API. Subclasses set the class attributes and
    implement `check`; the styles below implement the rest."""

    key: ClassVar[str]
    style: ClassVar[str]  # "api_key" | "instance" | "oauth": which wizard step the page shows
    # The permissions listed at consent: exactly what the product uses (SPEC §3.2).
    scopes: ClassVar[dict[str, "StrOrPromise"]] = {}
    # What "Select attributes" offers beside the chart of accounts (always synced).
    optional_attributes: ClassVar[tuple[str, ...]] = ()
    # The credentials step: its title, what to do in the provider, the form and the API's input.
    credentials_title: ClassVar["StrOrPromise"] = gettext_lazy("Step 2 of 3 · API key")
    credentials_help: ClassVar[tuple["StrOrPromise", ...]] = ()
    form_class: ClassVar[type[forms.Form]]
    input_serializer: ClassVar[type[serializers.Serializer]]
    # The rows of the accounts API (None: the shared `AccountOutputSerializer`).
    account_serializer: ClassVar[type[serializers.ModelSerializer] | None] = None
    # The location fields the form shows again when connecting anew (never a secret).
    location_fields: ClassVar[tuple[str, ...]] = ()
    # Configuration values of this provider's connections beside the shared ones.
    options: ClassVar[tuple[ConnectionOption, ...]] = ()

    @property
    def provider(self) -> Provider:
        return provider_for(self.key)

    @property
    def name(self) -> str:
        return str(self.provider.name)

    @property
    def slug(self) -> str:
        """The provider's part of URLs (`/api/v1/integrations/<slug>/`)."""
        return self.key.replace("_", "-")

    def initial(self, integration: "Integration") -> dict[str, str]:
        """The form's values when connecting again: where the books were, never a secret."""
        return {name: str(integration.location.get(name, "")) for name in self.location_fields}

    def location_label(self, integration: "Integration") -> str:
        """Where the books are, as the configuration page shows it ("https://books.acme.sa ·
        acme · sifi@acme.sa"); empty for providers a person names nothing of."""
        values = (str(integration.location.get(name) or "") for name in self.location_fields)
        return " · ".join(value for value in values if value)

    def option_values(self, integration: "Integration") -> dict[str, Any]:
        """The connection's options by name: what was set, else the declared default."""
        stored = integration.options or {}
        return {option.name: stored.get(option.name, option.default) for option in self.options}

    def options_serializer(self) -> type[serializers.Serializer]:
        """A serializer of the options (each optional), which validates a change of them."""
        fields = {option.name: option.field(required=False) for option in self.options}
        return type("OptionsSerializer", (serializers.Serializer,), fields)

    def check(self, *, organization: "Organization", values: dict[str, str]) -> Connected:
        """Check the credentials with real calls. A refusal is a `ValidationError` on the field
        to fix; the provider unreachable an `UpstreamError`. Nothing is stored here."""
        raise NotImplementedError

    def clean(self, values: dict[str, Any]) -> dict[str, str]:
        """The person's answers, trimmed; a 400 naming each empty field."""
        return {name: str(value).strip() for name, value in values.items()}

    def revoke(self, *, secrets: dict[str, str], location: dict[str, str]) -> None:
        """Tell the provider the credentials are no longer used, at disconnect (OAuth revokes
        the grant). Best effort: the secrets are gone from SiFi either way."""


class ApiKeyFlow(ConnectFlow):
    """Credentials are one API key the person copies from the provider's settings."""

    style = "api_key"
    missing_key_message: ClassVar["StrOrPromise"] = gettext_lazy("Paste the API key.")

    class ApiKeyForm(forms.Form):
        api_key = forms.CharField(
            label=gettext_lazy("API key"),
            max_length=500,
            validators=[validate_api_key_characters],
            widget=forms.PasswordInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
        )

    class ApiKeyInput(serializers.Serializer):
        api_key = serializers.CharField(
            max_length=500, trim_whitespace=True, validators=[validate_api_key_characters]
        )

    form_class = ApiKeyForm
    input_serializer = ApiKeyInput

    def clean(self, values: dict[str, Any]) -> dict[str, str]:
        cleaned = super().clean(values)
        if not cleaned.get("api_key"):
            raise ValidationError({"api_key": [str(self.missing_key_message)]})
        return cleaned

    def check(self, *, organization: "Organization", values: dict[str, str]) -> Connected:
        return self.check_key(organization=organization, api_key=values["api_key"])

    def check_key(self, *, organization: "Organization", api_key: str) -> Connected:
        """Validate the key with a real call to the provider."""
        raise NotImplementedError


class InstanceFlow(ConnectFlow):
    """Credentials name an instance the organization runs (an address people type) and who we
    connect as there. The address is a person's input: HTTPS and a public address
    only, checked before anything is called (`integrations.provider_urls`)."""

    style = "instance"
    url_field: ClassVar[str] = "url"
    # The web client's path segments people paste with the address (cut off), and what to
    # say when the text is no address.
    web_client_segments: ClassVar[tuple[str, ...]] = ()
    address_message: ClassVar["StrOrPromise"] = gettext_lazy(
        "Enter the address of your accounting system."
    )
    # Each required field and what to say when it is empty.
    required: ClassVar[dict[str, "StrOrPromise"]] = {}

    def clean(self, values: dict[str, Any]) -> dict[str, str]:
        cleaned = super().clean(values)
        empty = {
            name: [str(message)] for name, message in self.required.items() if not cleaned.get(name)
        }
        if empty:
            raise ValidationError(empty)
        return cleaned

    def check(self, *, organization: "Organization", values: dict[str, str]) -> Connected:
        try:
            url = check_instance_url(
                values[self.url_field],
                web_client_segments=self.web_client_segments,
                invalid_message=str(self.address_message),
            )
        except ProviderUrlError as exc:
            raise ValidationError({self.url_field: [exc.message]}) from None
        return self.check_instance(
            organization=organization, values={**values, self.url_field: url}
        )

    def check_instance(self, *, organization: "Organization", values: dict[str, str]) -> Connected:
        """Check the instance and the credentials with real calls (the URL is safe now)."""
        raise NotImplementedError


@cache
def _flow_class(dotted_path: str) -> type[ConnectFlow]:
    flow_class = import_string(dotted_path)
    if not (isinstance(flow_class, type) and issubclass(flow_class, ConnectFlow)):
        raise TypeError(f"{dotted_path} is not a ConnectFlow")
    return flow_class


def flow_for(key: str) -> ConnectFlow:
    """The connect flow of the registered provider `key` (KeyError if there is none)."""
    return _flow_class(provider_for(key).connect_flow)()


def flows() -> list[ConnectFlow]:
    """Every registered provider's connect flow, in the registry's order (a provider without
    one, such as a test's stand-in for books, has no wizard)."""
    return [flow_for(key) for key in provider_keys() if provider_for(key).connect_flow]


def option_values(integration: "Integration") -> dict[str, Any]:
    """The connection's provider options, defaults filled in ({} for a provider without a
    connect flow)."""
    if not provider_for(integration.provider).connect_flow:
        return {}
    return flow_for(integration.provider).option_values(integration)
