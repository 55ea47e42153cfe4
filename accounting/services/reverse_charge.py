"""Reverse charge for foreign services (issue 27): a service bought from abroad (cloud
software billed by a foreign company) carries no Saudi VAT, and the buyer accounts for it
itself: output VAT and input VAT at 15 % of the amount, each on its own line, so the VAT
return's reverse-charge box is right (`journal.journal_entry_for(reverse_charge=True)`).

Which transactions: those whose merchant the finance team ticked (`ReverseChargeMerchant`,
compared as `merchants` compares merchants), or that an enabled rule ticked "reverse charge"
matches (every condition of it, as the rules match in SQL). Decided when the entry is built,
so ticking a merchant applies to what has not synced yet.
"""

from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounting.models import ReverseChargeMerchant, Rule, Transaction
from accounting.services.merchants import normalize_merchant
from sifi.models import Organization
from sifi.services import record_audit


def rule_matches(rule: Rule, txn: Transaction) -> bool:
    """Whether every condition of `rule` holds for `txn` (the Python twin of the rules' SQL,
    `suggestions._rule_condition`)."""
    conditions = rule.conditions
    if not conditions:
        return False
    merchant = normalize_merchant(txn.merchant)
    checks = {
        "merchant_contains": lambda value: str(value) in merchant,
        "merchant_equals": lambda value: merchant == str(value),
        "budget": lambda value: txn.budget_id == int(value),
        "employee": lambda value: txn.employee_id == int(value),
        "card": lambda value: txn.card_id == int(value),
        "type": lambda value: txn.type == value,
        "amount_min": lambda value: txn.amount >= Decimal(value),
        "amount_max": lambda value: txn.amount <= Decimal(value),
    }
    return all(name in checks and checks[name](value) for name, value in conditions.items())


def merchant_ticked(*, organization_id: int, merchant: str) -> bool:
    """Whether the organization ticked this merchant as a foreign service."""
    key = normalize_merchant(merchant)
    return bool(key) and (
        ReverseChargeMerchant.objects.filter(
            organization_id=organization_id, merchant_key=key
        ).exists()
    )


def is_reverse_charged(txn: Transaction) -> bool:
    """Whether `txn` is a foreign service to reverse-charge: its merchant is ticked, or an
    enabled rule ticked "reverse charge" matches it. At most two queries."""
    if merchant_ticked(organization_id=txn.organization_id, merchant=txn.merchant):
        return True
    rules = Rule.objects.filter(
        organization_id=txn.organization_id, enabled=True, reverse_charge=True
    )
    return any(rule_matches(rule, txn) for rule in rules)


@transaction.atomic
def set_merchant_reverse_charge(
    *, organization: Organization, actor: Any, merchant: str, reverse_charge: bool
) -> ReverseChargeMerchant | None:
    """Tick (or untick) a merchant as a foreign service: its transactions not synced yet are
    booked with reverse-charge VAT. Idempotent; audited when something changed. A 400 on
    `merchant` for an empty one."""
    merchant = " ".join(str(merchant or "").split())
    key = normalize_merchant(merchant)
    if not key or len(merchant) > 255:
        raise ValidationError({"merchant": [_("Give the merchant's name (up to 255 characters).")]})
    found = ReverseChargeMerchant.objects.filter(organization=organization, merchant_key=key)
    if not reverse_charge:
        existing = found.first()
        if existing is not None:
            existing_id = existing.pk
            existing.delete()
            record_audit(
                organization=organization,
                actor=actor,
                action="reverse_charge_merchant.removed",
                target_type="reverse_charge_merchant",
                target_id=existing_id,
                before={"merchant": existing.merchant},
            )
        return None
    ticked, created = ReverseChargeMerchant.objects.get_or_create(
        organization=organization,
        merchant_key=key,
        defaults={
            "merchant": merchant,
            "created_by": actor if getattr(actor, "pk", None) else None,
        },
    )
    if created:
        record_audit(
            organization=organization,
            actor=actor,
            action="reverse_charge_merchant.added",
            target_type="reverse_charge_merchant",
            target_id=ticked.pk,
            after={"merchant": ticked.merchant},
        )
    return ticked
