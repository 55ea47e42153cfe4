"""A sync run's life on the workers' side: whether the organization's books can take pushes
now, running, stopped (the books refused our credentials, or the connection is gone: what is
not pushed yet goes back to Verified), finished (its items' counts decide succeeded,
partially failed or failed), and the reaper's question: which runs went silent.

A run is started by `runs.start_sync_run`, which queues the tasks; the tasks import this
module, so it lives apart from `runs` (nothing imports back).
"""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from accounting.models import (
    ACTIVE_RUN_STATUSES,
    SyncRun,
    SyncRunItem,
    SyncRunItemOutcome,
    SyncRunStatus,
    Transaction,
    TransactionStatus,
)
from accounting.providers import BooksConnection, connection_for, provider_names
from sifi.exceptions import Conflict
from sifi.models import Organization
from sifi.services import record_audit


def books_ready_to_sync(organization: Organization) -> BooksConnection:
    """The organization's connection, if entries can be pushed now; a 409 saying what a person
    must do otherwise."""
    books = connection_for(organization)
    if books is None or not books.is_connected:
        name = books.provider.name if books else provider_names()
        raise Conflict(
            _("Connect %(provider)s in Settings → Integrations first.") % {"provider": name},
            code="not_connected",
        )
    if books.attention_reason:
        raise Conflict(
            _("The %(provider)s connection needs attention: %(reason)s")
            % {"provider": books.provider.name, "reason": books.attention_reason},
            code="needs_attention",
        )
    if books.source_account is None:
        raise Conflict(
            _("Set the Source Account in Settings → Integrations → %(provider)s first.")
            % {"provider": books.provider.name},
            code="source_account_missing",
        )
    return books


def mark_running(run_id: int) -> SyncRun:
    SyncRun.objects.filter(pk=run_id, status=SyncRunStatus.QUEUED).update(
        status=SyncRunStatus.RUNNING, started_at=timezone.now(), heartbeat_at=timezone.now()
    )
    return SyncRun.objects.select_related("organization").get(pk=run_id)


def books_or_stop(organization: Organization) -> BooksConnection | None:
    """The connection to push through; None (the company's runs stopped) if there is none."""
    books = connection_for(organization)
    if books is None:
        stop_active_runs(organization.pk, "No accounting system is connected.", "")
        return None
    if not books.is_connected:
        name = books.provider.name
        stop_active_runs(organization.pk, f"{name} was disconnected.", name)
        return None
    return books


def stop_active_runs(organization_id: int, reason: str, provider_name: object) -> None:
    active = SyncRun.objects.filter(
        organization_id=organization_id, status__in=ACTIVE_RUN_STATUSES
    ).values_list("pk", flat=True)
    for run_id in list(active):
        stop_run(run_id=run_id, reason=reason, provider_name=provider_name)


@transaction.atomic
def stop_run(*, run_id: int, reason: str, provider_name: object = "") -> None:
    """The provider refused our credentials: what is not pushed yet goes back to Verified."""
    run = SyncRun.objects.select_for_update().get(pk=run_id)
    if run.status in (SyncRunStatus.STOPPED,):
        return
    pending = SyncRunItem.objects.filter(run=run, outcome=SyncRunItemOutcome.PENDING)
    released = list(pending.values_list("transaction_id", flat=True))
    # Only those with no entry in the books: one whose entry exists stays in the run's hands.
    Transaction.objects.filter(
        pk__in=released, sync_run=run, journal_entry_id__isnull=True, push_started_at__isnull=True
    ).update(status=TransactionStatus.VERIFIED, sync_run=None, updated_at=timezone.now())
    still_held = set(
        Transaction.objects.filter(pk__in=released, sync_run=run).values_list("pk", flat=True)
    )
    pending.exclude(transaction_id__in=still_held).update(
        outcome=SyncRunItemOutcome.RELEASED, finished_at=timezone.now()
    )
    run.status = SyncRunStatus.STOPPED
    reconnect = f"Reconnect {provider_name}, then sync again." if provider_name else ""
    run.error = f"Stopped: {reason} {reconnect}".strip()
    run.finished_at = timezone.now()
    run.save(update_fields=["status", "error", "finished_at"])
    record_audit(
        organization=run.organization,
        actor=None,
        action="sync_run.stopped",
        target_type="sync_run",
        target_id=run.pk,
        after={"reason": reason, "released": len(released) - len(still_held)},
    )


def finish_run_if_done(*, run_id: int) -> None:
    with transaction.atomic():
        run = SyncRun.objects.select_for_update().get(pk=run_id)
        if not run.is_active:
            return
        counts = run_counts(run)
        if counts["pending"]:
            return
        if counts["failed"] == 0:
            run.status = SyncRunStatus.SUCCEEDED
        elif counts["succeeded"] == 0:
            run.status = SyncRunStatus.FAILED
        else:
            run.status = SyncRunStatus.PARTIAL
        run.finished_at = timezone.now()
        run.save(update_fields=["status", "finished_at"])
        record_audit(
            organization=run.organization,
            actor=None,
            action="sync_run.finished",
            target_type="sync_run",
            target_id=run.pk,
            after={"status": run.status, **counts},
        )


def run_counts(run: SyncRun) -> dict[str, int]:
    totals = SyncRunItem.objects.filter(run=run).aggregate(
        succeeded=Count("pk", filter=Q(outcome=SyncRunItemOutcome.SUCCEEDED)),
        failed=Count("pk", filter=Q(outcome=SyncRunItemOutcome.FAILED)),
        pending=Count("pk", filter=Q(outcome=SyncRunItemOutcome.PENDING)),
        released=Count("pk", filter=Q(outcome=SyncRunItemOutcome.RELEASED)),
    )
    return {name: int(value or 0) for name, value in totals.items()}


def stalled_runs() -> list[int]:
    """Runs whose workers stopped reporting (killed, lost message): to be dispatched again."""
    cutoff = timezone.now() - timedelta(seconds=settings.SYNC_RUN_STALLED_AFTER_SECONDS)
    return list(
        SyncRun.objects.filter(status__in=[SyncRunStatus.QUEUED, SyncRunStatus.RUNNING])
        .filter(Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at__isnull=True, created_at__lt=cutoff))
        .values_list("pk", flat=True)
    )


def waiting_reason(run: SyncRun, *, books_name: object) -> str:
    """Why the run is not pushing now, as a sentence a person reads ("" when it pushes): a
    daily quota spent says when SiFi asks the books again, in local time; a shorter limit
    when its next slot opens."""
    seconds = run.waiting_seconds
    if not seconds or run.waiting_until is None:
        return ""
    if run.waiting_window == "day":
        at = timezone.localtime(run.waiting_until)
        same_day = at.date() == timezone.localdate()
        when = date_format(at, "H:i" if same_day else "j M, H:i")
        return _(
            "%(provider)s's daily API limit for this organization is used up; SiFi tries "
            "again at %(time)s."
        ) % {"provider": books_name, "time": when}
    return _("Waiting for %(provider)s's limit (next slot in %(seconds)s s)") % {
        "provider": books_name,
        "seconds": seconds,
    }
