"""The configuration sync: mirror Qoyod's chart of accounts (and chosen attributes) locally.

Upsert by Qoyod id in bulk; renamed accounts update; accounts gone upstream become inactive
(never deleted); parents come from code prefixes (Qoyod has no parent field). Progress is
written to the job as it goes, so a person can watch it.
"""

import logging
from collections.abc import Callable, Sequence

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from accounting.models import Account
from accounting.services import unverify_on_inactive_accounts
from integrations.models import ConnectionStatus, Integration, Job, JobStatus, Provider, Vendor
from integrations.qoyod import QoyodAccount, QoyodAuthError, QoyodError, QoyodVendor
from integrations.services import STALE_JOB_AFTER, mark_needs_attention, open_qoyod_client

logger = logging.getLogger(__name__)

CHUNK = 2000


def claim_job(*, job_id: int) -> Job | None:
    """Take a queued job (or a running one whose worker died) for this worker; None if taken."""
    stale_before = timezone.now() - STALE_JOB_AFTER
    claimed = Job.objects.filter(
        Q(status=JobStatus.QUEUED) | Q(status=JobStatus.RUNNING, updated_at__lt=stale_before),
        pk=job_id,
    ).update(status=JobStatus.RUNNING, started_at=timezone.now(), updated_at=timezone.now())
    return Job.objects.select_related("organization").get(pk=job_id) if claimed else None


def _progress(job: Job, *, done: int, total: int) -> None:
    job.done, job.total = done, total
    Job.objects.filter(pk=job.pk).update(done=done, total=total, updated_at=timezone.now())


def _finish(job: Job, *, integration: Integration, ok: bool, message: str) -> None:
    now = timezone.now()
    job.status = JobStatus.SUCCEEDED if ok else JobStatus.FAILED
    job.error = "" if ok else message
    job.finished_at = now
    with transaction.atomic():
        Job.objects.filter(pk=job.pk).update(
            status=job.status, error=job.error, finished_at=now, updated_at=now
        )
        Integration.objects.filter(pk=integration.pk).update(
            last_sync_at=now,
            last_sync_status=JobStatus.SUCCEEDED if ok else JobStatus.FAILED,
            last_sync_message=message,
        )


def run_config_sync(*, job_id: int) -> Job | None:
    """Run one claimed configuration sync to the end. Idempotent: a job already taken or
    finished is left alone. Failures end the job with a reason a person can act on."""
    job = claim_job(job_id=job_id)
    if job is None:
        return None
    integration = Integration.objects.get(organization=job.organization, provider=Provider.QOYOD)
    if integration.status == ConnectionStatus.NOT_CONNECTED or not integration.api_key:
        _finish(job, integration=integration, ok=False, message="Qoyod is not connected.")
        return job
    attributes = job.params.get("attributes") or ["accounts"]
    try:
        with open_qoyod_client(api_key=integration.api_key) as client:
            accounts = client.list_accounts()
            vendors = client.list_vendors() if "vendors" in attributes else []
    except QoyodAuthError as exc:
        mark_needs_attention(integration_id=integration.pk, reason=exc.message)
        _finish(job, integration=integration, ok=False, message=exc.message)
        return job
    except QoyodError as exc:
        _finish(job, integration=integration, ok=False, message=f"Qoyod: {exc.message}")
        return job

    total = len(accounts) + len(vendors)
    _progress(job, done=0, total=total)
    try:
        summary = sync_accounts(
            integration=integration,
            accounts=accounts,
            on_progress=lambda n: _progress(job, done=n, total=total),
        )
        if vendors:
            sync_vendors(
                organization_id=integration.organization_id,
                vendors=vendors,
                on_progress=lambda n: _progress(job, done=len(accounts) + n, total=total),
            )
    except Exception:
        logger.exception("configuration sync %s failed", job.pk)
        _finish(
            job,
            integration=integration,
            ok=False,
            message="The sync failed on our side; our team has been notified. Try again later.",
        )
        raise
    _progress(job, done=total, total=total)
    unverified = (
        f", {summary.unverified} transactions back to unverified" if summary.unverified else ""
    )
    vendor_note = f", {len(vendors)} vendors" if vendors else ""
    message = (
        f"{summary.active} accounts ({summary.created} new, {summary.deactivated} removed"
        f"{unverified}){vendor_note}."
    )
    _finish(job, integration=integration, ok=True, message=message)
    return job


def parent_codes(codes: Sequence[str]) -> dict[str, str]:
    """Each code's parent: the longest other code that is a proper prefix of it."""
    known = set(codes)
    parents: dict[str, str] = {}
    for code in codes:
        for cut in range(len(code) - 1, 0, -1):
            if code[:cut] in known:
                parents[code] = code[:cut]
                break
    return parents


class AccountSyncSummary:
    def __init__(self) -> None:
        self.created = 0
        self.active = 0
        self.deactivated = 0
        self.unverified = 0


