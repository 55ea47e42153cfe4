"""Suggestions (issue 19): most transactions arrive with their account already proposed.

- The first matching **rule** (`rules`) proposes its account; `auto_verify` verifies at once.
- Without a matching rule, the organization's own **history** proposes the account when it is
  consistent: at least two assigned transactions of the same merchant, all to one account.
- Suggestions are applied **in bulk**: one statement decides every target transaction (a
  CASE over the rules, the history joined by merchant), at ingestion and whenever rules
  change; auto-verification goes through the bulk assignment, audited like a person's.
Merchants compare as `merchants` normalizes them, the same in SQL as in Python.
"""

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import EmptyResultSet, ValidationError
from django.db import connection, transaction
from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from accounting.models import Rule, Transaction, TransactionStatus
from accounting.services.merchants import sql_merchant
from accounting.services.verification import BulkAssignResult, bulk_assign
from sifi.exceptions import DomainError
from sifi.models import Organization


@dataclass
class ApplyResult:
    suggested: int = 0
    verified: int = 0


def _rule_condition(rule: Rule) -> tuple[str, list[Any]]:
    parts: list[str] = []
    params: list[Any] = []
    conditions = rule.conditions
    if "merchant_contains" in conditions:
        parts.append("position(%s in target.merchant_key) > 0")
        params.append(conditions["merchant_contains"])
    if "merchant_equals" in conditions:
        parts.append("target.merchant_key = %s")
        params.append(conditions["merchant_equals"])
    for name, column in (("budget", "budget_id"), ("employee", "employee_id"), ("card", "card_id")):
        if name in conditions:
            parts.append(f"target.{column} = %s")
            params.append(int(conditions[name]))
    if "type" in conditions:
        parts.append("target.type = %s")
        params.append(conditions["type"])
    if "amount_min" in conditions:
        parts.append("target.amount >= %s")
        params.append(Decimal(conditions["amount_min"]))
    if "amount_max" in conditions:
        parts.append("target.amount <= %s")
        params.append(Decimal(conditions["amount_max"]))
    return " AND ".join(parts) or "FALSE", params


_APPLY_SQL = """
WITH target AS MATERIALIZED (
    SELECT target.*, {merchant_key} AS merchant_key FROM ({targets}) AS target
), history AS (
    SELECT {history_key} AS merchant_key, min(t.account_id) AS account_id, count(*) AS n
    FROM accounting_transaction t
    WHERE t.organization_id = %s AND t.account_id IS NOT NULL AND t.merchant <> ''
      AND t.status IN ('verified', 'syncing', 'synced')
      AND {history_key} IN (SELECT merchant_key FROM target WHERE merchant_key <> '')
    GROUP BY 1
    HAVING count(*) >= 2 AND count(DISTINCT t.account_id) = 1
), decided AS (
    SELECT target.id, target.merchant, {rule_case} AS rule_index,
           history.account_id AS history_account, history.n AS history_n
    FROM target LEFT JOIN history ON history.merchant_key = target.merchant_key
), chosen AS (
    SELECT decided.id,
           CASE WHEN rule_index IS NOT NULL THEN (%s::bigint[])[rule_index]
                ELSE history_account END AS account_id,
           CASE WHEN rule_index IS NOT NULL THEN (%s::bigint[])[rule_index] END AS rule_id,
           left(CASE WHEN rule_index IS NOT NULL THEN (%s::text[])[rule_index]
                WHEN history_account IS NOT NULL THEN
                    format('last %%s of %%s %%s transactions went to %%s', history_n, history_n,
                           left(decided.merchant, 60),
                           a.code || ' · ' || COALESCE(NULLIF(a.name_en, ''), a.name_ar))
                ELSE '' END, 255) AS reason
    FROM decided
    LEFT JOIN accounting_account a ON a.id = decided.history_account AND rule_index IS NULL
), proposed AS (
    INSERT INTO accounting_suggestion (transaction_id, account_id, rule_id, reason)
    SELECT id, account_id, rule_id, reason FROM chosen WHERE account_id IS NOT NULL
    ON CONFLICT (transaction_id) DO UPDATE
       SET account_id = EXCLUDED.account_id, rule_id = EXCLUDED.rule_id, reason = EXCLUDED.reason
       WHERE (accounting_suggestion.account_id, accounting_suggestion.rule_id,
              accounting_suggestion.reason)
             IS DISTINCT FROM (EXCLUDED.account_id, EXCLUDED.rule_id, EXCLUDED.reason)
    RETURNING 1
), withdrawn AS (
    DELETE FROM accounting_suggestion s USING chosen
    WHERE s.transaction_id = chosen.id AND chosen.account_id IS NULL
    RETURNING 1
)
SELECT (SELECT count(*) FROM chosen WHERE account_id IS NOT NULL),
       (SELECT count(*) FROM proposed), (SELECT count(*) FROM withdrawn)
"""


