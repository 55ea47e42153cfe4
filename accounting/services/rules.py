"""Coding rules and suggestions (issue 19): most transactions arrive with their account
already proposed.

- A **rule** (a finance team's) proposes an account for transactions matching all its
  conditions; lower priority first, the first match wins; `auto_verify` verifies at once.
- Without a matching rule, the organization's own **history** proposes the account when it is
  consistent: at least two assigned transactions of the same merchant, all to one account.
- Suggestions are applied **in bulk**: one statement decides every target transaction (a
  CASE over the rules, the history joined by merchant), at ingestion and whenever rules
  change; auto-verification goes through the bulk assignment, audited like a person's.
Merchants compare case- and diacritics-insensitively, in Arabic and English: the same
normalization in Python (a rule's text) and in SQL (the transactions' merchants).
"""

import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import EmptyResultSet, ValidationError
from django.db import connection, transaction
from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from accounting.models import (
    Budget,
    Card,
    Employee,
    Rule,
    Suggestion,
    Transaction,
    TransactionStatus,
    TransactionType,
)
from accounting.services.verification import (
    BulkAssignResult,
    _assignable_account,
    _require_source_account,
    bulk_assign,
)
from sifi.exceptions import Conflict, DomainError
from sifi.models import Organization
from sifi.services import record_audit

# Arabic short vowels and marks, Quranic marks, the tatweel: ignored when comparing.
_MARKS = "\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640"
# Letters written several ways, folded to one: alef forms, alef maqsura, ta marbuta; and the
# accented Latin letters of merchant names ("Café").
_FOLDS = {
    "أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ى": "ي", "ة": "ه",  # noqa: RUF001
    "à": "a", "á": "a", "â": "a", "ä": "a", "ã": "a", "å": "a", "ç": "c", "è": "e", "é": "e",
    "ê": "e", "ë": "e", "ì": "i", "í": "i", "î": "i", "ï": "i", "ñ": "n", "ò": "o", "ó": "o",
    "ô": "o", "ö": "o", "õ": "o", "ù": "u", "ú": "u", "û": "u", "ü": "u",
    # PostgreSQL's lower() leaves these as they are in a database with the C locale.
    "À": "a", "Á": "a", "Â": "a", "Ä": "a", "Ã": "a", "Å": "a", "Ç": "c", "È": "e", "É": "e",
    "Ê": "e", "Ë": "e", "Ì": "i", "Í": "i", "Î": "i", "Ï": "i", "Ñ": "n", "Ò": "o", "Ó": "o",
    "Ô": "o", "Ö": "o", "Õ": "o", "Ù": "u", "Ú": "u", "Û": "u", "Ü": "u",
}  # fmt: skip
_FOLD_FROM = "".join(_FOLDS)
_FOLD_TO = "".join(_FOLDS.values())
_MARKS_RE = re.compile(f"[{_MARKS}]")
_MARK_CHARS = (
    "".join(
        chr(code)
        for start, end in ((0x610, 0x61A), (0x64B, 0x65F), (0x6D6, 0x6ED))
        for code in range(start, end + 1)
    )
    + "\u0670\u0640"
)


def _sql_merchant(column: str) -> str:
    """The same in SQL, on a column: lower case, letters folded and marks dropped in one
    translate() (characters past the end of its third argument are deleted), runs of up to
    four spaces made one, ends trimmed: plain string functions, no regular expression (100,000
    merchants a second instead of 30,000)."""
    folded = f"translate(lower({column}), '{_FOLD_FROM}{_MARK_CHARS}', '{_FOLD_TO}')"
    return f"btrim(replace(replace({folded}, '  ', ' '), '  ', ' '))"


MAX_RULES = 200
MAX_TEXT = 100


def normalize_merchant(text: str) -> str:
    """How merchants are compared: "مَكتبة جرير" and "مكتبه جرير", "CAFÉ  Riyadh" and
    "cafe riyadh" match (marks dropped, letter forms folded, runs of spaces made one: exactly
    what _sql_merchant does in SQL)."""
    folded = _MARKS_RE.sub("", unicodedata.normalize("NFC", text).lower())
    folded = folded.translate(str.maketrans(_FOLD_FROM, _FOLD_TO))
    return folded.replace("  ", " ").replace("  ", " ").strip(" ")


@dataclass
class ApplyResult:
    suggested: int = 0
    verified: int = 0


# --- rules: the finance team's writes ----------------------------------------------------------


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
    for name in ("priority", "enabled", "auto_verify"):
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


# --- suggestions: one statement for any number of transactions ---------------------------------


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
        merchant_key=_sql_merchant("target.merchant"),
        history_key=_sql_merchant("t.merchant"),
        targets=targets_sql,
        rule_case=rule_case,
    )
    params = [
        *targets_params,
        organization.pk,
        *case_params,
        [rule.account_id for rule in rules],
        [rule.pk for rule in rules],
        [f"rule: {rule.name} → {rule.account}" for rule in rules],
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
