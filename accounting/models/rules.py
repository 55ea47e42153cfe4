"""Coding rules, and the account each proposes (or the history proposes) for an unverified
transaction (accounting/services/rules.py, suggestions.py)."""

from typing import ClassVar

from django.conf import settings
from django.db import models

from accounting.models.chart import Account
from sifi.models import Organization


class Rule(models.Model):
    """A finance team's coding rule: transactions that match every condition are proposed
    `account` (or verified with it at once, `auto_verify`). Lower `priority` is tried first;
    the first match wins."""

    CONDITIONS = (
        "merchant_contains",
        "merchant_equals",
        "budget",
        "employee",
        "card",
        "type",
        "amount_min",
        "amount_max",
    )

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="rules")
    name = models.CharField(max_length=120)
    priority = models.PositiveIntegerField(default=100)
    enabled = models.BooleanField(default=True)
    # {"merchant_contains": "careem", "budget": 3, "amount_max": "500.00", ...}: all must match.
    conditions = models.JSONField(default=dict)
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="rules")
    auto_verify = models.BooleanField(default=False)
    # Foreign services (cloud software billed from abroad): the transactions this rule matches
    # are booked with reverse-charge VAT (accounting/services/reverse_charge.py), whichever
    # rule proposed their account.
    reverse_charge = models.BooleanField(default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering: ClassVar = ["priority", "id"]
        indexes: ClassVar = [models.Index(fields=["organization", "priority"])]

    def __str__(self) -> str:
        return self.name


class PendingRule(models.Model):
    """A rule written before the chart it names is there: it proposes the account with code
    `account_code`, and becomes a `Rule` once the organization has that account and a Source
    Account (`accounting.services.pending_rules`). The demo's rules start so: they exist
    before Demo Trading Co. connects its books."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="pending_rules"
    )
    name = models.CharField(max_length=120)
    priority = models.PositiveIntegerField(default=100)
    conditions = models.JSONField(default=dict)
    account_code = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering: ClassVar = ["priority", "id"]
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["organization", "name"], name="pending_rule_unique_name"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} → {self.account_code}"


class Suggestion(models.Model):
    """The account proposed for an unverified transaction: by the first matching rule, else by
    the organization's consistent history for the merchant (accounting/services/suggestions.py).

    A narrow table of its own: proposing accounts for 100,000 transactions writes these small
    rows, not 100,000 wide transaction rows and every index on them."""

    transaction = models.OneToOneField(
        "accounting.Transaction",
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="suggestion",
    )
    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="+", db_index=False, db_constraint=False
    )
    rule = models.ForeignKey(
        Rule,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="suggestions",
        db_index=False,  # only a rule's deletion looks suggestions up by it
        db_constraint=False,
    )
    reason = models.CharField(max_length=255, blank=True)

    def __str__(self) -> str:
        return f"{self.transaction_id} → {self.account_id}"


class ReverseChargeMerchant(models.Model):
    """A merchant whose services the organization buys from abroad: its transactions are
    booked with reverse-charge VAT (output and input VAT at 15 %, each on its own line).
    Keyed by the merchant as `accounting.services.merchants` compares merchants."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="reverse_charge_merchants"
    )
    merchant_key = models.CharField(max_length=255)  # normalize_merchant(merchant)
    merchant = models.CharField(max_length=255)  # as first ticked, to show
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering: ClassVar = ["merchant_key"]
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["organization", "merchant_key"], name="reverse_charge_merchant_unique"
            )
        ]

    def __str__(self) -> str:
        return self.merchant
