"""Connections to accounting systems (one per organization and provider) and background jobs."""

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounting.models import EXTERNAL_ID_LENGTH
from sifi.fields import EncryptedJSONField
from sifi.models import Organization


class ConnectionStatus(models.TextChoices):
    NOT_CONNECTED = "not_connected", _("Not connected")
    CONNECTED = "connected", _("Connected")
    NEEDS_ATTENTION = "needs_attention", _("Needs attention")


class Integration(models.Model):
    """An organization's connection to one provider: consent, encrypted key, configuration."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="integrations"
    )
    # The key of a registered accounting system (settings.ACCOUNTING_PROVIDERS).
    provider = models.CharField(max_length=32)
    status = models.CharField(
        max_length=32, choices=ConnectionStatus.choices, default=ConnectionStatus.NOT_CONNECTED
    )
    attention_reason = models.TextField(blank=True)

    consented_scopes = models.JSONField(default=list, blank=True)
    consented_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    consented_at = models.DateTimeField(null=True, blank=True)

    # What the provider needs to open a session, whatever it is: the secrets (an API key; an
    # OAuth refresh token) encrypted at rest, never logged, never returned; and where the books
    # are (an instance URL, a database, a login, the provider's company), not secret, kept
    # after a disconnect so that connecting again asks for the secrets only.
    secrets = EncryptedJSONField(blank=True, default=dict)
    secret_hint = models.CharField(max_length=4, blank=True)  # the key's last 4 characters
    location = models.JSONField(default=dict, blank=True)
    # What connecting learned: the companies the credentials reach when a person must choose
    # one ([{"id", "name", "currency"}], OAuth grants), the one we keep books in, its version.
    companies = models.JSONField(default=list, blank=True)
    company_name = models.CharField(max_length=200, blank=True)
    server_version = models.CharField(max_length=32, blank=True)
    # Books that file entries in journals: the ones ours may go to ([{"id", "code", "name"}],
    # refreshed at every configuration sync) and the chosen one.
    journals = models.JSONField(default=list, blank=True)
    journal_external_id = models.CharField(  # noqa: DJ001 (NULL: the provider's default)
        max_length=EXTERNAL_ID_LENGTH, null=True, blank=True
    )
    journal_name = models.CharField(max_length=200, blank=True)
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
    # Where reverse-charge output VAT goes (foreign services: accounting/services/reverse_charge):
    # a liability; empty: reverse charge cannot be booked (such transactions fail, saying so).
    output_vat_account = models.ForeignKey(
        "accounting.Account", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    auto_sync = models.BooleanField(default=False)
    # The provider's own configuration values, by name (its connect flow's `options`: a daily
    # request quota, a switch); never a secret.
    options = models.JSONField(default=dict, blank=True)
    # Whether these books accept attachments through the API (None: not known yet).
    attachments_supported = models.BooleanField(null=True, blank=True)
    # The last day of the books' closed period, as last learned (read with the chart, once a
    # run, or from a refusal); None: none known.
    books_closed_until = models.DateField(null=True, blank=True)
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
            # One organization, one accounting system: at most one connection is not
            # "not connected" (the services say which to disconnect first).
            models.UniqueConstraint(
                fields=["organization"],
                condition=~models.Q(status="not_connected"),
                name="integration_one_system_per_org",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organization} · {self.provider}"

    def credentials(self) -> dict[str, str]:
        """What the provider needs to open a session: where the books are, and the secrets."""
        values = {**self.location, **self.secrets}
        return {name: str(value) for name, value in values.items() if value not in ("", None)}

    @property
    def journal_label(self) -> str:
        """The chosen journal as people read it ("MISC · Miscellaneous Operations")."""
        for row in self.journals or []:
            if row.get("id") == self.journal_external_id:
                return f"{row.get('code')} · {row.get('name')}" if row.get("code") else row["name"]
        return self.journal_name


class Vendor(models.Model):
    """A supplier mirrored from the provider (optional attribute), upserted by the provider's id."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="vendors")
    # The accounting system the vendor is mirrored from (a key of the registry): ids are the
    # provider's own, so two systems' vendors never share a row.
    provider = models.CharField(max_length=32)
    external_id = models.CharField(max_length=EXTERNAL_ID_LENGTH)
    name = models.CharField(max_length=255)
    tax_number = models.CharField(max_length=64, blank=True)
    email = models.CharField(max_length=255, blank=True)
    phone_number = models.CharField(max_length=64, blank=True)
    active = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["organization", "provider", "external_id"],
                name="vendor_unique_external_id_per_provider",
            ),
        ]
        ordering: ClassVar = ["name"]

    def __str__(self) -> str:
        return self.name


class TaxRate(models.Model):
    """A tax rate mirrored from books that take VAT as a tax rate (synced with the chart when
    the session offers `read_tax_rates`), upserted by the provider's id; `rate` is a
    percentage (15.00)."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="tax_rates"
    )
    provider = models.CharField(max_length=32)
    external_id = models.CharField(max_length=EXTERNAL_ID_LENGTH)
    name = models.CharField(max_length=255)
    rate = models.DecimalField(max_digits=7, decimal_places=2)
    active = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["organization", "provider", "external_id"],
                name="tax_rate_unique_external_id_per_provider",
            ),
        ]
        ordering: ClassVar = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.rate:.2f} %)"


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


class OAuthState(models.Model):
    """One OAuth 2.0 authorization in progress: the `state` we send with the person to the
    provider's consent page. Single-use, bound to the user and organization that asked, valid
    for `OAUTH_STATE_TTL`; only its SHA-256 is stored."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    provider = models.CharField(max_length=32)
    state_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.provider} authorization for {self.user_id} ({self.created_at})"
