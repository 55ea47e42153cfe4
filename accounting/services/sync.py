"""The sync engine: verified transactions become exactly one draft journal entry each in the
organization's books, whichever accounting system keeps them.

Exactly once, however often a step is retried or a worker dies:
- a run *takes* transactions atomically (`FOR UPDATE SKIP LOCKED`, status → syncing): a
  second click or a second user gets only what nobody has taken (`runs.start_sync_run`);
- one worker at a time pushes a transaction: a session-level PostgreSQL advisory lock, held
  for the whole push and released by PostgreSQL itself if the worker dies;
- "about to create" (`push_started_at`) is committed before the create call; a push that
  finds it set looks the entry up by our reference in the books first and adopts it if found;
- the entry id is stored as soon as the provider answers; documents follow, each recorded
  once attached. A transaction is synced only when its entry and all its documents are there.

What differs between accounting systems is asked of the provider's declared capabilities,
never assumed (`accounting.services.capabilities`: files uploaded before the create and
carried by it, an idempotency key, a second call that makes a posted answer a draft).

It speaks to the books only through `accounting.providers` (a session and the neutral errors).
"""

import logging
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, F, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from accounting.journal import JournalEntryDraft, journal_entry_for, lines_snapshot
from accounting.models import (
    ACTIVE_RUN_STATUSES,
    Account,
    Document,
    SyncRun,
    SyncRunItem,
    SyncRunItemOutcome,
    SyncRunStatus,
    Transaction,
    TransactionStatus,
)
from accounting.providers import (
    AttachmentFlow,
    AttachmentRef,
    AttachmentsUnsupported,
    AuthRefused,
    BooksConnection,
    EntryRef,
    ProviderError,
    ProviderSession,
    RateLimited,
    Rejected,
    Unavailable,
    connection_for,
    provider_names,
)
from accounting.services import scheduler
from accounting.services.capabilities import (
    idempotency_key_for,
    make_draft_once,
    redrafting,
    upload_documents,
    uploading,
)
from accounting.services.receipts import link_for
from sifi.exceptions import Conflict
from sifi.models import Organization
from sifi.services import record_audit

logger = logging.getLogger(__name__)

BATCH_SIZE = 25
MAX_ATTEMPTS = 3  # per transaction and run, for retryable errors (5xx, timeouts, drops)
_ADVISORY_NAMESPACE = 7_001  # first key of our advisory locks: "journal entry push"


class RunStopped(Exception):
    """The provider refused our credentials: the run stops, the rest stay verified."""


# --- what a run needs ----------------------------------------------------------------------------


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


def pending_batches(run: SyncRun) -> list[list[int]]:
    """The run's pending transactions in batches, for `push_batch` (in-process pushing: tests
    and the benchmarks' sequential baseline; workers go by turns)."""
    pending = list(
        SyncRunItem.objects.filter(run=run, outcome=SyncRunItemOutcome.PENDING)
        .order_by("pk")
        .values_list("transaction_id", flat=True)
    )
    return [pending[i : i + BATCH_SIZE] for i in range(0, len(pending), BATCH_SIZE)]


def mark_running(run_id: int) -> SyncRun:
    SyncRun.objects.filter(pk=run_id, status=SyncRunStatus.QUEUED).update(
        status=SyncRunStatus.RUNNING, started_at=timezone.now(), heartbeat_at=timezone.now()
    )
    return SyncRun.objects.select_related("organization").get(pk=run_id)


# --- pushing -----------------------------------------------------------------------------------


@contextmanager
def push_lock(transaction_id: int) -> Iterator[bool]:
    """Whether this worker may push the transaction now; released when done or if it dies."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [_ADVISORY_NAMESPACE, transaction_id])
        (acquired,) = cursor.fetchone()
    try:
        yield bool(acquired)
    finally:
        if acquired:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT pg_advisory_unlock(%s, %s)", [_ADVISORY_NAMESPACE, transaction_id]
                )


def push_batch(*, run_id: int, transaction_ids: list[int]) -> float | None:
    """Push some of one run's transactions now, in this process, through one session (what
    a turn does, for one run: tests and the benchmarks' sequential baseline use it).
    Idempotent: a pushed transaction is skipped. None when done, or the seconds to wait when
    the company's request budget is spent (the rest stays pending)."""
    run = SyncRun.objects.select_related("organization").get(pk=run_id)
    books = _books_or_stop(run.organization)
    if books is None:
        return None
    with ExitStack() as stack:
        sessions = _Sessions(books, stack)
        for transaction_id in transaction_ids:
            if not SyncRun.objects.filter(pk=run_id, status__in=ACTIVE_RUN_STATUSES).exists():
                return None
            try:
                _push_locked(run, books, transaction_id, sessions.get())
            except Deferred as deferred:
                _mark_waiting(run.organization_id, deferred.seconds)
                return deferred.seconds
            except RunStopped:
                return None
    finish_run_if_done(run_id=run_id)
    return None


