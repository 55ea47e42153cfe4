"""The configuration sync: mirror the provider's chart of accounts (and chosen attributes).

The chart goes through the ledger's chart service (`accounting.services.chart`): upsert by the
provider's id, renamed accounts update, accounts gone upstream become inactive (never
deleted). Progress is written to the job as it goes, so a person can watch it; a source
account gone upstream puts the connection in "needs attention".
"""

import logging
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Protocol

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounting.models import Account
from accounting.providers import AuthRefused, BooksJournal, LockReadingSession, ProviderError
from accounting.services.chart import ChartSyncSummary, sync_chart
from accounting.services.turns import has_pending
from integrations.connections import IntegrationBooks, connection_for
from integrations.models import Integration, Job, JobStatus, TaxRate, Vendor
from integrations.services import STALE_JOB_AFTER, mark_needs_attention

logger = logging.getLogger(__name__)

CHUNK = 2000


class BooksTaxRate(Protocol):
    """A tax rate as a provider's session reads it (`read_tax_rates`, for books that take VAT
    as a tax rate): the provider's id, a name, a percentage."""

    id: str
    name: str
    rate: Decimal


class BooksVendor(Protocol):
    """A supplier as a provider's session reads it (`read_vendors`, for providers that offer
    the vendors attribute): its id is the provider's own, stored as text."""

    @property
    def id(self) -> int | str: ...

    name: str
    status: str
    tax_number: str
    email: str
    phone_number: str


def waits_for_pushes(*, job_id: int) -> bool:
    """A queued configuration sync waits while its organization's pushes are pending: they
    share the company's request budget, and pushes go first."""
    job = Job.objects.filter(pk=job_id, status=JobStatus.QUEUED).first()
    if job is None or not has_pending(job.organization_id):
        return False
    Job.objects.filter(pk=job.pk).update(updated_at=timezone.now())
    return True


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


def _finish(job: Job, *, integration: Integration | None, ok: bool, message: str) -> None:
    now = timezone.now()
    job.status = JobStatus.SUCCEEDED if ok else JobStatus.FAILED
    job.error = "" if ok else message
    job.finished_at = now
    with transaction.atomic():
        Job.objects.filter(pk=job.pk).update(
            status=job.status, error=job.error, finished_at=now, updated_at=now
        )
        if integration is None:
            return
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
    books = connection_for(job.organization)
    if books is None:  # never connected: nothing to sync from
        _finish(job, integration=None, ok=False, message="No accounting system is connected.")
        return job
    integration = books.integration
    name = books.provider.name
    if not books.is_connected:
        _finish(job, integration=integration, ok=False, message=f"{name} is not connected.")
        return job
    attributes = job.params.get("attributes") or ["accounts"]
    try:
        with books.open_session(max_wait=settings.SYNC_READS_MAX_WAIT_SECONDS) as session:
            accounts = session.read_chart()
            read_vendors = getattr(session, "read_vendors", None)
            vendors = read_vendors() if read_vendors and "vendors" in attributes else []
            read_journals = getattr(session, "read_journals", None)
            journals = read_journals() if read_journals else None
            read_tax_rates = getattr(session, "read_tax_rates", None)
            tax_rates = read_tax_rates() if read_tax_rates else None
            # Books that say their lock date: mirrored with the chart (the Verified tab counts
            # what it closes before a sync).
            reads_lock = False
            closed_until = None
            if books.provider.reads_lock_date and isinstance(session, LockReadingSession):
                reads_lock, closed_until = True, session.read_lock_date()
    except AuthRefused as exc:
        mark_needs_attention(integration_id=integration.pk, reason=exc.message)
        _finish(job, integration=integration, ok=False, message=exc.message)
        return job
    except ProviderError as exc:
        _finish(job, integration=integration, ok=False, message=f"{name}: {exc.message}")
        return job

    total = len(accounts) + len(vendors)
    _progress(job, done=0, total=total)
    try:
        summary = sync_chart(
            organization=integration.organization,
            provider=books.provider,
            accounts=accounts,
            on_progress=lambda n: _progress(job, done=n, total=total),
        )
        _after_accounts_removed(integration=integration, summary=summary)
        if journals is not None:
            remember_journals(integration=integration, journals=journals)
        if reads_lock:
            books.remember_closed_until(closed_until)
        if tax_rates is not None:
            sync_tax_rates(integration=integration, tax_rates=tax_rates)
        if vendors:
            sync_vendors(
                organization_id=integration.organization_id,
                provider=integration.provider,
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
        f"{summary.posting} active posting accounts, of {summary.total} accounts in the chart "
        f"({summary.created} new, {summary.deactivated} removed{unverified}){vendor_note}."
    )
    _finish(job, integration=integration, ok=True, message=message)
    return job


