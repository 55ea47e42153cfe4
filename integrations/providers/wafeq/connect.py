"""Connecting Wafeq (SPEC §3b): one API key (Developer → API Keys in Wafeq), checked with
`GET /organization/` before it is stored; the organization's base currency must be ours (a
manual journal's `amount_to_bcy` is in it, and we never guess an exchange rate)."""

from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from integrations.connect.base import ApiKeyFlow, Connected
from integrations.providers.wafeq.errors import WafeqAuthError, WafeqError
from integrations.providers.wafeq.provider import open_wafeq_client
from sifi.exceptions import UpstreamError

if TYPE_CHECKING:
    from sifi.models import Organization


class WafeqConnect(ApiKeyFlow):
    key = "wafeq"
    scopes = {
        "organization:read": gettext_lazy("Read organization details (name, base currency)"),
        "accounts:read": gettext_lazy("Read the chart of accounts"),
        "tax_rates:read": gettext_lazy("Read tax rates"),
        "expenses:write": gettext_lazy(
            "Create expenses (as drafts) for card spending, and move them back to draft"
        ),
        "manual_journals:write": gettext_lazy(
            "Create manual journals for refunds and money received, only if you turn that on: "
            "Wafeq posts manual journals at once, its API has no draft for them"
        ),
        "files:write": gettext_lazy("Upload documents (receipts) to attach to them"),
    }
    credentials_help = (
        gettext_lazy(
            "In Wafeq, open Developer › API Keys, create a key for this organization, then "  # noqa: RUF001 (the menu path as the provider writes it)
            "paste it here. We check it with Wafeq before saving it, encrypted."
        ),
    )
    missing_key_message = gettext_lazy("Paste the API key from Wafeq.")

    def check_key(self, *, organization: "Organization", api_key: str) -> Connected:
        """A key Wafeq refuses, or one bound to books in another base currency, is a 400 on
        `api_key`; Wafeq unreachable is a 502. Nothing is stored here."""
        try:
            with open_wafeq_client(api_key) as client:
                books = client.organization()
                accounts_found = len(client.accounts())
        except WafeqAuthError:
            raise ValidationError(
                {
                    "api_key": [
                        _(
                            "Wafeq refused this API key: it is wrong or was deleted. Create a "
                            "new key in Wafeq (Developer › API Keys) and paste it here."  # noqa: RUF001
                        )
                    ]
                }
            ) from None
        except WafeqError as exc:
            raise UpstreamError(
                _("Could not check the key with Wafeq: %(reason)s Nothing was saved; try again.")
                % {"reason": exc.message},
                code="wafeq_unavailable",
            ) from None
        ours = organization.base_currency.upper()
        if books.base_currency and books.base_currency != ours:
            raise ValidationError(
                {
                    "api_key": [
                        _(
                            "This key opens the Wafeq organization %(name)s, whose base currency "
                            "is %(theirs)s; SiFi books in %(ours)s. Use the key of an "
                            "organization that keeps its books in %(ours)s."
                        )
                        % {
                            "name": books.name_en or books.id,
                            "theirs": books.base_currency,
                            "ours": ours,
                        }
                    ]
                }
            )
        return Connected(
            secrets={"api_key": api_key},
            location={},
            accounts_found=accounts_found,
            details={"company_name": books.name_en or books.name_ar},
        )