# --- turns: the fair scheduler's unit of work ---------------------------------------------------


@dataclass(frozen=True)
class TurnEnd:
    """What follows a turn: its next message (`lease`, after `countdown` seconds), or none."""

    lease: str | None = None
    countdown: float = 0.0


class Deferred(Exception):
    """The company's request budget is spent for `seconds`: the turn comes back then."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"deferred {seconds:.2f} s")
        self.seconds = seconds


class _Sessions:
    """One session with the books, opened at the first push (a turn with nothing to do opens
    none); its requests wait at most SYNC_LIMIT_PACE_SECONDS for the budget."""

    def __init__(self, books: BooksConnection, stack: ExitStack) -> None:
        self.books = books
        self.stack = stack
        self.session: ProviderSession | None = None

    def get(self) -> ProviderSession:
        if self.session is None:
            opened = self.books.open_session(max_wait=settings.SYNC_LIMIT_PACE_SECONDS)
            self.session = self.stack.enter_context(opened)
        return self.session


def claim_turns(organization_id: int) -> list[tuple[int, str]]:
    """Start the company's turns that are not running: (stripe, lease) of each claimed, for
    the caller to publish. As many stripes as the company's limit keeps busy."""
    organization = Organization.objects.get(pk=organization_id)
    books = connection_for(organization)
    if books is None or not books.is_connected:
        return [(0, lease)] if (lease := scheduler.claim(organization_id, 0)) else []
    claimed = []
    for stripe in range(scheduler.turns_for(books.request_budget())):
        lease = scheduler.claim(organization_id, stripe)
        if lease is not None:
            claimed.append((stripe, lease))
    return claimed


def take_turn(*, organization_id: int, stripe: int, lease: str) -> TurnEnd:
    """Push the company's next few pending transactions of this stripe (oldest run first),
    then hand the worker back: to the end of the queue if more wait, after a countdown if the
    company's request budget is spent, or nothing when the stripe has no work left."""
    if not scheduler.holds(organization_id, stripe, lease):
        return TurnEnd()  # delivered twice, or the turn expired and another took over
    organization = Organization.objects.get(pk=organization_id)
    books = _books_or_stop(organization)
    if books is None:
        scheduler.release(organization_id, stripe, lease)
        return TurnEnd()
    budget = books.request_budget()
    turns = scheduler.turns_for(budget)
    if stripe >= turns:
        scheduler.release(organization_id, stripe, lease)
        return TurnEnd()
    deadline = time.monotonic() + settings.SYNC_TURN_SECONDS
    seen: set[int] = set()
    runs: dict[int, SyncRun] = {}
    pushed = 0
    exhausted = False  # the stripe had nothing more for this turn
    with ExitStack() as stack:
        # On every way out: what this turn pushed may have completed runs.
        stack.callback(_finish_runs, runs)
        sessions = _Sessions(books, stack)
        while pushed < settings.SYNC_TURN_TRANSACTIONS and time.monotonic() < deadline:
            batch = next_pending(
                organization_id,
                stripe=stripe,
                turns=turns,
                exclude=seen,
                limit=settings.SYNC_TURN_TRANSACTIONS - pushed,
            )
            if not batch:
                exhausted = True
                break
            seen.update(transaction_id for _run, transaction_id in batch)
            wait = budget.wait_seconds() if budget is not None else 0.0
            outcomes: list[bool | Deferred | RunStopped] = [Deferred(wait)]
            if wait <= settings.SYNC_LIMIT_PACE_SECONDS:
                for run_id, _transaction in batch:
                    if run_id not in runs:
                        runs[run_id] = mark_running(run_id)  # if its dispatch is yet to come
                scheduler.renew(organization_id, stripe, lease)
                outcomes = _push_all(batch, runs, books, sessions.get())
            done = sum(1 for outcome in outcomes if outcome is True)
            if done and not pushed:
                _mark_waiting(organization_id, None)
            pushed += done
            if any(isinstance(outcome, RunStopped) for outcome in outcomes):
                scheduler.release(organization_id, stripe, lease)
                return TurnEnd()
            deferrals = [outcome.seconds for outcome in outcomes if isinstance(outcome, Deferred)]
            if deferrals:
                seconds = min(deferrals)
                _mark_waiting(organization_id, seconds)
                # A long wait (a daily quota spent) is not one countdown: the turn comes back
                # now and then to ask the budget again (Redis, no request to the books), well
                # inside the broker's visibility timeout; people see the whole wait.
                countdown = min(seconds, settings.SYNC_LONGEST_COUNTDOWN_SECONDS)
                following = scheduler.advance(
                    organization_id, stripe, lease, extra_seconds=countdown
                )
                return TurnEnd(lease=following, countdown=countdown)
        if not exhausted:  # its share is used: to the back of the queue, behind other companies
            return TurnEnd(lease=scheduler.advance(organization_id, stripe, lease))
        # Nothing left: end the turn, unless work arrived meanwhile (a run dispatched while this
        # turn still held the lease started no other) or another worker still holds some.
        scheduler.release(organization_id, stripe, lease)
        if has_pending(organization_id, stripe=stripe, turns=turns):
            again = scheduler.claim(organization_id, stripe)
            return TurnEnd(lease=again, countdown=0.0 if pushed else 1.0)
        return TurnEnd()


