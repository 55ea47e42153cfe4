"""`python manage.py sync_queues`: per company, what the fair scheduler holds now."""

from typing import Any

from django.core.management.base import BaseCommand

from accounting.selectors import sync_queues


class Command(BaseCommand):
    help = (
        "Per company with sync work: runs queued and running, transactions and batches "
        "waiting, turns in flight, requests used in the current window of its limit."
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
            used = (
                f"{row.requests_used}/{row.request_limit}"
                if row.request_limit is not None
                else "no limit"
            )
            state = (
                f"waiting for the limit (next slot in {row.waiting_seconds} s)"
                if row.waiting_seconds
                else ("pushing" if row.turns_in_flight else "queued")
            )
            self.stdout.write(
                f"{row.organization[:28]:<28} {row.provider[:8]:<8} {row.runs_queued:>6} "
                f"{row.runs_running:>7} {row.transactions_waiting:>8} {row.batches_waiting:>7} "
                f"{row.turns_in_flight:>5} {used:>15}  {state}"
            )
