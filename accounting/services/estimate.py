"""What a sync run of the verified transactions will cost before it starts: the requests it
takes, and how long the organization's request limit makes it at least (a daily quota can
make it days). The sync button asks for confirmation with this when the run is long."""

import math
from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounting.models import Document, Transaction, TransactionStatus
from accounting.providers import BudgetWindow, connection_for
from sifi.models import Organization

DAY = 86_400


@dataclass(frozen=True)
class SyncEstimate:
    transactions: int
    requests: int
    # The limit that makes the run longest (None: no limit known).
    limit: int | None
    period_seconds: float | None
    # At least this long at that limit (0: no limit), counted from an unused budget.
    seconds: float
    # What the sync button asks before a long run ("" when it is short: no question).
    question: str


def _longest(windows: list[BudgetWindow], requests: int) -> tuple[BudgetWindow | None, float]:
    """The window that makes `requests` take longest, and how long. A short window paces them
    (6,000 at 100 a minute: an hour); a daily quota they exceed makes it days (6,000 at 2,000
    a day: the third day), one they fit in costs nothing."""
    best: tuple[BudgetWindow | None, float] = (None, 0.0)
    for window in windows:
        if window.period_seconds >= DAY:
            periods = math.ceil(requests / window.limit) if requests > window.limit else 0
            seconds = periods * window.period_seconds
        else:
            seconds = requests / window.limit * window.period_seconds
        if seconds > best[1]:
            best = (window, seconds)
    return best


def _per_period(window: BudgetWindow) -> str:
    if window.period_seconds >= DAY:
        return _("%(limit)s a day") % {"limit": f"{window.limit:,}"}
    if window.period_seconds >= 60:
        return _("%(limit)s a minute") % {
            "limit": f"{window.limit * 60 / window.period_seconds:,.0f}"
        }
    return _("%(limit)s a second") % {"limit": f"{window.limit / window.period_seconds:,.0f}"}


def _duration(seconds: float) -> str:
    if seconds >= DAY:
        days = math.ceil(seconds / DAY)
        return ngettext("about %(n)s day", "about %(n)s days", days) % {"n": days}
    if seconds >= 3600:
        hours = math.ceil(seconds / 3600)
        return ngettext("about %(n)s hour", "about %(n)s hours", hours) % {"n": hours}
    minutes = max(1, math.ceil(seconds / 60))
    return ngettext("about %(n)s minute", "about %(n)s minutes", minutes) % {"n": minutes}


def sync_estimate(organization: Organization) -> SyncEstimate:
    """The cost of syncing every verified transaction of the organization now."""
    verified = Transaction.objects.filter(
        organization=organization, status=TransactionStatus.VERIFIED
    )
    transactions = verified.count()
    books = connection_for(organization)
    if books is None or not books.is_connected or not transactions:
        return SyncEstimate(transactions, 0, None, None, 0.0, "")
    files = Document.objects.filter(organization=organization, transaction__in=verified).count()
    requests = books.provider.estimated_requests(entries=transactions, files=files)
    budget = books.request_budget()
    windows = budget.windows() if budget is not None else []
    window, seconds = _longest(windows, requests)
    question = ""
    if window is not None and seconds >= settings.SYNC_CONFIRM_ABOVE_SECONDS:
        question = ngettext(
            "About %(requests)s requests: %(provider)s allows %(limit)s, so this run takes "
            "%(duration)s. Nothing is sent twice while it waits. Sync %(transactions)s "
            "verified transaction?",
            "About %(requests)s requests: %(provider)s allows %(limit)s, so this run takes "
            "%(duration)s. Nothing is sent twice while it waits. Sync %(transactions)s "
            "verified transactions?",
            transactions,
        ) % {
            "requests": f"{requests:,}",
            "provider": books.provider.name,
            "limit": _per_period(window),
            "duration": _duration(seconds),
            "transactions": f"{transactions:,}",
        }
    return SyncEstimate(
        transactions=transactions,
        requests=requests,
        limit=window.limit if window else None,
        period_seconds=window.period_seconds if window else None,
        seconds=seconds,
        question=question,
    )
