"""Closed periods: books that refuse entries dated on or before their lock date, and the
organization's posting-date policy (`PostingDatePolicy`, in `AccountingSettings`).

What the ledger knows of a company's closed period is its last closed day
(`BooksConnection.closed_until`), learned three ways, none a request per transaction:
- books that say it when asked (`Provider.reads_lock_date`, a `LockReadingSession`) are read
  with the chart (the configuration sync) and once per run (`read_lock_once`, the run's first
  turn); an entry dated in the closed period is then refused or moved *before* it is sent;
- any provider's refusal (`PeriodClosed`), which may name the day; the push then moves the
  entry once, in the same push, under the "first open day" policy.

With the policy "transaction_date" such a transaction fails with "The books are closed up to
<date>." (code "<provider>_closed"); the run page's one click, `runs.book_on_open_day`, re-queues
that run's closed-period failures dated on the first open day. With "first_open_day" the entry
is dated on the day after the lock date and its description keeps the transaction's date.
The date a transaction's entry is booked on, when not its own, is `Transaction.booked_on`,
stored before "about to create": a lookup after an unknown outcome searches that day.
"""

import dataclasses
import datetime

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from accounting.journal import JournalEntryDraft
from accounting.models import (
    PostingDatePolicy,
    SyncRun,
    SyncRunItem,
    SyncRunItemOutcome,
    Transaction,
    TransactionStatus,
)
from accounting.providers import (
    BooksConnection,
    LockReadingSession,
    PeriodClosed,
    ProviderError,
    ProviderSession,
    connection_for,
)
from accounting.services.accounting_settings import posting_date_policy_of
from sifi.models import Organization
from sifi.services import record_audit

CLOSED_KIND = "closed"  # a failure's code is "<provider key>_closed"


def closed_code(books: BooksConnection) -> str:
    return f"{books.provider.key}_{CLOSED_KIND}"


def is_closed_code(code: str) -> bool:
    return bool(code) and code.rsplit("_", 1)[-1] == CLOSED_KIND


def first_open_day(closed_until: datetime.date) -> datetime.date:
    """The first day the books take entries on: the day after the last closed one."""
    return closed_until + datetime.timedelta(days=1)


def is_closed(day: datetime.date, closed_until: datetime.date | None) -> bool:
    return closed_until is not None and day <= closed_until


def closed_message(closed_until: datetime.date | None, refusal: str = "") -> str:
    """Why the transaction failed, in our words (the provider's, when it named no day)."""
    if closed_until is not None:
        return _("The books are closed up to %(date)s.") % {"date": closed_until.isoformat()}
    return _("The books are closed on this transaction's date: %(reason)s") % {
        "reason": refusal.strip() or "?"
    }


def dated(draft: JournalEntryDraft, txn: Transaction) -> JournalEntryDraft:
    """The draft booked on `txn.booked_on` when that is set: its date moved, its description
    keeping the transaction's date."""
    if txn.booked_on is None or txn.booked_on == txn.transaction_date:
        return draft
    note = _("%(date)s (books closed; booked on %(booked_on)s)") % {
        "date": txn.transaction_date.isoformat(),
        "booked_on": txn.booked_on.isoformat(),
    }
    return dataclasses.replace(
        draft, date=txn.booked_on, description=f"{draft.description} · {note}"
    )


def _book_on(txn: Transaction, day: datetime.date, *, reason: str) -> None:
    Transaction.objects.filter(pk=txn.pk).update(booked_on=day)
    record_audit(
        organization=txn.organization,
        actor=None,
        action="transaction.booked_on_open_day",
        target_type="transaction",
        target_id=txn.pk,
        before={"date": (txn.booked_on or txn.transaction_date).isoformat()},
        after={"booked_on": day.isoformat(), "reason": reason},
    )
    txn.booked_on = day


