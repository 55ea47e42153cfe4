"""Tenancy: organizations, their users with one role each, service tokens, and the audit trail."""

import hashlib
import secrets
from typing import ClassVar

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class Organization(models.Model):
    """A SiFi customer company: the tenant every other row belongs to."""

    name = models.CharField(max_length=200, unique=True)
    base_currency = models.CharField(max_length=3, default="SAR")
    time_zone = models.CharField(max_length=64, default="Asia/Riyadh")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    ADMIN = "admin", _("Admin")
    FINANCE_MANAGER = "finance_manager", _("Finance Manager")
    ACCOUNTANT = "accountant", _("Accountant")
    EMPLOYEE = "employee", _("Employee")


class User(AbstractUser):
    """A person. Belongs to one organization with one role; staff may have no organization."""

    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, null=True, blank=True, related_name="users"
    )
    role = models.CharField(max_length=32, choices=Role.choices, default=Role.EMPLOYEE)

    class Meta:
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=models.Q(role__in=Role.values), name="user_role_valid"
            ),
        ]

    @property
    def display_name(self) -> str:
        return self.get_full_name() or self.username


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class ServiceToken(models.Model):
    """A machine credential for SiFi's card platform to ingest transactions.

    Only a SHA-256 of the token is stored; the token itself is shown once when created.
    """

    PREFIX = "svc_"

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="service_tokens"
    )
    name = models.CharField(max_length=100, default="ingestion")
    token_hash = models.CharField(max_length=64, unique=True)
    hint = models.CharField(max_length=4)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name} (…{self.hint})"

    @classmethod
    def new_raw_token(cls) -> str:
        return cls.PREFIX + secrets.token_urlsafe(32)


class AuditEvent(models.Model):
    """Who did what to which object, with the state before and after. Append-only.

    A log, like its `target_id`, names the organization and the actor by id without database
    foreign keys: a bulk assignment writes 100,000 rows at once, and the two per-row key
    checks cost 0.7 s of its 3 s budget. Django still applies `on_delete` (an organization's
    log goes with it; a removed user leaves `actor_label`), and rows are only written by
    `record_audit` and the bulk assignment, from an organization and a user they hold.
    """

    organization = models.ForeignKey(
        Organization,
        on_delete=models.CASCADE,
        related_name="audit_events",
        db_index=False,  # leads the (organization, target_type, target_id) index
        db_constraint=False,
    )
    actor = models.ForeignKey(
        User,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,  # nothing looks events up by actor; deleting a user is rare
        db_constraint=False,
    )
    actor_label = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=64)
    target_type = models.CharField(max_length=64)
    target_id = models.BigIntegerField()
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        indexes: ClassVar = [
            models.Index(fields=["organization", "target_type", "target_id"]),
        ]
        ordering: ClassVar = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.action} {self.target_type}#{self.target_id}"
