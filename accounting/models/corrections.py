"""Corrections: a synced transaction reassigned to another account after its entry reached
the books (issue 26). The entry is updated in place while the books hold it as a draft and
their API allows it; otherwise a person changes it there, and the correction says what."""

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounting.models.chart import EXTERNAL_ID_LENGTH, Account
from accounting.models.transactions import Transaction
from sifi.models import Organization


class CorrectionState(models.TextChoices):
    # Taken: nothing sent to the books yet.
    REQUESTED = "requested", _("Requested")
    # "About to update" committed before the call: after an unknown outcome the entry is read
    # and its lines compared before anything is sent again.
    UPDATING = "updating", _("Updating the books")
    UPDATED = "updated", _("Updated in the books")
    # The books cannot take it through their API (posted, or no updates at all): a person
    # changes the entry there; nothing was sent.
    BY_HAND = "by_hand", _("To change by hand")
    # The books refused the update (with their reason), or it could not be sent: nothing
    # changed; the transaction keeps its account.
    REFUSED = "refused", _("Refused")


OPEN_CORRECTION_STATES = (CorrectionState.REQUESTED, CorrectionState.UPDATING)


class Correction(models.Model):
    """One request to move a synced transaction's entry from one account to another."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="corrections"
    )
    transaction = models.ForeignKey(
        Transaction, on_delete=models.CASCADE, related_name="corrections"
    )
    from_account = models.ForeignKey(
        Account, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    to_account = models.ForeignKey(
        Account, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    state = models.CharField(
        max_length=16, choices=CorrectionState.choices, default=CorrectionState.REQUESTED
    )
    # Why it is by hand or refused, or what became of an unknown outcome: a sentence a person
    # can act on (the provider's words where it refused).
    reason = models.TextField(blank=True)
    # The entry's lines the update sends ([{"account", "side", "amount"}]): what a retry after
    # an unknown outcome compares the books' entry with.
    lines = models.JSONField(null=True, blank=True)
    journal_entry_id = models.CharField(max_length=EXTERNAL_ID_LENGTH)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    update_started_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering: ClassVar = ["-created_at", "-id"]
        constraints: ClassVar = [
            # At most one correction in flight per transaction.
            models.UniqueConstraint(
                fields=["transaction"],
                condition=models.Q(state__in=OPEN_CORRECTION_STATES),
                name="correction_one_open_per_transaction",
            ),
            models.CheckConstraint(
                condition=models.Q(state__in=CorrectionState.values),
                name="correction_state_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.transaction_id}: {self.from_account_id} → {self.to_account_id}"

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_CORRECTION_STATES
