"""The organization's accounting choices (SPEC §8 `GET/PATCH /api/v1/accounting/settings/`)."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from sifi.models import Organization


class VatReclaim(models.TextChoices):
    """Which VAT is booked as input VAT when a transaction syncs."""

    AS_REPORTED = "as_reported", _("Reclaim the VAT SiFi reports")
    BACKED_ONLY = "backed_only", _("Reclaim only VAT backed by a tax invoice")


class PostingDatePolicy(models.TextChoices):
    """Which date an entry is booked on when the books are closed on the transaction's date."""

    TRANSACTION_DATE = (
        "transaction_date",
        _("The transaction's date (fails if the books are closed)"),
    )
    FIRST_OPEN_DAY = "first_open_day", _("The first open day when the books are closed")


class AccountingSettings(models.Model):
    """One row per organization, made on first use; a missing row means the defaults."""

    organization = models.OneToOneField(
        Organization, on_delete=models.CASCADE, related_name="accounting_settings"
    )
    vat_reclaim = models.CharField(
        max_length=16, choices=VatReclaim.choices, default=VatReclaim.AS_REPORTED
    )
    posting_date_policy = models.CharField(
        max_length=16, choices=PostingDatePolicy.choices, default=PostingDatePolicy.TRANSACTION_DATE
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "accounting settings"

    def __str__(self) -> str:
        return f"accounting settings of {self.organization_id}"
