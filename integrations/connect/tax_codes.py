"""Tax codes as configuration options, for books that book VAT through them (a tax id on a
journal line): the provider's taxes are mirrored with the chart
(`TaxRate`, when its session offers `read_tax_rates`) and the organization picks the one its
input VAT lines carry and, for reverse charge, the one its output VAT lines carry. The lines
still name the Input and Output VAT accounts; the tax code is what the books' VAT return
reads. A provider's connect flow declares `tax_code_options(its name)`."""

from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import serializers

from integrations.connect.base import ConnectionOption
from integrations.models import TaxRate

if TYPE_CHECKING:
    from integrations.models import Integration

INPUT_VAT_TAX = "input_vat_tax"
OUTPUT_VAT_TAX = "output_vat_tax"


def synced_taxes(integration: "Integration") -> list[tuple[str, str]]:
    """The connection's books' active taxes, as last synced: (id, label)."""
    rows = TaxRate.objects.filter(
        organization_id=integration.organization_id,
        provider=integration.provider,
        active=True,
    )
    return [(rate.external_id, str(rate)) for rate in rows]


def _tax_field(**kwargs: Any) -> serializers.Field:
    return serializers.CharField(allow_null=True, max_length=64, **kwargs)


def _synced_tax(name: str, provider_name: str) -> Any:
    def check(integration: "Integration", value: str | None) -> str | None:
        if value is None:
            return None
        if value not in dict(synced_taxes(integration)):
            raise ValidationError(
                {
                    name: [
                        _(
                            "Pick one of your %(provider)s taxes (Sync now refreshes them from "
                            "%(provider)s)."
                        )
                        % {"provider": provider_name}
                    ]
                }
            )
        return value

    return check


def tax_code_options(provider_name: str) -> tuple[ConnectionOption, ConnectionOption]:
    """The two options: the input VAT tax and the output VAT (reverse charge) tax."""
    return (
        ConnectionOption(
            name=INPUT_VAT_TAX,
            label=gettext_lazy("Input VAT tax"),
            help=gettext_lazy(
                "The tax the input VAT line is booked with, so that the books' VAT return "
                "counts it (the line still goes to the Input VAT account). None: the line "
                "names its account only."
            ),
            default=None,
            kind="choice",
            api_field=_tax_field,
            check=_synced_tax(INPUT_VAT_TAX, provider_name),
            choices=synced_taxes,
        ),
        ConnectionOption(
            name=OUTPUT_VAT_TAX,
            label=gettext_lazy("Output VAT tax (reverse charge)"),
            help=gettext_lazy(
                "The tax the output VAT line of a reverse-charged foreign service is booked "
                "with (the line goes to the Output VAT account). None: the line names its "
                "account only."
            ),
            default=None,
            kind="choice",
            api_field=_tax_field,
            check=_synced_tax(OUTPUT_VAT_TAX, provider_name),
            choices=synced_taxes,
        ),
    )
