"""Reconciliations (SPEC §5): what the books hold now, compared with what we sent, and the
findings."""

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounting.models.transactions import Transaction
from sifi.models import Organization


class ReconciliationStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")


class Reconciliation(models.Model):
    """What the books hold now, compared with what we sent, for the synced transactions of a
    date range (SPEC §5)."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="reconciliations"
    )
    date_from = models.DateField()
    date_to = models.DateField()
    status = models.CharField(
        max_length=16, choices=ReconciliationStatus.choices, default=ReconciliationStatus.QUEUED
    )
    trigger = models.CharField(max_length=16, default="manual")  # manual / nightly
    checked = models.PositiveIntegerField(default=0)
    matched = models.PositiveIntegerField(default=0)
    missing = models.PositiveIntegerField(default=0)
    duplicated = models.PositiveIntegerField(default=0)
    mismatched = models.PositiveIntegerField(default=0)
    # Synced transactions with receipts that arrived late and are not in their entry yet.
    late_receipts = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # A person has seen the findings (the banner goes away).
    acknowledged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering: ClassVar = ["-created_at", "-id"]
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=models.Q(date_from__lte=models.F("date_to")),
                name="reconciliation_dates_in_order",
            ),
        ]

    def __str__(self) -> str:
        return f"Reconciliation #{self.pk} {self.date_from} to {self.date_to} ({self.status})"

    @property
    def is_active(self) -> bool:
        return self.status in (ReconciliationStatus.QUEUED, ReconciliationStatus.RUNNING)

    @property
    def problems(self) -> int:
        return self.missing + self.duplicated + self.mismatched + self.late_receipts


class ReconciliationProblem(models.TextChoices):
    MISSING = "missing", _("Missing")
    DUPLICATED = "duplicated", _("Duplicated")
    MISMATCHED = "mismatched", _("Mismatched")
    LATE_RECEIPTS = "late_receipts", _("Late receipts not sent")


class ReconciliationItem(models.Model):
    """One finding: a synced transaction whose entry is gone, duplicated or different."""

    reconciliation = models.ForeignKey(
        Reconciliation, on_delete=models.CASCADE, related_name="items"
    )
    transaction = models.ForeignKey(Transaction, on_delete=models.CASCADE, related_name="+")
    problem = models.CharField(max_length=16, choices=ReconciliationProblem.choices)
    journal_entry_ids = models.JSONField(default=list)
    detail = models.TextField(blank=True)

    class Meta:
        ordering: ClassVar = ["id"]

    def __str__(self) -> str:
        return f"{self.transaction_id}: {self.problem}"
