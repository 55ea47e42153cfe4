"""The chart of accounts, mirrored from the organization's accounting system."""

import re
from typing import ClassVar

from django.db import models
from django.utils.translation import get_language

from sifi.models import Organization

# Words of a type or group type ("Asset", "asset_cash", "other_current_liability", "EXPENSE")
# that say on which side of the balance an account sits, whatever the provider's vocabulary.
_ASSET_WORDS = frozenset({"asset", "assets"})
_OTHER_CLASS_WORDS = frozenset(
    {"liability", "liabilities", "equity", "income", "revenue", "expense", "expenses"}
)
_LIABILITY_WORDS = frozenset({"liability", "liabilities"})

# Providers' ids are strings in our tables (an integer id is stored as its digits).
EXTERNAL_ID_LENGTH = 64


class Account(models.Model):
    """One account of an organization's chart, mirrored from its accounting system (`provider`)
    and upserted by the provider's own id (`external_id`).

    Accounts gone upstream become inactive, never deleted: transactions may point at them.
    """

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="accounts"
    )
    # Which accounting system the account mirrors (a key of settings.ACCOUNTING_PROVIDERS): an
    # organization that moves its books keeps the old chart beside the new one.
    provider = models.CharField(max_length=32)
    # The provider's own id, as a string whatever its type there ("1038", "acc_9f2",
    # "460000000038029").
    external_id = models.CharField(max_length=EXTERNAL_ID_LENGTH)
    code = models.CharField(max_length=64)
    name_en = models.CharField(max_length=255, blank=True)
    name_ar = models.CharField(max_length=255, blank=True)
    type = models.CharField(max_length=64, blank=True)
    group_type = models.CharField(max_length=128, blank=True)
    parent = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="children"
    )
    receive_payments = models.BooleanField(default=False)
    active = models.BooleanField(default=True)
    # A heading has sub-accounts in the chart ("1 · Assets"): entries are booked on posting
    # accounts only, so a heading cannot be assigned nor be the Source or Input VAT account.
    is_heading = models.BooleanField(default=False)
    # How often this organization assigned it: account search shows the most used first.
    times_assigned = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["organization", "provider", "external_id"],
                name="account_unique_external_id",
            ),
        ]
        indexes: ClassVar = [models.Index(fields=["organization", "code"])]
        ordering: ClassVar = ["code"]

    def __str__(self) -> str:
        """ "code · name", the name in the language of the page (or API answer) being drawn:
        an Arabic reader sees the Arabic name wherever the provider gave one."""
        return f"{self.code} · {self.name}"

    @property
    def name(self) -> str:
        """The account's name in the active language, else the other one."""
        return self.name_in(get_language())

    def name_in(self, language: str | None) -> str:
        if (language or "").startswith("ar"):
            return self.name_ar or self.name_en
        return self.name_en or self.name_ar

    @property
    def record_label(self) -> str:
        """ "code · name" as records keep it (audit lines, whoever's language): English first,
        as the ledger's SQL writes it (`verification.bulk_assign`)."""
        return f"{self.code} · {self.name_in('en')}"

    @property
    def is_asset(self) -> bool | None:
        """Whether the account is an asset by its type (else its group type): True, False
        (a liability, equity, income or expense), or None when neither says."""
        for label in (self.type, self.group_type):
            words = set(re.split(r"[^a-z]+", label.lower()))
            if words & _ASSET_WORDS:
                return True
            if words & _OTHER_CLASS_WORDS:
                return False
        return None

    @property
    def is_liability(self) -> bool | None:
        """Whether the account is a liability by its type (else its group type): True, False
        (an asset, equity, income or expense), or None when neither says."""
        for label in (self.type, self.group_type):
            words = set(re.split(r"[^a-z]+", label.lower()))
            if words & _LIABILITY_WORDS:
                return True
            if words & (_ASSET_WORDS | _OTHER_CLASS_WORDS):
                return False
        return None
