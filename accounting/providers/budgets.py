"""Request budgets: a provider company's request limit, shared by every worker process (one
window or several), which the sync engine schedules around instead of sleeping on."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class BudgetWindow:
    """One window of a request budget as it stands now: at most `limit` requests in any
    `period_seconds`; `used` in the current window; `wait_seconds` until it lets one more
    go (a window the provider told us is spent — a penalty — waits too). `name` says which
    ("minute", "day"; "" for a budget of one window)."""

    limit: int
    period_seconds: float
    used: int
    wait_seconds: float
    name: str = ""


def binding_window(windows: Sequence[BudgetWindow]) -> BudgetWindow:
    """The window that holds a budget back: the one that waits longest, else the fullest."""
    return max(windows, key=lambda window: (window.wait_seconds, window.used / window.limit))


class RequestBudget(Protocol):
    """A provider company's request limit, shared by every worker process: one window or
    several at once (100 a minute *and* 1,000 a day), every request taking a slot in each.
    The sync engine schedules around it (defers a company's work until its windows open)
    instead of sleeping on it.

    `limit` per `period_seconds` is the first (shortest) window, the one that paces requests
    (how many turns keep a company busy); longer windows only defer."""

    key: str  # one per provider company (never a secret)
    limit: int

    @property
    def period_seconds(self) -> float: ...

    def wait_seconds(self) -> float:
        """Seconds until the next request may go (0.0: now): the longest wait among the
        windows; takes nothing."""
        ...

    def used(self) -> int:
        """Requests sent in the binding window: the one that waits longest, else the fullest."""
        ...

    def windows(self) -> list[BudgetWindow]:
        """Every window as it stands now, shortest first (one read for all)."""
        ...
