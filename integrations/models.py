"""Connections to accounting systems (one per organization and provider) and background jobs."""

from typing import TYPE_CHECKING, ClassVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from sifi.fields import EncryptedTextField
from sifi.models import Organization

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class Provider(models.TextChoices):
    QOYOD = "qoyod", "Qoyod"


class ConnectionStatus(models.TextChoices):
    NOT_CONNECTED = "not_connected", _("Not connected")
    CONNECTED = "connected", _("Connected")
    NEEDS_ATTENTION = "needs_attention", _("Needs attention")


class Integration(models.Model):
    """An organization's connection to one provider: consent, encrypted key, configuration."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="integrations"
    )
    provider = models.CharField(max_length=32, choices=Provider.choices, default=Provider.QOYOD)
    status = models.CharField(
        max_length=32, choices=ConnectionStatus.choices, default=ConnectionStatus.NOT_CONNECTED
    )
    attention_reason = models.TextField(blank=True)

    consented_scopes = models.JSONField(default=list, blank=True)
    consented_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    consented_at = models.DateTimeField(null=True, blank=True)

    api_key = EncryptedTextField(blank=True, default="")
    api_key_hint = models.CharField(max_length=4, blank=True)
    connected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    connected_at = models.DateTimeField(null=True, blank=True)

    attributes = models.JSONField(default=list, blank=True)
    source_account = models.ForeignKey(
        "accounting.Account", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # Where the VAT of each transaction goes, as a line of its own; empty: the organization is
    # not VAT-registered and amounts are booked gross (SPEC §3.5).
    input_vat_account = models.ForeignKey(
        "accounting.Account", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    auto_sync = models.BooleanField(default=False)
    # Whether this Qoyod company accepts attachments through the API (None: not known yet).
    attachments_supported = models.BooleanField(null=True, blank=True)
    last_sync_at = models.DateTimeField(null=True, blank=True)
    last_sync_status = models.CharField(max_length=32, blank=True)
    last_sync_message = models.TextField(blank=True)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["organization", "provider"], name="integration_one_per_provider"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organization} · {self.get_provider_display()}"


class Vendor(models.Model):
    """A supplier mirrored from the provider (optional attribute), upserted by the provider's id."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="vendors")
    external_id = models.BigIntegerField()
    name = models.CharField(max_length=255)
    tax_number = models.CharField(max_length=64, blank=True)
    email = models.CharField(max_length=255, blank=True)
    phone_number = models.CharField(max_length=64, blank=True)
    active = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["organization", "external_id"], name="vendor_unique_external_id_per_org"
            ),
        ]
        ordering: ClassVar = ["name"]

    def __str__(self) -> str:
        return self.name


class JobStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")


class Job(models.Model):
    """A unit of background work whose progress a person can watch (done / total)."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="jobs")
    kind = models.CharField(max_length=64)
    status = models.CharField(max_length=16, choices=JobStatus.choices, default=JobStatus.QUEUED)
    done = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    params = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering: ClassVar = ["-created_at", "-id"]
        constraints: ClassVar = [
            # Two configuration syncs of one organization never run at once.
            models.UniqueConstraint(
                fields=["organization", "kind"],
                condition=models.Q(status__in=["queued", "running"]),
                name="job_one_active_per_org_and_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk} ({self.status})"

    @property
    def is_active(self) -> bool:
        """Queued or running: its progress bar keeps polling."""
        return self.status in (JobStatus.QUEUED, JobStatus.RUNNING)


# The permissions we ask for at consent: exactly what the product uses (SPEC §3.2).
QOYOD_SCOPES: dict[str, "StrOrPromise"] = {
    "organization:read": _("Read organization details"),
    "accounts:read": _("Read the chart of accounts"),
    "vendors:read": _("Read vendors"),
    "journal_entries:write": _("Create journal entries"),
    "documents:write": _("Attach documents (receipts) to journal entries"),
}

# What "Select attributes" offers; accounts are mandatory (always synced).
MANDATORY_ATTRIBUTES = ("accounts",)
OPTIONAL_ATTRIBUTES = ("vendors",)
