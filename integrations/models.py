"""Connections to accounting systems (one per organization and provider) and background jobs."""

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from sifi.fields import EncryptedTextField
from sifi.models import Organization


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
    auto_sync = models.BooleanField(default=False)
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

    class Meta:
        ordering: ClassVar = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk} ({self.status})"
