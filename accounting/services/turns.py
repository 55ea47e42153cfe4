"""Turns: the fair scheduler's unit of work (docs/ARCHITECTURE.md, "Many companies at once").

A turn pushes a few of one company's pending transactions (its stripe of them, oldest run
first) through one session, `SYNC_TURN_CONCURRENCY` at a time, then hands the worker back:
its next turn goes to the back of the queue, or comes back when the company's request budget
opens (a deferral, never a failure), or ends when the stripe has nothing left. A turn works
only while it holds its lease (`scheduler`); each push keeps its own exactly-once promises
(`push`), so a turn delivered twice or taken over never doubles one.

`push_batch` does a turn's work for one run, in this process: the tests and the benchmarks'
sequential baseline.
"""

import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import connection
from django.db.models import F, QuerySet
from django.utils import timezone

from accounting.models import ACTIVE_RUN_STATUSES, SyncRun, SyncRunItem, SyncRunItemOutcome
from accounting.providers import (
    BooksConnection,
    ProviderSession,
    RequestBudget,
    binding_window,
    connection_for,
)
from accounting.services import late_receipts, scheduler
from accounting.services.closed_periods import read_lock_once
from accounting.services.push import Deferred, RunStopped, push_locked
from accounting.services.run_lifecycle import books_or_stop, finish_run_if_done, mark_running
from sifi.models import Organization


@dataclass(frozen=True)
class TurnEnd:
    """What follows a turn: its next message (`lease`, after `countdown` seconds), or none."""

    lease: str | None = None
    countdown: float = 0.0


# A budget whose shortest window is this short (a limit per second) is waited out, not deferred.
SHORT_WINDOW_SECONDS = 1.0


def pace_seconds(budget: RequestBudget | None) -> float:
    """How long a turn's request may wait for the company's budget before the turn is
    deferred instead: SYNC_LIMIT_PACE_SECONDS; but a budget of a second or less (requests per
    second) is waited out for up to its window. Its next slot is never further away than that,
    and a deferral of a fraction of a second costs a republish each time: a company of 10
    requests a second pushed 13 % below its limit when such waits were deferred."""
    pace = float(settings.SYNC_LIMIT_PACE_SECONDS)
    if budget is not None and budget.period_seconds <= SHORT_WINDOW_SECONDS:
        return max(pace, budget.period_seconds)
    return pace


class _Sessions:
    """One session with the books, opened at the first push (a turn with nothing to do opens
    none); its requests wait at most `pace` seconds for the budget."""

    def __init__(self, books: BooksConnection, stack: ExitStack, pace: float) -> None:
        self.books = books
        self.stack = stack
        self.pace = pace
        self.session: ProviderSession | None = None

    def get(self) -> ProviderSession:
        if self.session is None:
            opened = self.books.open_session(max_wait=self.pace)
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
    books = books_or_stop(organization)
    if books is None:
        scheduler.release(organization_id, stripe, lease)
        return TurnEnd()
    budget = books.request_budget()
    pace = pace_seconds(budget)
    turns = scheduler.turns_for(budget)
    if stripe >= turns:
        scheduler.release(organization_id, stripe, lease)
        return TurnEnd()
    deadline = time.monotonic() + settings.SYNC_TURN_SECONDS
    seen: set[int] = set()
    seen_receipts: set[int] = set()  # late receipts this turn took
    runs: dict[int, SyncRun] = {}
    pushed = 0
    exhausted = False  # the stripe had nothing more for this turn
    with ExitStack() as stack:
        # On every way out: what this turn pushed may have completed runs.
        stack.callback(_finish_runs, runs)
        sessions = _Sessions(books, stack, pace)
        while pushed < settings.SYNC_TURN_TRANSACTIONS and time.monotonic() < deadline:
            batch = next_pending(
                organization_id,
                stripe=stripe,
                turns=turns,
                exclude=seen,
                limit=settings.SYNC_TURN_TRANSACTIONS - pushed,
            )
            # Once its pushes are done, the turn takes the company's late receipts (in its
            # share and its budget, like pushes).
            receipts = (
                []
                if batch
                else _late_receipts(organization_id, stripe, turns, seen_receipts, pushed)
            )
            if not batch and not receipts:
                exhausted = True
                break
            seen.update(transaction_id for _run, transaction_id in batch)
            seen_receipts.update(receipts)
            wait = budget.wait_seconds() if budget is not None else 0.0
            outcomes: list[bool | Deferred | RunStopped]
            if wait > pace:
                outcomes = [Deferred(wait, window=_spent_window(budget))]
            elif receipts:
                scheduler.renew(organization_id, stripe, lease)
                outcomes = late_receipts.attach_all(
                    receipts, books, sessions.get(), organization_id=organization_id
                )
            else:
                for run_id, _transaction in batch:
                    if run_id not in runs:
                        runs[run_id] = mark_running(run_id)  # if its dispatch is yet to come
                        read_lock_once(runs[run_id], books, sessions.get())  # once a run
                scheduler.renew(organization_id, stripe, lease)
                outcomes = _push_all(batch, runs, books, sessions.get())
            done = sum(1 for outcome in outcomes if outcome is True)
            if done and not pushed:
                _mark_waiting(organization_id, None)
            pushed += done
            if any(isinstance(outcome, RunStopped) for outcome in outcomes):
                scheduler.release(organization_id, stripe, lease)
                return TurnEnd()
            deferrals = [outcome for outcome in outcomes if isinstance(outcome, Deferred)]
            if deferrals:
                first = min(deferrals, key=lambda deferral: deferral.seconds)
                seconds = first.seconds
                _mark_waiting(organization_id, seconds, window=first.window)
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
        if has_pending(organization_id, stripe=stripe, turns=turns) or late_receipts.has_ready(
            organization_id, stripe=stripe, turns=turns
        ):
            again = scheduler.claim(organization_id, stripe)
            return TurnEnd(lease=again, countdown=0.0 if pushed else 1.0)
        return TurnEnd()


