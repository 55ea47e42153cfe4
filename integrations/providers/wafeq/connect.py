"""Connecting Wafeq (SPEC §3b): one API key (Developer → API Keys in Wafeq), checked with
`GET /organization/` before it is stored; the organization's base currency must be ours (a
manual journal's `amount_to_bcy` is in it, and we never guess an exchange rate)."""

from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import serializers

from integrations.connect.base import ApiKeyFlow, Connected, ConnectionOption
from integrations.models import TaxRate
from integrations.providers.wafeq.errors import WafeqAuthError, WafeqError
from integrations.providers.wafeq.provider import (
    INPUT_VAT_TAX_RATE,
    POST_CREDITS,
    open_wafeq_client,
)
from sifi.exceptions import UpstreamError

if TYPE_CHECKING:
    from integrations.models import Integration
    from sifi.models import Organization


def _tax_rates(integration: "Integration") -> list[tuple[str, str]]:
    """The synced, active tax rates of the connection's Wafeq organization: (id, label)."""
    rows = TaxRate.objects.filter(
        organization_id=integration.organization_id, provider="wafeq", active=True
    )
    return [(rate.external_id, str(rate)) for rate in rows]


def _synced_tax_rate(integration: "Integration", value: str | None) -> str | None:
    """The input VAT tax rate must be one of Wafeq's, as last synced (None: no VAT line)."""
    if value is None:
        return None
    if value not in dict(_tax_rates(integration)):
        raise ValidationError(
            {
                INPUT_VAT_TAX_RATE: [
                    _("Pick one of your Wafeq tax rates (Sync now refreshes them from Wafeq).")
                ]
            }
        )
    return value


def _tax_rate_field(**kwargs: Any) -> serializers.Field:
    return serializers.CharField(allow_null=True, max_length=64, **kwargs)


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
    options = (
        ConnectionOption(
            name=INPUT_VAT_TAX_RATE,
            label=gettext_lazy("Input VAT tax rate"),
            help=gettext_lazy(
                "Wafeq takes VAT as a tax rate on the expense, not as an account: the VAT of "
                "each transaction is booked with this rate (the amount stays tax-inclusive). "
                "None: amounts are booked gross."
            ),
            default=None,
            kind="choice",
            api_field=_tax_rate_field,
            check=_synced_tax_rate,
            choices=_tax_rates,
        ),
        ConnectionOption(
            name=POST_CREDITS,
            label=gettext_lazy("Post refunds and money received as manual journals"),
            help=gettext_lazy(
                "Wafeq's API has no draft for refunds and money received: when this is on, "
                "each becomes a manual journal that Wafeq posts at once, straight into your "
                "ledger. When it is off, they fail with this reason; turn it on and retry them "
                "to send them. Card spending always goes as draft expenses."
            ),
            default=False,
            kind="bool",
            api_field=serializers.BooleanField,
        ),
    )

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
