"""`python manage.py sync_queues`: per company, what the fair scheduler holds now."""

from typing import Any

from django.core.management.base import BaseCommand

from accounting.selectors import CompanyQueue, sync_queues


def _requests_used(row: CompanyQueue) -> str:
    """ "12/300" for a budget of one window; "97/100 a minute, 1000/1000 a day" for several."""
    if not row.request_windows:
        return "no limit"
    if len(row.request_windows) == 1:
        return f"{row.requests_used}/{row.request_limit}"
    return ", ".join(
        f"{window.used}/{window.limit} a {window.name}" for window in row.request_windows
    )


def _state(row: CompanyQueue) -> str:
    if not row.waiting_seconds:
        return "pushing" if row.turns_in_flight else "queued"
    binding = row.binding_window
    which = f"the {binding.name} limit" if binding is not None and binding.name else "the limit"
    seconds = row.waiting_seconds
    hours, minutes = divmod(-(-seconds // 60), 60)
    later = f", about {hours} h {minutes:02d} min" if seconds >= 3600 else ""
    return f"waiting for {which} (next slot in {seconds} s{later})"


class Command(BaseCommand):
    help = (
        "Per company with sync work: runs queued and running, transactions and batches "
        "waiting, turns in flight, requests used in each window of its limit (per minute, "
        "per day) and what it waits for."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        rows = sync_queues()
        if not rows:
            self.stdout.write("No sync work queued or in flight.")
            return
        header = (
            f"{'company':<28} {'books':<8} {'queued':>6} {'running':>7} {'waiting':>8} "
            f"{'batches':>7} {'turns':>5} {'requests used':>15}  state"
        )
        self.stdout.write(header)
        for row in rows:
            used, state = _requests_used(row), _state(row)
            self.stdout.write(
                f"{row.organization[:28]:<28} {row.provider[:8]:<8} {row.runs_queued:>6} "
                f"{row.runs_running:>7} {row.transactions_waiting:>8} {row.batches_waiting:>7} "
                f"{row.turns_in_flight:>5} {used:>15}  {state}"
            )