def _late_receipts(
    organization_id: int, stripe: int, turns: int, seen: set[int], pushed: int
) -> list[int]:
    return late_receipts.next_ready(
        organization_id,
        stripe=stripe,
        turns=turns,
        exclude=seen,
        limit=settings.SYNC_TURN_TRANSACTIONS - pushed,
    )


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
                outcomes.append(push_locked(runs[run_id], books, transaction_id, session))
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


def _finish_runs(runs: dict[int, SyncRun]) -> None:
    for run_id in runs:
        finish_run_if_done(run_id=run_id)


def _spent_window(budget: RequestBudget | None) -> str:
    """The name of the budget's window that holds the company back ("" if none is named)."""
    return binding_window(budget.windows()).name if budget is not None else ""


# A wait shorter than this is pacing, not waiting: the run goes on before anyone reads it
# (a limit of 300 a minute spaces requests 0.2 s apart), so the runs do not say they wait.
NOTICEABLE_WAIT_SECONDS = 2.0


def _mark_waiting(organization_id: int, seconds: float | None, *, window: str = "") -> None:
    """Show on the company's active runs when its budget opens again, and which window it
    waits for (None, or a wait too short to notice: it is pushing)."""
    active = SyncRun.objects.filter(organization_id=organization_id, status__in=ACTIVE_RUN_STATUSES)
    if seconds is None or seconds < NOTICEABLE_WAIT_SECONDS:
        active.filter(waiting_until__isnull=False).update(waiting_until=None, waiting_window="")
    else:
        until = timezone.now() + timedelta(seconds=seconds)
        active.update(waiting_until=until, waiting_window=window)


# --- in this process, for one run: the tests and the benchmarks' sequential baseline ------

BATCH_SIZE = 25


def pending_batches(run: SyncRun) -> list[list[int]]:
    """The run's pending transactions in batches, for `push_batch` (in-process pushing: tests
    and the benchmarks' sequential baseline; workers go by turns)."""
    pending = list(
        SyncRunItem.objects.filter(run=run, outcome=SyncRunItemOutcome.PENDING)
        .order_by("pk")
        .values_list("transaction_id", flat=True)
    )
    return [pending[i : i + BATCH_SIZE] for i in range(0, len(pending), BATCH_SIZE)]


def push_batch(*, run_id: int, transaction_ids: list[int]) -> float | None:
    """Push some of one run's transactions now, in this process, through one session (what
    a turn does, for one run: tests and the benchmarks' sequential baseline use it).
    Idempotent: a pushed transaction is skipped. None when done, or the seconds to wait when
    the company's request budget is spent (the rest stays pending)."""
    run = SyncRun.objects.select_related("organization").get(pk=run_id)
    books = books_or_stop(run.organization)
    if books is None:
        return None
    with ExitStack() as stack:
        sessions = _Sessions(books, stack, pace_seconds(books.request_budget()))
        if transaction_ids:
            read_lock_once(run, books, sessions.get())  # once a run
        for transaction_id in transaction_ids:
            if not SyncRun.objects.filter(pk=run_id, status__in=ACTIVE_RUN_STATUSES).exists():
                return None
            try:
                push_locked(run, books, transaction_id, sessions.get())
            except Deferred as deferred:
                _mark_waiting(run.organization_id, deferred.seconds, window=deferred.window)
                return deferred.seconds
            except RunStopped:
                return None
    finish_run_if_done(run_id=run_id)
    return None
