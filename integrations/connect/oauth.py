"""The OAuth 2.0 authorization-code style: the person is sent to the provider's
consent page with a `state` of ours, and comes back to our callback page with a code the flow
exchanges for tokens. The services (`integrations.services.authorization`) keep the state:
single-use, bound to the user and organization that asked, valid `OAUTH_STATE_TTL`."""

from collections.abc import Mapping
from typing import TYPE_CHECKING, ClassVar
from urllib.parse import urlencode, urlsplit

from django import forms
from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext_lazy
from rest_framework import serializers

from integrations.connect.base import Connected, ConnectFlow

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

    from sifi.models import Organization


class AuthorizationRefused(Exception):
    """The provider refused the authorization, or its answer cannot be trusted: a sentence a
    person can act on. Nothing was stored."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class OAuthFlow(ConnectFlow):
    """Credentials come from the provider's consent page: no form, a button."""

    style = "oauth"
    credentials_title = gettext_lazy("Step 2 of 3 · Sign in")
    # The configuration field (API and page) that chooses among `Integration.companies`, and
    # the location key the chosen id is kept under.
    company_field: ClassVar[str] = "company_id"
    # How the API lists the companies when the provider has a word of its own for them: the
    # list's name and its rows' fields (API name → stored key: "id", "name", "currency"), as
    # SPEC §8 names them. `companies` ([{"id", "name", "currency"}]) is always there too.
    companies_field: ClassVar[str] = "companies"
    company_keys: ClassVar[dict[str, str]] = {"id": "id", "name": "name", "currency": "currency"}
    choose_company_title: ClassVar["StrOrPromise"] = gettext_lazy("Choose the company")

    class NoCredentialsForm(forms.Form):
        pass

    class NoCredentialsInput(serializers.Serializer):
        pass

    form_class = NoCredentialsForm
    input_serializer = NoCredentialsInput

    def callback_url(self) -> str:
        """Where the provider sends the person back (registered with the provider)."""
        path = reverse(f"settings-{self.key}-callback")
        return f"{settings.PUBLIC_BASE_URL.rstrip('/')}{path}"

    def authorize_url(self, *, state: str) -> str:
        """The provider's consent page for this authorization."""
        return f"{self.authorize_endpoint()}?{urlencode(self.authorize_params(state=state))}"

    def authorize_endpoint(self) -> str:
        raise NotImplementedError

    def authorize_origin(self) -> str:
        """The consent page's origin (`https://accounts.example.com`), which the settings page
        lets its forms be redirected to (CSP form-action)."""
        url = urlsplit(self.authorize_endpoint())
        return f"{url.scheme}://{url.netloc}"

    def authorize_params(self, *, state: str) -> dict[str, str]:
        """The query of the consent page: response_type=code, our client, the scopes, the
        callback, and the `state`."""
        raise NotImplementedError

    def exchange(self, *, organization: "Organization", params: Mapping[str, str]) -> Connected:
        """Exchange the code the provider sent back (`params`: the callback's query) for
        tokens, and read what connecting needs (the companies the grant reaches). Raises
        `AuthorizationRefused` with a sentence; the provider unreachable is an
        `UpstreamError`. `Connected.details["companies"]` lists the companies
        ([{"id", "name", "currency"}]); the only one is chosen for the person (when its
        currency is the organization's), among several the person chooses."""
        raise NotImplementedError

    def unknown_company_message(self) -> str:
        """What to say when the chosen company is not one the grant reaches."""
        return str(
            gettext_lazy("Choose one of the companies %(provider)s listed.")
            % {"provider": self.name}
        )

    def company_refusal(
        self, *, organization: "Organization", company: Mapping[str, str]
    ) -> str | None:
        """Why this company cannot keep the organization's books (another currency), or
        None."""
        currency = company.get("currency", "")
        if currency and currency != organization.base_currency:
            return str(
                gettext_lazy(
                    "%(company)s keeps its books in %(currency)s; SiFi sends amounts in "
                    "%(base)s. Choose a company whose currency is %(base)s."
                )
                % {
                    "company": company.get("name", ""),
                    "currency": currency,
                    "base": organization.base_currency,
                }
            )
        return None
