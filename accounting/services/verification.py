"""Verification: assign one account to a transaction (SPEC §4), unverify, bulk assign.

Rules, in one place:
- the direction decides the side: a debit transaction debits the assigned account and
  credits the Source Account; a credit transaction the other way round;
- the account must be in this organization's synced chart, active, and not the Source
  Account; a configured Source Account is required;
- synced transactions and transactions taken by a sync run cannot change (409 / skipped).
Every change writes an audit row in the same database transaction.

One module of about 400 lines on purpose: it is the one place these rules are written, and
every way of verifying (one transaction, in bulk in one statement, back to unverified when an
account can no longer take entries) applies them; split, the checks would drift apart.
"""

from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import EmptyResultSet, ValidationError
from django.db import connection, transaction
from django.db.models import F, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounting.models import (
    EDITABLE_STATUSES,
    Account,
    Transaction,
    TransactionStatus,
    status_in,
)
from accounting.providers import connection_for, provider_names
from sifi.exceptions import Conflict
from sifi.models import Organization, User
from sifi.services import bulk_audit_sql, record_audit

MAX_BULK_IDS = 10_000
MAX_REPORTED_SKIPS = 100

NOT_EDITABLE_REASONS: dict[str, str] = {  # translated where shown
    TransactionStatus.SYNCED: gettext_noop("already synced to %(provider)s"),
    TransactionStatus.SYNCING: gettext_noop("in a sync run"),
}


@dataclass
class BulkAssignResult:
    updated: int
    skipped: list[dict[str, Any]] = field(default_factory=list)
    skipped_count: int = 0


def source_account_for(organization: Organization) -> Account | None:
    books = connection_for(organization)
    return books.source_account if books else None


def books_name(organization: Organization) -> str:
    """The name of the organization's accounting system, for the messages people read."""
    books = connection_for(organization)
    return str(books.provider.name) if books else provider_names()


def _require_source_account(organization: Organization) -> Account:
    source = source_account_for(organization)
    if source is None:
        raise Conflict(
            _("Set the Source Account in Settings → Integrations → %(provider)s before verifying.")
            % {"provider": books_name(organization)},
            code="source_account_missing",
        )
    return source


def _not_editable_reason(status: str, organization: Organization) -> str:
    return _(NOT_EDITABLE_REASONS[status]) % {"provider": books_name(organization)}


def _assignable_account(*, organization: Organization, account_id: Any, source: Account) -> Account:
    """The account to assign, or a 400 on the `account` field saying what is wrong with it."""
    try:
        account = Account.objects.get(organization=organization, pk=int(account_id))
    except (Account.DoesNotExist, TypeError, ValueError):
        raise ValidationError(
            {"account": [_("This account is not in your organization's chart of accounts.")]}
        ) from None
    if not account.active:
        raise ValidationError(
            {
                "account": [
                    _("Account %(account)s is inactive in %(provider)s; pick an active account.")
                    % {"account": account, "provider": books_name(organization)}
                ]
            }
        )
    if account.is_heading:
        raise ValidationError(
            {
                "account": [
                    _(
                        "Account %(account)s is a heading (it has sub-accounts); entries are "
                        "booked on one of its sub-accounts."
                    )
                    % {"account": account}
                ]
            }
        )
    if account.provider != source.provider:
        raise ValidationError(
            {
                "account": [
                    _(
                        "Account %(account)s is not in the chart of %(provider)s, where this "
                        "organization keeps its books now; pick one of its accounts."
                    )
                    % {"account": account, "provider": books_name(organization)}
                ]
            }
        )
    if account.pk == source.pk:
        raise ValidationError(
            {
                "account": [
                    _(
                        "Account %(account)s is the Source Account (the wallet); it is already "
                        "the other side of every entry."
                    )
                    % {"account": account}
                ]
            }
        )
    return account


def _person(actor: Any) -> User | None:
    return actor if isinstance(actor, User) else None


def _snapshot(txn: Transaction) -> dict[str, Any]:
    account = txn.account
    return {
        "status": txn.status,
        "account": txn.account_id,
        "account_label": account.record_label if account else None,
    }


def _editable_or_409(txn: Transaction) -> None:
    if not txn.is_editable:
        raise Conflict(
            _("Transaction %(reference)s is %(state)s; it cannot be changed.")
            % {
                "reference": txn.reference,
                "state": _not_editable_reason(txn.status, txn.organization),
            },
            code=f"transaction_{txn.status}",
        )


