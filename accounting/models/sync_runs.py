"""Sync runs: a set of verified transactions pushed together, and each one's result in it."""

import math
from typing import Any, ClassVar

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounting.models.chart import EXTERNAL_ID_LENGTH
from accounting.models.transactions import Transaction
from sifi.models import Organization


class SyncRunStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    SUCCEEDED = "succeeded", _("Succeeded")
    PARTIAL = "partially_failed", _("Partially failed")
    FAILED = "failed", _("Failed")
    STOPPED = "stopped", _("Stopped")  # the connection needs attention; the rest stay verified


ACTIVE_RUN_STATUSES = (SyncRunStatus.QUEUED, SyncRunStatus.RUNNING)


class SyncRun(models.Model):
    """A set of verified transactions taken together to be pushed to the organization's books."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="sync_runs"
    )
    # "Sync run #3" on the pages: the organization's own count (its first run is #1); the
    # API and the addresses keep the id. Given on the first save (`save`).
    number = models.PositiveIntegerField(editable=False)
    status = models.CharField(
        max_length=20, choices=SyncRunStatus.choices, default=SyncRunStatus.QUEUED
    )
    total = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    retry_of = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="retries"
    )
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Heartbeat of the workers: a run not touched for a while is picked up by the reaper.
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    # When the run read the books' lock date (books that say it when asked): once per run.
    lock_read_at = models.DateTimeField(null=True, blank=True)
    # The company's request budget is spent: its pushes resume then (None: not waiting).
    waiting_until = models.DateTimeField(null=True, blank=True)
    # Which window of the budget it waits for ("minute", "day"; "" for a budget of one).
    waiting_window = models.CharField(max_length=16, blank=True)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["organization", "number"], name="sync_run_number_per_organization"
            ),
        ]
        ordering: ClassVar = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Sync run #{self.number} ({self.status})"

    def save(self, *args: Any, **kwargs: Any) -> None:
        """A new run takes the organization's next number. Two runs started at once are
        numbered one after the other: the organization's row is locked until the run's
        transaction commits, so the second reads the first's number."""
        if self.number is not None:
            super().save(*args, **kwargs)
            return
        with transaction.atomic():
            Organization.objects.select_for_update().filter(pk=self.organization_id).first()
            last = SyncRun.objects.filter(organization_id=self.organization_id).aggregate(
                last=models.Max("number")
            )["last"]
            self.number = (last or 0) + 1
            super().save(*args, **kwargs)

    @property
    def is_active(self) -> bool:
        """Still pushing (or waiting for a worker): its page keeps polling."""
        return self.status in ACTIVE_RUN_STATUSES

    @property
    def waiting_seconds(self) -> int:
        """Seconds until the provider's limit lets this run push again (0: not waiting)."""
        if not self.is_active or self.waiting_until is None:
            return 0
        left = (self.waiting_until - timezone.now()).total_seconds()
        return max(0, math.ceil(left))


class SyncRunItemOutcome(models.TextChoices):
    PENDING = "pending", _("Pending")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")
    RELEASED = "released", _("Not pushed")  # the run stopped; the transaction stays verified


class SyncRunItem(models.Model):
    """One transaction's result in one run: the provider's entry id or the error."""

    run = models.ForeignKey(SyncRun, on_delete=models.CASCADE, related_name="items")
    transaction = models.ForeignKey(Transaction, on_delete=models.CASCADE, related_name="+")
    outcome = models.CharField(
        max_length=16, choices=SyncRunItemOutcome.choices, default=SyncRunItemOutcome.PENDING
    )
    journal_entry_id = models.CharField(  # noqa: DJ001 (NULL: no entry, as on Transaction)
        max_length=EXTERNAL_ID_LENGTH, null=True, blank=True
    )
    error = models.TextField(blank=True)
    error_code = models.CharField(max_length=64, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["run", "transaction"], name="sync_item_once_per_run"),
        ]
        indexes: ClassVar = [models.Index(fields=["run", "outcome"], name="sync_item_run_outcome")]
        ordering: ClassVar = ["id"]

    def __str__(self) -> str:
        return f"{self.run_id}/{self.transaction_id}: {self.outcome}"
