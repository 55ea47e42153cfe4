"""Rules waiting for their account (`PendingRule`): written before the organization's chart
is there (the demo's, seeded before Demo Trading Co. connects its books), they become rules
as soon as the chart has their account and a Source Account is set, the two things a rule
needs (`rules.save_rule`). Configuring the Source Account adopts them."""

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from accounting import tasks
from accounting.models import Account, PendingRule, Rule
from accounting.services.rules import save_rule
from accounting.services.verification import source_account_for
from sifi.exceptions import Conflict
from sifi.models import Organization


def add_pending_rule(
    *,
    organization: Organization,
    name: str,
    conditions: dict[str, Any],
    account_code: str,
    priority: int = 100,
) -> PendingRule | None:
    """Keep a rule to create once the chart has `account_code`; None when the organization
    has a rule of that name already (idempotent: seeding twice adds nothing)."""
    if Rule.objects.filter(organization=organization, name=name).exists():
        return None
    pending, _created = PendingRule.objects.get_or_create(
        organization=organization,
        name=name,
        defaults={"conditions": conditions, "account_code": account_code, "priority": priority},
    )
    return pending


@transaction.atomic
def adopt_pending_rules(*, organization: Organization, reapply: bool = True) -> list[Rule]:
    """Turn each pending rule whose account the organization's chart (its books' chart, the
    Source Account's provider) now has into a rule; the others wait. With `reapply`, the
    organization's unverified transactions get their proposals again once this commits."""
    source = source_account_for(organization)
    if source is None:
        return []
    adopted: list[Rule] = []
    for pending in PendingRule.objects.select_for_update().filter(organization=organization):
        account = (
            Account.objects.filter(
                organization=organization,
                provider=source.provider,
                code=pending.account_code,
                active=True,
                is_heading=False,
            )
            .exclude(pk=source.pk)
            .first()
        )
        if account is None:
            continue
        if not Rule.objects.filter(organization=organization, name=pending.name).exists():
            try:
                with transaction.atomic():
                    adopted.append(
                        save_rule(
                            organization=organization,
                            actor=None,
                            name=pending.name,
                            priority=pending.priority,
                            conditions=pending.conditions,
                            account=account.pk,
                        )
                    )
            except (ValidationError, Conflict):
                continue  # its conditions no longer hold (a card gone...): it keeps waiting
        pending.delete()
    if adopted and reapply:
        transaction.on_commit(lambda: tasks.reapply_rules.delay(organization.pk))
    return adopted