def check_before_create(txn: Transaction, books: BooksConnection) -> None:
    """Before an entry is sent to books that told us their lock date: move it to the first
    open day (policy "first_open_day", stored on the transaction) or refuse it
    (`PeriodClosed`). Books known only from refusals are not second-guessed: their lock may
    have been lifted since, and they will say so."""
    if not books.provider.reads_lock_date:
        return
    closed_until = books.closed_until
    if not is_closed(txn.booked_on or txn.transaction_date, closed_until):
        return
    assert closed_until is not None
    if policy_of(txn) == PostingDatePolicy.FIRST_OPEN_DAY:
        _book_on(txn, first_open_day(closed_until), reason="lock_date")
        return
    raise PeriodClosed(closed_message(closed_until), closed_until=closed_until)


def move_after_refusal(
    txn: Transaction, sent: JournalEntryDraft, books: BooksConnection, refusal: PeriodClosed
) -> bool:
    """The books refused the entry as dated in their closed period: remember the day they
    named, and under the "first open day" policy book it on the day after (True: send once
    more, dated so). False: it fails."""
    closed_until = refusal.closed_until
    if closed_until is not None:
        books.remember_closed_until(closed_until)
    elif is_closed(sent.date, books.closed_until):
        closed_until = books.closed_until
    if closed_until is None or policy_of(txn) != PostingDatePolicy.FIRST_OPEN_DAY:
        return False
    day = first_open_day(closed_until)
    if day <= sent.date:
        return False  # the day it named is not what closed this date: nothing to move to
    _book_on(txn, day, reason="refused")
    return True


def after_create(books: BooksConnection, sent: JournalEntryDraft) -> None:
    """An entry dated in what we believed closed was taken: the lock was lifted or moved back
    (books known only from refusals); forget it."""
    if not books.provider.reads_lock_date and is_closed(sent.date, books.closed_until):
        books.remember_closed_until(None)


def policy_of(txn: Transaction) -> str:
    return posting_date_policy_of(txn.organization_id)


def read_lock_once(run: SyncRun, books: BooksConnection, session: ProviderSession) -> None:
    """Read the books' lock date once per run (the first turn that pushes for it), for books
    that say it when asked. A failed read leaves it to the next turn: the pushes meet the same
    failure, and the engine handles it there."""
    if not books.provider.reads_lock_date or not isinstance(session, LockReadingSession):
        return
    claimed = SyncRun.objects.filter(pk=run.pk, lock_read_at__isnull=True).update(
        lock_read_at=timezone.now()
    )
    if not claimed:
        return
    try:
        closed_until = session.read_lock_date()
    except ProviderError:
        SyncRun.objects.filter(pk=run.pk).update(lock_read_at=None)
        return
    books.remember_closed_until(closed_until)


# --- before a sync and after one: the pages' and the API's questions -----------------------


def closed_until_of(organization: Organization) -> datetime.date | None:
    books = connection_for(organization)
    return books.closed_until if books is not None else None


def dated_in_closed_period(rows: QuerySet[Transaction], closed_until: datetime.date | None) -> int:
    """How many of `rows` are dated in the known closed period (and not moved out of it)."""
    if closed_until is None:
        return 0
    return (
        rows.filter(transaction_date__lte=closed_until)
        .exclude(booked_on__gt=closed_until)
        .order_by()
        .count()
    )


def closed_failures(run: SyncRun) -> QuerySet[SyncRunItem]:
    """The run's transactions that failed because the books are closed on their date and are
    still failed."""
    return SyncRunItem.objects.filter(
        run=run,
        outcome=SyncRunItemOutcome.FAILED,
        error_code__endswith=f"_{CLOSED_KIND}",
        transaction__status=TransactionStatus.FAILED,
    )


def open_day_offer(run: SyncRun) -> datetime.date | None:
    """The day the run page offers to book its closed-period failures on (None: no offer)."""
    closed_until = closed_until_of(run.organization)
    if closed_until is None or not closed_failures(run).exists():
        return None
    return first_open_day(closed_until)