@transaction.atomic
def apply_rules(
    *,
    organization: Organization,
    matching: QuerySet[Transaction] | None = None,
    ids: list[int] | None = None,
) -> ApplyResult:
    """Propose an account for the organization's unverified transactions (all, those
    `matching`, or the given ids), then verify those an auto-verify rule matched.

    Set-based: one statement for the suggestions however many transactions, one bulk
    assignment per auto-verify rule. Idempotent: a transaction whose suggestion is unchanged
    is not written."""
    rules = list(
        Rule.objects.filter(organization=organization, enabled=True).select_related("account")
    )
    # The filter's own conditions, not `id IN (the filter)`: PostgreSQL then walks the list
    # index the filter uses instead of joining every unverified row with it.
    targets = (matching if matching is not None else Transaction.objects.all()).filter(
        organization=organization, status=TransactionStatus.UNVERIFIED
    )
    if ids is not None:
        targets = targets.filter(pk__in=ids)
    columns = ("id", "budget_id", "employee_id", "card_id", "type", "amount", "merchant")
    try:
        targets_sql, targets_params = targets.order_by().values(*columns).query.sql_with_params()
    except EmptyResultSet:
        return ApplyResult()
    cases, case_params = [], []
    for index, rule in enumerate(rules, start=1):
        condition, params = _rule_condition(rule)
        cases.append(f"WHEN {condition} THEN {index}")
        case_params += params
    rule_case = f"CASE {' '.join(cases)} END" if cases else "NULL::int"
    sql = _APPLY_SQL.format(
        merchant_key=sql_merchant("target.merchant"),
        history_key=sql_merchant("t.merchant"),
        targets=targets_sql,
        rule_case=rule_case,
    )
    params = [
        *targets_params,
        organization.pk,
        *case_params,
        [rule.account_id for rule in rules],
        [rule.pk for rule in rules],
        [f"rule: {rule.name} → {rule.account.record_label}" for rule in rules],
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        suggested, _written, _withdrawn = cursor.fetchone()
    verified = 0
    for rule in rules:
        if rule.auto_verify:
            verified += _auto_verify(organization, rule, targets).updated
    return ApplyResult(suggested=suggested, verified=verified)


def _auto_verify(
    organization: Organization, rule: Rule, targets: QuerySet[Transaction]
) -> BulkAssignResult:
    """What `rule` matched, verified with its account; the audit names the rule as the actor."""
    matched = targets.filter(suggestion__rule=rule, suggestion__account=rule.account_id)
    try:
        with transaction.atomic():
            return bulk_assign(
                organization=organization,
                actor=f"rule: {rule.name}",
                account_id=rule.account_id,
                matching=matched,
            )
    except (DomainError, ValidationError):
        # No Source Account yet, or the account can no longer be assigned: the transactions
        # keep the suggestion, and a person decides.
        return BulkAssignResult(updated=0)


def accept_suggestions(
    *,
    organization: Organization,
    actor: Any,
    ids: list[int] | None = None,
    matching: QuerySet[Transaction] | None = None,
) -> BulkAssignResult:
    """Verify transactions with their suggested accounts (the selection or the filter): one
    bulk assignment per suggested account, all or nothing; the answer has the bulk-assign
    shape, transactions without a suggestion (or not editable) among the skipped."""
    if (ids is None) == (matching is None):
        raise ValidationError({"detail": ["Give either ids or a filter."]})
    candidates = (
        Transaction.objects.filter(organization=organization, pk__in=ids)
        if ids is not None
        else matching.filter(organization=organization)  # type: ignore[union-attr]
    )
    if ids is not None:
        found = set(candidates.values_list("pk", flat=True))
        missing = sorted(set(ids) - found)
        if missing:
            raise Http404(f"No such transactions: {', '.join(str(pk) for pk in missing[:20])}.")
    with transaction.atomic():
        suggested = candidates.filter(status=TransactionStatus.UNVERIFIED, suggestion__isnull=False)
        accounts = list(
            suggested.order_by().values_list("suggestion__account", flat=True).distinct()
        )
        result = BulkAssignResult(updated=0)
        for account_id in accounts:
            these = suggested.filter(suggestion__account=account_id)
            try:
                with transaction.atomic():
                    done = bulk_assign(
                        organization=organization,
                        actor=actor,
                        account_id=account_id,
                        matching=these,
                    )
            except ValidationError as refused:  # the account can no longer take entries
                reason = " ".join(refused.messages)
                rows = list(these.order_by("pk").values_list("pk", "reference")[:100])
                result.skipped += [
                    {"id": pk, "reference": ref, "reason": reason} for pk, ref in rows
                ]
                result.skipped_count += these.count()
                continue
            result.updated += done.updated
            result.skipped += done.skipped
            result.skipped_count += done.skipped_count
        without = candidates.filter(status=TransactionStatus.UNVERIFIED, suggestion__isnull=True)
        rows = list(without.order_by("pk").values_list("pk", "reference")[:100])
        result.skipped += [
            {"id": pk, "reference": ref, "reason": _("no suggestion")} for pk, ref in rows
        ]
        result.skipped_count += len(rows) if len(rows) < 100 else without.count()
    return result
