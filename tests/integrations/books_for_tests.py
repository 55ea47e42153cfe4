"""Three accounting systems that exist only in the tests, each one package's worth of classes
and one registry line away from the product (the `registered_test_books` fixture): Paper Books
(an API key), Cloud Books (an OAuth sign-in reaching two companies) and Ruled Books (an API key
and options of its own: a daily quota, a switch, a tax code). They prove the wizard's pages,
the API and the services come from the registry, not from a provider's name."""

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from rest_framework import serializers

from accounting.providers import Provider
from integrations.connect.base import ApiKeyFlow, Connected, ConnectionOption
from integrations.connect.oauth import AuthorizationRefused, OAuthFlow

GOOD_KEY = "paper-books-key-1234"
GOOD_CODE = "cloud-code-ok"
# Codes whose grant reaches one company: in the organization's currency, or in another.
ONE_COMPANY_CODE = "cloud-code-one-company"
ONE_FOREIGN_COMPANY_CODE = "cloud-code-one-company-aed"
REVOKED: list[dict[str, str]] = []
TEST_PROVIDERS = {
    "paper_books": "tests.integrations.books_for_tests.PaperBooks",
    "cloud_books": "tests.integrations.books_for_tests.CloudBooks",
    "ruled_books": "tests.integrations.books_for_tests.RuledBooks",
}
# What Ruled Books' sessions and budgets were given as options.
OPTIONS_SEEN: list[dict[str, Any]] = []
TAX_CODES = [("vat15", "VAT 15 %"), ("zero", "Zero rated")]


class PaperBooks(Provider):
    key = "paper_books"
    name = "Paper Books"
    connect_flow = "tests.integrations.books_for_tests.PaperBooksConnect"


class PaperBooksConnect(ApiKeyFlow):
    key = "paper_books"
    scopes = {"entries:write": "Write journal entries"}
    credentials_help = ("Paste the key Paper Books shows under Settings.",)

    def check_key(self, *, organization: Any, api_key: str) -> Connected:
        if api_key != GOOD_KEY:
            raise ValidationError({"api_key": ["Paper Books does not know this key."]})
        return Connected(
            secrets={"api_key": api_key}, location={"ledger": "main"}, accounts_found=3
        )

    def revoke(self, *, secrets: dict[str, str], location: dict[str, str]) -> None:
        REVOKED.append(dict(secrets))


class CloudBooks(Provider):
    key = "cloud_books"
    name = "Cloud Books"
    connect_flow = "tests.integrations.books_for_tests.CloudBooksConnect"


class CloudBooksConnect(OAuthFlow):
    key = "cloud_books"
    scopes = {"journals:write": "Write journals"}
    company_field = "organization_id"

    def authorize_endpoint(self) -> str:
        return "https://accounts.cloudbooks.test/oauth/v2/auth"

    def authorize_params(self, *, state: str) -> dict[str, str]:
        return {
            "response_type": "code",
            "client_id": "sifi-test-client",
            "redirect_uri": self.callback_url(),
            "state": state,
        }

    def exchange(self, *, organization: Any, params: Mapping[str, str]) -> Connected:
        saudi = {"id": "111", "name": "Acme SA", "currency": "SAR"}
        emirati = {"id": "222", "name": "Acme AE", "currency": "AED"}
        companies = {
            GOOD_CODE: [saudi, emirati],
            ONE_COMPANY_CODE: [saudi],
            ONE_FOREIGN_COMPANY_CODE: [emirati],
        }.get(params.get("code", ""))
        if companies is None:
            raise AuthorizationRefused("Cloud Books refused the code (invalid_code).")
        return Connected(
            secrets={"refresh_token": "refresh-1"}, location={}, details={"companies": companies}
        )

    def revoke(self, *, secrets: dict[str, str], location: dict[str, str]) -> None:
        REVOKED.append(dict(secrets))


class RuledBooks(Provider):
    key = "ruled_books"
    name = "Ruled Books"
    connect_flow = "tests.integrations.books_for_tests.RuledBooksConnect"

    def request_budget(
        self, credentials: dict[str, str], *, options: Mapping[str, Any] | None = None
    ) -> None:
        OPTIONS_SEEN.append(dict(options or {}))
        return None


def _known_tax_code(integration: Any, value: str | None) -> str | None:
    if value is not None and value not in dict(TAX_CODES):
        raise ValidationError({"tax_code": ["Pick one of Ruled Books' tax codes."]})
    return value


class RuledBooksConnect(ApiKeyFlow):
    key = "ruled_books"
    scopes = {"entries:write": "Write journal entries"}
    options = (
        ConnectionOption(
            name="daily_quota",
            label="Daily request quota",
            help="Requests Ruled Books allows a day on your plan.",
            default=1000,
            kind="int",
            api_field=lambda **kw: serializers.IntegerField(min_value=100, max_value=10_000, **kw),
        ),
        ConnectionOption(
            name="post_refunds",
            label="Post refunds",
            help="Refunds are posted at once.",
            default=False,
            kind="bool",
            api_field=serializers.BooleanField,
        ),
        ConnectionOption(
            name="tax_code",
            label="Input VAT tax code",
            help="The tax code VAT is booked with.",
            default=None,
            kind="choice",
            api_field=lambda **kw: serializers.CharField(allow_null=True, max_length=64, **kw),
            check=_known_tax_code,
            choices=lambda integration: TAX_CODES,
        ),
    )

    def check_key(self, *, organization: Any, api_key: str) -> Connected:
        return Connected(secrets={"api_key": api_key}, location={}, accounts_found=0)