def pending_pushes(
    organization_id: int, *, stripe: int | None = None, turns: int = 1
) -> QuerySet[SyncRunItem]:
    """The company's (or one stripe's) transactions waiting in its active runs."""
    pending = SyncRunItem.objects.filter(
        run__organization_id=organization_id,
        run__status__in=ACTIVE_RUN_STATUSES,
        outcome=SyncRunItemOutcome.PENDING,
    )
    if stripe is not None:
        pending = pending.alias(stripe=F("transaction_id") % turns).filter(stripe=stripe)
    return pending


def next_pending(
    organization_id: int, *, stripe: int, turns: int, exclude: set[int], limit: int
) -> list[tuple[int, int]]:
    """(run, transaction) of the stripe's next pending pushes: oldest run first, then in the
    order the run took them."""
    rows = (
        pending_pushes(organization_id, stripe=stripe, turns=turns)
        .exclude(transaction_id__in=exclude)
        .order_by("run_id", "pk")
        .values_list("run_id", "transaction_id")[:limit]
    )
    return list(rows)


def has_pending(organization_id: int, *, stripe: int | None = None, turns: int = 1) -> bool:
    """Whether the company (or one stripe of it) has pushes waiting."""
    return pending_pushes(organization_id, stripe=stripe, turns=turns).exists()


def _push_all(
    batch: list[tuple[int, int]],
    runs: dict[int, SyncRun],
    books: BooksConnection,
    session: ProviderSession,
) -> list[bool | Deferred | RunStopped]:
    """Push a turn's batch, SYNC_TURN_CONCURRENCY at a time (their requests overlap the books'
    latency; each still takes its slot of the company's limit). Per transaction: pushed
    (True), held by another worker (False), or why the turn must stop. One lane stops at its
    first deferral or stop; the others finish what they hold."""

    def lane(items: list[tuple[int, int]]) -> list[bool | Deferred | RunStopped]:
        outcomes: list[bool | Deferred | RunStopped] = []
        for run_id, transaction_id in items:
            try:
                outcomes.append(_push_locked(runs[run_id], books, transaction_id, session))
            except (Deferred, RunStopped) as stop:
                outcomes.append(stop)
                break
        return outcomes

    width = min(max(1, settings.SYNC_TURN_CONCURRENCY), len(batch))
    if width == 1:
        return lane(batch)

    def lane_in_thread(items: list[tuple[int, int]]) -> list[bool | Deferred | RunStopped]:
        try:
            return lane(items)
        finally:
            connection.close()  # the thread's own connection (and its advisory locks: none)

    with ThreadPoolExecutor(max_workers=width) as pool:
        lanes = pool.map(lane_in_thread, [batch[i::width] for i in range(width)])
        return [outcome for outcomes in lanes for outcome in outcomes]


def _push_locked(
    run: SyncRun, books: BooksConnection, transaction_id: int, session: ProviderSession
) -> bool:
    """Push one transaction under its advisory lock; False if another worker holds it. Raises
    RunStopped (after stopping the company's runs) when the books refuse our credentials."""
    with push_lock(transaction_id) as mine:
        if not mine:
            return False  # another worker is pushing it right now
        try:
            push_transaction(run=run, books=books, transaction_id=transaction_id, session=session)
        except RunStopped as stop:
            _stop_active_runs(run.organization_id, str(stop), books.provider.name)
            raise
    SyncRun.objects.filter(pk=run.pk).update(heartbeat_at=timezone.now())
    return True