def _locked_transaction(*, organization: Organization, transaction_id: int) -> Transaction:
    try:
        return (
            Transaction.objects.select_for_update(of=("self",))
            .select_related("account")
            .get(organization=organization, pk=transaction_id)
        )
    except Transaction.DoesNotExist:
        raise Http404("No such transaction.") from None


def _set_verification(
    txn: Transaction,
    *,
    organization: Organization,
    actor: Any,
    action: str,
    account: Account | None,
) -> Transaction:
    """Verified with `account` by `actor`, or back to unverified when it is None; clears any
    reason and writes the audit row."""
    before = _snapshot(txn)
    txn.account = account
    txn.status = TransactionStatus.VERIFIED if account else TransactionStatus.UNVERIFIED
    txn.status_reason = ""
    txn.error_code = ""
    txn.verified_by = _person(actor) if account else None
    txn.verified_at = timezone.now() if account else None
    txn.save(
        update_fields=[
            "account",
            "status",
            "status_reason",
            "error_code",
            "verified_by",
            "verified_at",
            "updated_at",
        ]
    )
    if account is not None:
        _count_assignments(account, 1)
    record_audit(
        organization=organization,
        actor=actor,
        action=action,
        target_type="transaction",
        target_id=txn.pk,
        before=before,
        after=_snapshot(txn),
    )
    return txn


def _count_assignments(account: Account, times: int) -> None:
    """How often the organization picks this account (account search shows it earlier)."""
    if times:
        Account.objects.filter(pk=account.pk).update(times_assigned=F("times_assigned") + times)


@transaction.atomic
def assign_account(
    *, organization: Organization, actor: Any, transaction_id: int, account_id: Any
) -> Transaction:
    """Verify one transaction with `account` (or re-assign a verified or failed one)."""
    txn = _locked_transaction(organization=organization, transaction_id=transaction_id)
    _editable_or_409(txn)
    source = _require_source_account(organization)
    account = _assignable_account(organization=organization, account_id=account_id, source=source)
    return _set_verification(
        txn,
        organization=organization,
        actor=actor,
        action="transaction.assigned",
        account=account,
    )


@transaction.atomic
def unverify_transaction(
    *, organization: Organization, actor: Any, transaction_id: int
) -> Transaction:
    """Back to unverified (its account removed). Already unverified: nothing changes."""
    txn = _locked_transaction(organization=organization, transaction_id=transaction_id)
    _editable_or_409(txn)
    if txn.status == TransactionStatus.UNVERIFIED:
        return txn
    return _set_verification(
        txn,
        organization=organization,
        actor=actor,
        action="transaction.unverified",
        account=None,
    )


# One statement locks the editable candidates in id order (so overlapping bulk assignments
# queue behind each other instead of losing updates), updates them and writes their audit
# rows (`bulk_audit_sql`): 100,000 rows stay one round trip, all or nothing. The update finds
# the locked rows by primary key (an id array), not by joining the locked set with the table.
_BULK_ASSIGN_SQL = """
WITH target (id, status, account_id) AS MATERIALIZED (
    {locked_candidates}
), updated AS (
    UPDATE accounting_transaction t
    SET status = 'verified', account_id = %s, status_reason = '', error_code = '',
        verified_by_id = %s, verified_at = now(), updated_at = now()
    WHERE t.id = ANY (ARRAY (SELECT id FROM target))
    RETURNING t.id
), changed (target_id, before) AS (
    -- Every locked row is updated (by its id), so the audit reads the locked rows' old values
    -- straight from `target`: joining `updated` back to `target` made PostgreSQL, when its
    -- estimate of `target` was one row, compare every pair (20,000 rows: 96 s).
    SELECT target.id,
           jsonb_build_object(
               'status', target.status,
               'account', target.account_id,
               'account_label',
               old.code || ' · ' || COALESCE(NULLIF(old.name_en, ''), old.name_ar))
    FROM target
    LEFT JOIN accounting_account old ON old.id = target.account_id
), audit AS (
    {audit_rows}
)
SELECT count(*) FROM audit
"""


