"""Coding rules (issue 19), the finance team's writes: a rule proposes an account for
transactions matching all its conditions; lower priority first, the first match wins;
`auto_verify` verifies at once. Saved with its conditions checked and stored normalized (the
merchant text as `merchants` compares it), audited. Applying the rules is `suggestions`.
"""

from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.utils.translation import gettext as _

from accounting.models import Budget, Card, Employee, Rule, Suggestion, TransactionType
from accounting.services.merchants import normalize_merchant
from accounting.services.verification import _assignable_account, _require_source_account
from sifi.exceptions import Conflict
from sifi.models import Organization
from sifi.services import record_audit

MAX_RULES = 200
MAX_TEXT = 100


def _clean_conditions(organization: Organization, raw: Any) -> dict[str, Any]:
    """Conditions as stored: known names only, at least one, values checked and resolved to
    this organization's budget/employee/card ids; a 400 naming what is wrong otherwise."""
    if not isinstance(raw, dict):
        raise ValidationError({"conditions": [_("Give the conditions as an object.")]})
    unknown = sorted(set(raw) - set(Rule.CONDITIONS))
    if unknown:
        raise ValidationError(
            {
                "conditions": [
                    _("Unknown condition %(names)s; use %(known)s.")
                    % {"names": ", ".join(unknown), "known": ", ".join(Rule.CONDITIONS)}
                ]
            }
        )
    given = {name: value for name, value in raw.items() if value not in (None, "")}
    if not given:
        raise ValidationError(
            {
                "conditions": [
                    _(
                        "Give at least one condition: a rule without one would match every "
                        "transaction."
                    )
                ]
            }
        )
    cleaned: dict[str, Any] = {}
    for name in ("merchant_contains", "merchant_equals"):
        if name in given:
            text = normalize_merchant(str(given[name]))
            if not text or len(text) > MAX_TEXT:
                raise ValidationError(
                    {"conditions": [_("%(name)s: type 1 to 100 letters.") % {"name": name}]}
                )
            cleaned[name] = text
    for name, model in (("budget", Budget), ("employee", Employee), ("card", Card)):
        if name in given:
            cleaned[name] = _owned_id(organization, model, name, given[name])
    if "type" in given:
        if given["type"] not in TransactionType.values:
            raise ValidationError(
                {
                    "conditions": [
                        _("type: one of %(types)s.") % {"types": ", ".join(TransactionType.values)}
                    ]
                }
            )
        cleaned["type"] = given["type"]
    for name in ("amount_min", "amount_max"):
        if name in given:
            try:
                amount = Decimal(str(given[name])).quantize(Decimal("0.01"))
            except (InvalidOperation, ValueError):
                amount = Decimal("-1")
            if amount < 0 or amount > Decimal("9999999999999999.99"):
                raise ValidationError(
                    {"conditions": [_("%(name)s: an amount of 0 or more.") % {"name": name}]}
                )
            cleaned[name] = str(amount)
    low, high = cleaned.get("amount_min"), cleaned.get("amount_max")
    if low is not None and high is not None and Decimal(low) > Decimal(high):
        raise ValidationError({"conditions": [_("amount_max is below amount_min.")]})
    return cleaned


def _owned_id(organization: Organization, model: Any, name: str, value: Any) -> int:
    text = str(value).strip()
    found = None
    if text.isascii() and text.isdigit():
        found = model.objects.filter(organization=organization, pk=int(text)).first()
    if found is None and model is Budget:  # a budget may be named ("Marketing Campaign 2025")
        found = Budget.objects.filter(organization=organization, name=text).first()
    if found is None:
        raise ValidationError(
            {"conditions": [_("%(name)s: not one of your organization's.") % {"name": name}]}
        )
    return int(found.pk)


def _snapshot(rule: Rule) -> dict[str, Any]:
    return {
        "name": rule.name,
        "priority": rule.priority,
        "enabled": rule.enabled,
        "conditions": rule.conditions,
        "account": rule.account_id,
        "auto_verify": rule.auto_verify,
        "reverse_charge": rule.reverse_charge,
    }


@transaction.atomic
def save_rule(
    *, organization: Organization, actor: Any, rule_id: int | None = None, **fields: Any
) -> Rule:
    """Create a rule, or change the given fields of one; audited. The account must be one a
    transaction can take (posting, active, not the Source Account)."""
    if rule_id is None:
        if Rule.objects.filter(organization=organization).count() >= MAX_RULES:
            raise Conflict(_("At most %(n)s rules per organization.") % {"n": MAX_RULES})
        rule = Rule(
            organization=organization, created_by=actor if getattr(actor, "pk", None) else None
        )
        before = None
        missing = [name for name in ("name", "conditions", "account") if name not in fields]
        if missing:
            raise ValidationError({name: [_("This field is required.")] for name in missing})
    else:
        rule = _rule_for_update(organization=organization, rule_id=rule_id)
        before = _snapshot(rule)
    if "name" in fields:
        name = str(fields["name"] or "").strip()
        if not name or len(name) > 120:
            raise ValidationError({"name": [_("Give the rule a name (up to 120 characters).")]})
        rule.name = name
    if "conditions" in fields:
        rule.conditions = _clean_conditions(organization, fields["conditions"])
    if "account" in fields:
        source = _require_source_account(organization)
        rule.account = _assignable_account(
            organization=organization, account_id=fields["account"], source=source
        )
    for name in ("priority", "enabled", "auto_verify", "reverse_charge"):
        if name in fields:
            setattr(rule, name, fields[name])
    rule.save()
    record_audit(
        organization=organization,
        actor=actor,
        action="rule.created" if before is None else "rule.changed",
        target_type="rule",
        target_id=rule.pk,
        before=before,
        after=_snapshot(rule),
    )
    return rule


def _rule_for_update(*, organization: Organization, rule_id: int) -> Rule:
    try:
        return Rule.objects.select_for_update().get(organization=organization, pk=rule_id)
    except Rule.DoesNotExist:
        raise Http404("No such rule.") from None


@transaction.atomic
def delete_rule(*, organization: Organization, actor: Any, rule_id: int) -> None:
    """Remove a rule; the suggestions it made go with it (audited)."""
    rule = _rule_for_update(organization=organization, rule_id=rule_id)
    before = _snapshot(rule)
    Suggestion.objects.filter(rule=rule).delete()  # one statement, however many
    rule.delete()
    record_audit(
        organization=organization,
        actor=actor,
        action="rule.deleted",
        target_type="rule",
        target_id=rule_id,
        before=before,
    )
