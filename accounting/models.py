"""Chart of accounts mirrored from the accounting system (ledger models follow)."""

from typing import ClassVar

from django.db import models

from sifi.models import Organization


class Account(models.Model):
    """One account of an organization's chart, mirrored from Qoyod (upserted by `qoyod_id`).

    Accounts gone upstream become inactive, never deleted: transactions may point at them.
    """

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="accounts"
    )
    qoyod_id = models.BigIntegerField()
    code = models.CharField(max_length=64)
    name_en = models.CharField(max_length=255, blank=True)
    name_ar = models.CharField(max_length=255, blank=True)
    type = models.CharField(max_length=64, blank=True)
    group_type = models.CharField(max_length=128, blank=True)
    parent = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="children"
    )
    receive_payments = models.BooleanField(default=False)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["organization", "qoyod_id"], name="account_unique_qoyod_id_per_org"
            ),
        ]
        indexes: ClassVar = [models.Index(fields=["organization", "code"])]
        ordering: ClassVar = ["code"]

    def __str__(self) -> str:
        return f"{self.code} · {self.name_en or self.name_ar}"