@transaction.atomic
def bulk_assign(
    *,
    organization: Organization,
    actor: Any,
    account_id: Any,
    ids: list[int] | None = None,
    matching: QuerySet[Transaction] | None = None,
) -> BulkAssignResult:
    """Assign one account to the given ids or to every transaction `matching` a filter.

    All or nothing, in one database transaction. Synced and in-run transactions are skipped
    with a reason; unknown ids (or another organization's) refuse the whole request (404).
    """
    if (ids is None) == (matching is None):
        raise ValidationError({"detail": ["Give either ids or a filter."]})
    source = _require_source_account(organization)
    account = _assignable_account(organization=organization, account_id=account_id, source=source)
    if ids is not None:
        unique_ids = sorted(set(ids))
        if len(unique_ids) > MAX_BULK_IDS:
            raise ValidationError(
                {"ids": [f"At most {MAX_BULK_IDS} ids at once; use a filter for more."]}
            )
        candidates = Transaction.objects.filter(organization=organization, pk__in=unique_ids)
        found = set(candidates.values_list("pk", flat=True))
        missing = [pk for pk in unique_ids if pk not in found]
        if missing:
            shown = ", ".join(str(pk) for pk in missing[:20])
            raise Http404(f"No such transactions: {shown}{' …' if len(missing) > 20 else ''}.")
    else:
        assert matching is not None
        candidates = matching.filter(organization=organization)

    # Lock the editable candidates in id order (no deadlock with an overlapping bulk
    # assignment). Not by row address (ctid): a row updated by a concurrent assignment while
    # we waited for its lock has moved, and would be missed.
    locked = (
        candidates.filter(status_in(EDITABLE_STATUSES))
        .order_by("pk")
        .select_for_update(of=("self",))
        .values_list("pk", "status", "account_id")
    )
    try:
        locked_sql, locked_params = locked.query.sql_with_params()
    except EmptyResultSet:  # the filter can match nothing at all (e.g. an unknown budget)
        return BulkAssignResult(updated=0)
    audit_sql, audit_params = bulk_audit_sql(
        rows="changed",
        organization=organization,
        actor=actor,
        action="transaction.assigned",
        target_type="transaction",
        after={"status": "verified", "account": account.pk, "account_label": account.record_label},
    )
    person = _person(actor)
    # Placeholders in the order they appear in _BULK_ASSIGN_SQL.
    params = [*locked_params, account.pk, person.pk if person else None, *audit_params]
    sql = _BULK_ASSIGN_SQL.format(locked_candidates=locked_sql, audit_rows=audit_sql)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        (updated,) = cursor.fetchone()
    _count_assignments(account, updated)

    # Skipped: one query per status (each reads that status's index; together in one OR,
    # PostgreSQL reads the whole table), counted only when there are more than are shown.
    skipped: list[dict[str, Any]] = []
    skipped_count = 0
    for status in NOT_EDITABLE_REASONS:
        rows = candidates.filter(status=status)
        first = list(rows.order_by("pk").values_list("pk", "reference")[:MAX_REPORTED_SKIPS])
        skipped_count += len(first) if len(first) < MAX_REPORTED_SKIPS else rows.count()
        reason = _not_editable_reason(status, organization) if first else ""
        skipped += [{"id": pk, "reference": ref, "reason": reason} for pk, ref in first]
    skipped = sorted(skipped, key=lambda row: row["id"])[:MAX_REPORTED_SKIPS]
    return BulkAssignResult(updated=updated, skipped=skipped, skipped_count=skipped_count)


@transaction.atomic
def unverify_on_inactive_accounts(
    *,
    organization: Organization,
    account_ids: list[int],
    reason: str,
    code: str = "account_inactive",
) -> int:
    """Verified or failed (not yet synced) transactions on accounts that can no longer take
    entries (gone from the provider's chart, or now a heading) go back to unverified with a
    visible reason. Returns how many."""
    affected = list(
        Transaction.objects.select_for_update(of=("self",))
        .select_related("account")
        .filter(
            organization=organization,
            account_id__in=account_ids,
        )
        .filter(status_in([TransactionStatus.VERIFIED, TransactionStatus.FAILED]))
        .order_by("pk")
    )
    for txn in affected:
        before = _snapshot(txn)
        label = txn.account.record_label if txn.account else ""  # as records keep it
        txn.status_reason = f"Account {label} {reason}"
        txn.account = None
        txn.status = TransactionStatus.UNVERIFIED
        txn.verified_by = None
        txn.verified_at = None
        txn.error_code = code
        record_audit(
            organization=organization,
            actor=None,
            action="transaction.unverified",
            target_type="transaction",
            target_id=txn.pk,
            before=before,
            after={**_snapshot(txn), "reason": txn.status_reason},
        )
    Transaction.objects.bulk_update(
        affected,
        ["status_reason", "account", "status", "verified_by", "verified_at", "error_code"],
        batch_size=1000,
    )
    return len(affected)