def _books_or_stop(organization: Organization) -> BooksConnection | None:
    """The connection to push through; None (the company's runs stopped) if there is none."""
    books = connection_for(organization)
    if books is None:
        _stop_active_runs(organization.pk, "No accounting system is connected.", "")
        return None
    if not books.is_connected:
        name = books.provider.name
        _stop_active_runs(organization.pk, f"{name} was disconnected.", name)
        return None
    return books


def _stop_active_runs(organization_id: int, reason: str, provider_name: object) -> None:
    active = SyncRun.objects.filter(
        organization_id=organization_id, status__in=ACTIVE_RUN_STATUSES
    ).values_list("pk", flat=True)
    for run_id in list(active):
        stop_run(run_id=run_id, reason=reason, provider_name=provider_name)


def _finish_runs(runs: dict[int, SyncRun]) -> None:
    for run_id in runs:
        finish_run_if_done(run_id=run_id)


def _mark_waiting(organization_id: int, seconds: float | None) -> None:
    """Show on the company's active runs when its budget opens again (None: it is pushing)."""
    active = SyncRun.objects.filter(organization_id=organization_id, status__in=ACTIVE_RUN_STATUSES)
    if seconds is None:
        active.filter(waiting_until__isnull=False).update(waiting_until=None)
    else:
        active.update(waiting_until=timezone.now() + timedelta(seconds=seconds))


def push_transaction(
    *, run: SyncRun, books: BooksConnection, transaction_id: int, session: ProviderSession
) -> None:
    txn = (
        Transaction.objects.select_related("account", "employee", "budget")
        .filter(pk=transaction_id, sync_run=run, status=TransactionStatus.SYNCING)
        .first()
    )
    if txn is None:
        return  # finished by an earlier delivery of this batch
    item = SyncRunItem.objects.get(run=run, transaction_id=transaction_id)
    source = books.source_account
    assert source is not None
    provider = books.provider
    # Attempts count across turns: a failed one defers the company's turn (backoff), so a
    # worker never waits out one company's outage while other companies' work waits.
    attempt = item.attempts + 1
    SyncRunItem.objects.filter(pk=item.pk).update(attempts=attempt)
    try:
        entry = None  # what the books said of the entry during this attempt, if anything
        if txn.journal_entry_id is None:
            entry = _create_entry_once(txn, source, session, books.input_vat_account, books=books)
        if provider.draft_may_need_second_call:
            make_draft_once(txn, redrafting(session), entry)
        _attach_documents(txn, books, session)
    except AuthRefused as exc:
        books.needs_attention(exc.message)
        raise RunStopped(exc.message) from None
    except Rejected as exc:
        _fail(txn, item, message=exc.message, code=f"{provider.key}_validation")
        return
    except RateLimited as exc:
        # Nothing was sent, or the books refused to process it: not an attempt. The turn
        # comes back when the company's window opens; the worker serves another company.
        SyncRunItem.objects.filter(pk=item.pk).update(attempts=attempt - 1)
        raise Deferred(max(exc.retry_after, 0.05)) from None
    except Unavailable as exc:
        if attempt < MAX_ATTEMPTS:
            raise Deferred(min(10.0, settings.SYNC_RETRY_BASE_SECONDS * 2**attempt)) from None
        _fail(
            txn,
            item,
            message=f"{provider.name} could not be reached after {MAX_ATTEMPTS} attempts "
            f"({exc.message}). Retry the failed transactions later.",
            code=f"{provider.key}_unavailable",
        )
        return
    except ProviderError as exc:
        _fail(txn, item, message=exc.message, code=f"{provider.key}_error")
        return
    _succeed(txn, item)


def _create_entry_once(
    txn: Transaction,
    source: Account,
    session: ProviderSession,
    input_vat: Account | None = None,
    *,
    books: BooksConnection | None = None,
) -> EntryRef:
    """Create the transaction's entry, or adopt the one an earlier attempt left in the books;
    its id is stored before this returns. `books` brings its provider's capabilities (None:
    the plain path: no files before the create, no key)."""
    links = [link_for(document) for document in txn.documents.all()]
    draft = journal_entry_for(
        txn, source_account=source, input_vat_account=input_vat, receipt_links=links
    )
    if txn.push_started_at is not None:
        # An earlier attempt may have reached the books: look before creating.
        found = session.find_entry(reference=txn.reference, date=txn.transaction_date)
        if found is not None:
            _record_entry(txn, draft, entry_id=found.id, status=found.status, adopted=True)
            return found
    files: list[AttachmentRef] = []
    upload_first = keyed = False
    if books is not None:
        upload_first = books.provider.attachment_flow == AttachmentFlow.UPLOAD_BEFORE_CREATE
        keyed = books.provider.takes_idempotency_key
        if upload_first:
            files = upload_documents(txn, books, uploading(session))
    key = idempotency_key_for(txn, draft, files) if keyed else None
    Transaction.objects.filter(pk=txn.pk).update(push_started_at=timezone.now())
    txn.push_started_at = timezone.now()
    try:
        if upload_first or keyed:
            created = session.create_draft_entry(draft, attachments=files, idempotency_key=key)
        else:  # the plain path, as it always was
            created = session.create_draft_entry(draft)
    except (AuthRefused, Rejected, RateLimited):
        # The provider answered and refused: nothing was created, no lookup needed next time.
        Transaction.objects.filter(pk=txn.pk).update(push_started_at=None)
        txn.push_started_at = None
        raise
    _record_entry(txn, draft, entry_id=created.id, status=created.status, adopted=False)
    return created