def _after_accounts_removed(*, integration: Integration, summary: ChartSyncSummary) -> None:
    """A Source or Input VAT account gone upstream (or now a heading) puts the connection in
    "needs attention": nothing is pushed against an account that cannot take entries."""
    unusable = {*summary.deactivated_ids, *summary.new_heading_ids}
    name = IntegrationBooks(integration).provider.name
    for role, account_id in (
        ("source account", integration.source_account_id),
        ("Input VAT account", integration.input_vat_account_id),
    ):
        if account_id not in unusable:
            continue
        account = Account.objects.get(pk=account_id)
        state = (
            f"is no longer active in {name}"
            if account_id in summary.deactivated_ids
            else f"is now a heading in {name} (it has sub-accounts)"
        )
        reason = f"The {role} {account} {state}. Pick another {role} in the {name} configuration."
        mark_needs_attention(integration_id=integration.pk, reason=reason)
        return


def remember_journals(*, integration: Integration, journals: Sequence[BooksJournal]) -> None:
    """The journals our entries may go to, as the books hold them now. A chosen journal gone
    upstream (deleted, archived, no longer general) puts the connection in "needs attention"."""
    rows = [{"id": j.external_id, "code": j.code, "name": j.name} for j in journals]
    Integration.objects.filter(pk=integration.pk).update(journals=rows)
    integration.journals = rows
    chosen = integration.journal_external_id
    if chosen is not None and chosen not in {row["id"] for row in rows}:
        name = IntegrationBooks(integration).provider.name
        mark_needs_attention(
            integration_id=integration.pk,
            reason=f"The journal {integration.journal_name or chosen} is no longer a general "
            f"journal in {name}. Pick another journal in the {name} configuration.",
        )


def sync_tax_rates(*, integration: Integration, tax_rates: Sequence[BooksTaxRate]) -> None:
    """Upsert the provider's tax rates in bulk; those gone upstream become inactive. The
    input VAT tax rate chosen (the provider's `input_vat_option`) gone upstream puts the
    connection in "needs attention"."""
    rows = [
        TaxRate(
            organization_id=integration.organization_id,
            provider=integration.provider,
            external_id=str(rate.id),
            name=rate.name,
            rate=rate.rate,
            active=True,
        )
        for rate in tax_rates
    ]
    TaxRate.objects.bulk_create(
        rows,
        update_conflicts=True,
        unique_fields=["organization", "provider", "external_id"],
        update_fields=["name", "rate", "active", "updated_at"],
    )
    known = {row.external_id for row in rows}
    TaxRate.objects.filter(
        organization_id=integration.organization_id, provider=integration.provider
    ).exclude(external_id__in=known).update(active=False)
    books = IntegrationBooks(integration)
    chosen = books.input_vat
    if books.provider.input_vat_option and chosen and chosen not in known:
        name = books.provider.name
        mark_needs_attention(
            integration_id=integration.pk,
            reason=f"The input VAT tax rate {chosen} is no longer in {name}. Pick another tax "
            f"rate in the {name} configuration.",
        )


def sync_vendors(
    *,
    organization_id: int,
    provider: str,
    vendors: Sequence[BooksVendor],
    on_progress: Callable[[int], None] = lambda n: None,
) -> None:
    """Upsert `provider`'s vendors in bulk; its vendors gone upstream become inactive (another
    provider's are left alone)."""
    rows = [
        Vendor(
            organization_id=organization_id,
            provider=provider,
            external_id=str(vendor.id),
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
            unique_fields=["organization", "provider", "external_id"],
            update_fields=["name", "tax_number", "email", "phone_number", "active", "updated_at"],
        )
        on_progress(min(start + CHUNK, len(rows)))
    Vendor.objects.filter(organization_id=organization_id, provider=provider).exclude(
        external_id__in=[str(vendor.id) for vendor in vendors]
    ).update(active=False)