def sync_accounts(
    *,
    integration: Integration,
    accounts: Sequence[QoyodAccount],
    on_progress: Callable[[int], None] = lambda n: None,
) -> AccountSyncSummary:
    """Upsert the chart in bulk, set parents, deactivate what is gone upstream.

    Idempotent. Queries: one read of existing ids, two upserts per chunk, and a few updates.
    """
    organization_id = integration.organization_id
    summary = AccountSyncSummary()
    chart = Account.objects.filter(organization_id=organization_id)
    existing = set(chart.values_list("qoyod_id", flat=True))
    previously_active = set(chart.filter(active=True).values_list("pk", flat=True))
    by_code = {account.code: account for account in accounts}
    parents = parent_codes(list(by_code))

    rows = [
        Account(
            organization_id=organization_id,
            qoyod_id=account.id,
            code=account.code,
            name_en=account.name_en,
            name_ar=account.name_ar,
            type=account.type,
            group_type=account.group_type,
            receive_payments=account.receive_payments,
            active=account.status.lower() not in ("inactive", "archived", "disabled"),
        )
        for account in accounts
    ]
    fields = ["code", "name_en", "name_ar", "type", "group_type", "receive_payments", "active"]
    for start in range(0, len(rows), CHUNK):
        with transaction.atomic():
            Account.objects.bulk_create(
                rows[start : start + CHUNK],
                update_conflicts=True,
                unique_fields=["organization", "qoyod_id"],
                update_fields=[*fields, "updated_at"],
            )
        on_progress(min(start + CHUNK, len(rows)))
    summary.created = sum(1 for account in accounts if account.id not in existing)
    summary.active = sum(1 for row in rows if row.active)

    _set_parents(
        organization_id=organization_id,
        parent_of={
            account.id: by_code[parents[account.code]].id if account.code in parents else None
            for account in accounts
        },
    )

    pk_by_qoyod_id = dict(chart.values_list("qoyod_id", "pk"))
    upstream_active = {row.qoyod_id for row in rows if row.active}
    newly_inactive = [
        pk
        for qoyod_id, pk in pk_by_qoyod_id.items()
        if qoyod_id not in upstream_active and pk in previously_active
    ]
    summary.deactivated = len(newly_inactive)
    if newly_inactive:
        with transaction.atomic():
            Account.objects.filter(pk__in=newly_inactive).update(active=False)
            summary.unverified = _after_accounts_removed(
                integration=integration, account_pks=newly_inactive
            )
    return summary


def _set_parents(*, organization_id: int, parent_of: dict[int, int | None]) -> None:
    """Point each account at its parent (by Qoyod id) in one statement; rows whose parent
    did not change are not written."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            UPDATE accounting_account AS child
               SET parent_id = parent.id
              FROM unnest(%s::bigint[], %s::bigint[]) AS wanted(qoyod_id, parent_qoyod_id)
              LEFT JOIN accounting_account AS parent
                ON parent.organization_id = %s AND parent.qoyod_id = wanted.parent_qoyod_id
             WHERE child.organization_id = %s
               AND child.qoyod_id = wanted.qoyod_id
               AND child.parent_id IS DISTINCT FROM parent.id
            """,
            [list(parent_of), list(parent_of.values()), organization_id, organization_id],
        )


def _after_accounts_removed(*, integration: Integration, account_pks: list[int]) -> int:
    """Verified transactions on removed accounts go back to unverified; a removed source
    account puts the connection in "needs attention"."""
    unverified = unverify_on_inactive_accounts(
        organization=integration.organization,
        account_ids=account_pks,
        reason="was removed from Qoyod's chart of accounts; assign another account.",
    )
    if integration.source_account_id in account_pks:
        source = Account.objects.get(pk=integration.source_account_id)
        reason = (
            f"The source account {source} is no longer active in Qoyod. "
            "Pick another source account in the Qoyod configuration."
        )
        mark_needs_attention(integration_id=integration.pk, reason=reason)
    return unverified


def sync_vendors(
    *,
    organization_id: int,
    vendors: Sequence[QoyodVendor],
    on_progress: Callable[[int], None] = lambda n: None,
) -> None:
    """Upsert vendors in bulk; vendors gone upstream become inactive."""
    rows = [
        Vendor(
            organization_id=organization_id,
            qoyod_id=vendor.id,
            name=vendor.name,
            tax_number=vendor.tax_number,
            email=vendor.email,
            phone_number=vendor.phone_number,
            active=vendor.status.lower() != "inactive",
        )
        for vendor in vendors
    ]
    for start in range(0, len(rows), CHUNK):
        Vendor.objects.bulk_create(
            rows[start : start + CHUNK],
            update_conflicts=True,
            unique_fields=["organization", "qoyod_id"],
            update_fields=["name", "tax_number", "email", "phone_number", "active", "updated_at"],
        )
        on_progress(min(start + CHUNK, len(rows)))
    Vendor.objects.filter(organization_id=organization_id).exclude(
        qoyod_id__in=[vendor.id for vendor in vendors]
    ).update(active=False)