def _record_entry(
    txn: Transaction, draft: JournalEntryDraft, *, entry_id: str, status: str, adopted: bool
) -> None:
    Transaction.objects.filter(pk=txn.pk).update(
        journal_entry_id=entry_id,
        journal_entry_status=status,
        journal_entry_lines=lines_snapshot(draft),
    )
    txn.journal_entry_id = entry_id
    txn.journal_entry_status = status
    record_audit(
        organization=txn.organization,
        actor=None,
        action="transaction.journal_entry_created",
        target_type="transaction",
        target_id=txn.pk,
        after={"journal_entry_id": entry_id, "status": status, "adopted": adopted},
    )


def _attach_documents(txn: Transaction, books: BooksConnection, session: ProviderSession) -> None:
    """Upload each receipt not yet attached; books that take no files keep the links every
    entry carries on its assigned account's line."""
    assert txn.journal_entry_id is not None
    if books.provider.attachment_flow == AttachmentFlow.UPLOAD_BEFORE_CREATE:
        # The files travelled with the create (uploaded first, before "about to create", so
        # an adopted entry has them too), or the books take none and the entry has the links.
        Document.objects.filter(transaction=txn, attached_at__isnull=True).update(
            attached_at=timezone.now()
        )
        return
    for document in Document.objects.filter(transaction=txn, attached_at__isnull=True):
        if books.attachments_supported is False:
            Document.objects.filter(pk=document.pk).update(attached_at=timezone.now())
            continue
        try:
            with document.file.open("rb") as handle:
                content = handle.read()
            attached = session.attach_document(
                txn.journal_entry_id,
                filename=document.filename,
                content=content,
                content_type=document.content_type,
            )
        except AttachmentsUnsupported:
            books.remember_attachments_supported(False)
            Document.objects.filter(pk=document.pk).update(attached_at=timezone.now())
            continue
        Document.objects.filter(pk=document.pk).update(
            external_attachment_id=attached.id, attached_at=timezone.now()
        )
        if books.attachments_supported is None:
            books.remember_attachments_supported(True)


@transaction.atomic
def _succeed(txn: Transaction, item: SyncRunItem) -> None:
    now = timezone.now()
    Transaction.objects.filter(pk=txn.pk).update(
        status=TransactionStatus.SYNCED,
        synced_at=now,
        status_reason="",
        error_code="",
        updated_at=now,
    )
    SyncRunItem.objects.filter(pk=item.pk).update(
        outcome=SyncRunItemOutcome.SUCCEEDED, journal_entry_id=txn.journal_entry_id, finished_at=now
    )
    record_audit(
        organization=txn.organization,
        actor=None,
        action="transaction.synced",
        target_type="transaction",
        target_id=txn.pk,
        before={"status": TransactionStatus.SYNCING},
        after={"status": TransactionStatus.SYNCED, "journal_entry_id": txn.journal_entry_id},
    )


@transaction.atomic
def _fail(txn: Transaction, item: SyncRunItem, *, message: str, code: str) -> None:
    now = timezone.now()
    Transaction.objects.filter(pk=txn.pk).update(
        status=TransactionStatus.FAILED, status_reason=message, error_code=code, updated_at=now
    )
    SyncRunItem.objects.filter(pk=item.pk).update(
        outcome=SyncRunItemOutcome.FAILED, error=message, error_code=code, finished_at=now
    )
    record_audit(
        organization=txn.organization,
        actor=None,
        action="transaction.sync_failed",
        target_type="transaction",
        target_id=txn.pk,
        before={"status": TransactionStatus.SYNCING},
        after={"status": TransactionStatus.FAILED, "error": message, "code": code},
    )


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
