"""SiFi transactions: their types, directions and tabs (SPEC §2, the one place the table is
written down), their statuses and the status groups the list indexes follow, and the
`Transaction` itself."""

import functools
import operator
from collections.abc import Iterable
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounting.models.chart import EXTERNAL_ID_LENGTH, Account
from accounting.models.rules import Suggestion
from accounting.models.wallet import Budget, Card, Employee
from sifi.models import Organization


class TransactionType(models.TextChoices):
    CARD_EXPENSE = "card_expense", _("Card expense")
    CARD_REFUND = "card_refund", _("Card refund")
    TRANSFER_OUT = "transfer_out", _("Transfer out")
    TRANSFER_IN = "transfer_in", _("Transfer in")
    REIMBURSEMENT = "reimbursement", _("Reimbursement")
    CASH_OUT = "cash_out", _("Cash out")
    CASH_IN = "cash_in", _("Cash in")


class Direction(models.TextChoices):
    DEBIT = "debit", _("Debit")  # money leaves the wallet
    CREDIT = "credit", _("Credit")  # money comes into the wallet


class Tab(models.TextChoices):
    EXPENSES = "expenses", _("Expenses")
    TRANSFERS = "transfers", _("Transfers")
    OTHERS = "others", _("Others")
    VERIFIED = "verified", _("Verified")
    SYNCED = "synced", _("Synced")
    FAILED = "failed", _("Failed")


# type → (direction, tab): the table of SPEC §2, the only place it is written down.
TYPE_RULES: dict[str, tuple[str, str]] = {
    TransactionType.CARD_EXPENSE: (Direction.DEBIT, Tab.EXPENSES),
    TransactionType.CARD_REFUND: (Direction.CREDIT, Tab.EXPENSES),
    TransactionType.TRANSFER_OUT: (Direction.DEBIT, Tab.TRANSFERS),
    TransactionType.TRANSFER_IN: (Direction.CREDIT, Tab.TRANSFERS),
    TransactionType.REIMBURSEMENT: (Direction.DEBIT, Tab.TRANSFERS),
    TransactionType.CASH_OUT: (Direction.DEBIT, Tab.OTHERS),
    TransactionType.CASH_IN: (Direction.CREDIT, Tab.OTHERS),
}


# Tabs whose rows can be (re)assigned, one by one or in bulk: all but Synced.
ASSIGNABLE_TABS = frozenset(Tab) - {Tab.SYNCED}


def direction_of(transaction_type: str) -> str:
    return TYPE_RULES[transaction_type][0]


def types_of_tab(tab: str) -> list[str]:
    return [t for t, (_direction, t_tab) in TYPE_RULES.items() if t_tab == tab]


class TransactionStatus(models.TextChoices):
    UNVERIFIED = "unverified", _("Unverified")
    VERIFIED = "verified", _("Verified")
    SYNCING = "syncing", _("Syncing")  # taken by a sync run: cannot be edited until it ends
    SYNCED = "synced", _("Synced")
    FAILED = "failed", _("Failed")


class VatEvidence(models.TextChoices):
    """What the receipt's ZATCA QR code says of the transaction's VAT (accounting/vat_invoice)."""

    PENDING = "pending", _("Not read yet")
    BACKED = "backed", _("Backed by a tax invoice")
    MISMATCH = "mismatch", _("Differs from the tax invoice")
    NO_INVOICE = "no_invoice", _("No tax invoice")
    FOREIGN = "foreign", _("Spent abroad")


EDITABLE_STATUSES = (
    TransactionStatus.UNVERIFIED,
    TransactionStatus.VERIFIED,
    TransactionStatus.FAILED,
)
# The Verified tab's statuses, and the others: each group has its own list indexes, and a
# query names its statuses within one group (or as one arm per group) to use them.
TO_SYNC_STATUSES = (TransactionStatus.VERIFIED, TransactionStatus.SYNCING)
LISTED_STATUSES = (TransactionStatus.UNVERIFIED, TransactionStatus.SYNCED, TransactionStatus.FAILED)


def status_in(statuses: Iterable[str]) -> models.Q:
    """`status IN statuses`, as one arm per index group: a single IN spanning both groups
    matches neither group's partial indexes, and PostgreSQL would read the whole table."""
    wanted = set(statuses)
    arms = [
        models.Q(status__in=[status for status in group if status in wanted])
        for group in (TO_SYNC_STATUSES, LISTED_STATUSES)
        if wanted.intersection(group)
    ]
    if not arms:
        return models.Q(pk__in=[])  # matches nothing
    return functools.reduce(operator.or_, arms)


class Transaction(models.Model):
    """One SiFi money movement, to be verified (one account assigned) and synced to the
    organization's books.

    `journal_entry_id` is the provider's entry it became; `push_started_at` is set *before* the
    create call, so a retry after an unknown outcome looks the entry up instead of re-posting.
    """

    # Single-column FK indexes are off where a composite index below covers the column or
    # the parent is practically never deleted: a status change writes a new entry into every
    # index whose condition the new row meets (status is indexed, so no HOT updates), and
    # bulk assignment pays for each one.
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="transactions", db_index=False
    )
    reference = models.CharField(max_length=64)
    type = models.CharField(max_length=32, choices=TransactionType.choices)
    direction = models.CharField(max_length=8, choices=Direction.choices)
    # What the wallet was charged, always in the organization's base currency (SPEC §2).
    amount = models.DecimalField(max_digits=18, decimal_places=2)
    currency = models.CharField(max_length=3)
    vat_amount = models.DecimalField(max_digits=18, decimal_places=2, null=True, blank=True)
    # A card payment abroad: what the merchant charged, in its currency (shown, and written
    # into the entry's description; never booked).
    original_amount = models.DecimalField(max_digits=18, decimal_places=2, null=True, blank=True)
    original_currency = models.CharField(max_length=3, blank=True)
    merchant = models.CharField(max_length=255, blank=True)
    description = models.TextField(blank=True)
    occurred_at = models.DateTimeField()
    # The accounting date: `occurred_at` in the organization's time zone.
    transaction_date = models.DateField()
    employee = models.ForeignKey(
        Employee,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="transactions",
        db_index=False,
    )
    budget = models.ForeignKey(
        Budget,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="transactions",
        db_index=False,
    )
    card = models.ForeignKey(
        Card,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="transactions",
        db_index=False,
    )

    status = models.CharField(
        max_length=16, choices=TransactionStatus.choices, default=TransactionStatus.UNVERIFIED
    )
    # Why it is back to unverified, or why it failed: a sentence a person can act on.
    status_reason = models.TextField(blank=True)
    account = models.ForeignKey(
        Account,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="transactions",
        db_index=False,
    )
    # Who verified, as a pointer without a database foreign key: the audit row written with
    # every change names the actor too, and the per-row key check cost a bulk assignment of
    # 100,000 rows 0.33 s. Django still sets it to NULL when the user is deleted.
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    verified_at = models.DateTimeField(null=True, blank=True)

    sync_run = models.ForeignKey(
        "accounting.SyncRun",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="transactions",
        db_index=False,  # txn_sync_run_status
    )
    push_started_at = models.DateTimeField(null=True, blank=True)
    # The day its entry is booked on when that is not its own date (the books were closed on
    # it: the posting-date policy or "Book on the first open day" moved it); set before
    # "about to create", so a lookup after an unknown outcome searches the day it was sent on.
    booked_on = models.DateField(null=True, blank=True)
    # The provider's id of the entry; NULL until one exists (the constraints below and the
    # engine's "not created yet" test rely on NULL, not on an empty string).
    journal_entry_id = models.CharField(  # noqa: DJ001
        max_length=EXTERNAL_ID_LENGTH, null=True, blank=True
    )
    journal_entry_status = models.CharField(max_length=32, blank=True)
    synced_at = models.DateTimeField(null=True, blank=True)
    error_code = models.CharField(max_length=64, blank=True)
    # A correction that arrived after the transaction was taken by a run or synced: stored,
    # shown, never applied silently (it would need a new entry in the books).
    changed_after_sync = models.JSONField(null=True, blank=True)
    # The lines we sent in the journal entry ([{"account", "side", "amount"}]): what
    # reconciliation compares the provider's entry with.
    journal_entry_lines = models.JSONField(null=True, blank=True)

    # What the receipts' QR code says of the VAT, read in the background after ingestion
    # (accounting/services/vat_evidence.py), and the invoice it read (VatInvoice.as_json).
    vat_evidence = models.CharField(
        max_length=16, choices=VatEvidence.choices, default=VatEvidence.PENDING
    )
    vat_invoice = models.JSONField(null=True, blank=True)
    # What the synced entry booked (set with journal_entry_lines; the VAT report reads them):
    # the input VAT reclaimed on its own line (0: booked gross), and reverse-charge VAT (output
    # and input, each this much; null: not reverse-charged).
    vat_reclaimed = models.DecimalField(max_digits=18, decimal_places=2, null=True, blank=True)
    reverse_charge_vat = models.DecimalField(max_digits=18, decimal_places=2, null=True, blank=True)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["organization", "reference"], name="transaction_unique_reference_per_org"
            ),
            models.CheckConstraint(
                condition=models.Q(amount__gt=0), name="transaction_amount_gt_0"
            ),
            models.CheckConstraint(
                condition=models.Q(vat_amount__isnull=True)
                | (models.Q(vat_amount__gte=0) & models.Q(vat_amount__lt=models.F("amount"))),
                name="transaction_vat_within_amount",
            ),
            models.CheckConstraint(
                condition=models.Q(type__in=TransactionType.values), name="transaction_type_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(
                    type__in=[t for t, (d, _tab) in TYPE_RULES.items() if d == Direction.DEBIT],
                    direction=Direction.DEBIT,
                )
                | models.Q(
                    type__in=[t for t, (d, _tab) in TYPE_RULES.items() if d == Direction.CREDIT],
                    direction=Direction.CREDIT,
                ),
                name="transaction_direction_matches_type",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=TransactionStatus.values),
                name="transaction_status_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(status=TransactionStatus.UNVERIFIED)
                | models.Q(account__isnull=False),
                name="transaction_verified_has_account",
            ),
            models.CheckConstraint(
                condition=~models.Q(status=TransactionStatus.SYNCED)
                | models.Q(journal_entry_id__isnull=False),
                name="transaction_synced_has_journal_entry",
            ),
            models.CheckConstraint(
                condition=~models.Q(status=TransactionStatus.SYNCING)
                | models.Q(sync_run__isnull=False),
                name="transaction_syncing_has_run",
            ),
            models.CheckConstraint(
                condition=models.Q(currency__regex=r"^[A-Z]{3}$"), name="transaction_currency_iso"
            ),
            models.CheckConstraint(
                condition=models.Q(vat_evidence__in=VatEvidence.values),
                name="transaction_vat_evidence_valid",
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(original_amount__isnull=True, original_currency="")
                    | (
                        models.Q(original_amount__gt=0)
                        & models.Q(original_currency__regex=r"^[A-Z]{3}$")
                    )
                ),
                name="transaction_original_amount_with_currency",
            ),
        ]
        indexes: ClassVar = [
            # The rows of the Verified tab (verified, or taken by a run) have an index of
            # their own and the three list indexes below leave them out: a bulk assignment's
            # new row versions (all verified) go into 3 indexes (this one, the primary key,
            # the reference) instead of 5. The columns after `id` do not change the order;
            # they let a status, budget or employee filter be checked inside the index while
            # it is walked newest first.
            models.Index(
                "organization",
                models.F("occurred_at").desc(),
                models.F("id").desc(),
                "status",
                "budget",
                "employee",
                name="txn_to_sync_newest",
                # Tab counts read the index only, an amount or date range too (issue 25: with
                # a range, counting read the table's rows instead, 0.4-0.7 s on 1M rows).
                include=["type", "amount", "transaction_date"],
                condition=models.Q(status__in=TO_SYNC_STATUSES),
            ),
            models.Index(
                "organization",
                "status",
                models.F("occurred_at").desc(),
                models.F("id").desc(),
                name="txn_org_status_newest",
                include=["type", "amount", "transaction_date"],  # as txn_to_sync_newest
                condition=models.Q(status__in=LISTED_STATUSES),
            ),
            models.Index(
                "organization",
                "budget",
                "status",
                models.F("occurred_at").desc(),
                name="txn_org_budget_status_newest",
                include=["type"],  # tab counts read the index only
                condition=models.Q(status__in=LISTED_STATUSES),
            ),
            models.Index(
                "organization",
                "employee",
                models.F("occurred_at").desc(),
                name="txn_org_employee_newest",
                condition=models.Q(status__in=LISTED_STATUSES),
            ),
            # Partial: rows outside any run (most of them) are never written into it.
            models.Index(
                fields=["sync_run", "status"],
                name="txn_sync_run_status",
                condition=models.Q(sync_run__isnull=False),
            ),
            # No index on account: accounts are deactivated, never deleted, and the rare
            # "account removed upstream" query reads the status indexes (see status_in).
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def tab(self) -> str:
        return TYPE_RULES[self.type][1]

    # The proposal (accounting/services/suggestions.py) as the API and the pages name it.
    @property
    def proposal(self) -> "Suggestion | None":
        try:
            return self.suggestion
        except Suggestion.DoesNotExist:
            return None

    @property
    def suggested_account(self) -> "Account | None":
        proposal = self.proposal
        return proposal.account if proposal else None

    @property
    def suggested_account_id(self) -> int | None:
        proposal = self.proposal
        return proposal.account_id if proposal else None

    @property
    def suggestion_reason(self) -> str:
        proposal = self.proposal
        return proposal.reason if proposal else ""

    @property
    def is_editable(self) -> bool:
        """Its account can still be assigned or changed: not synced, not taken by a run."""
        return self.status in EDITABLE_STATUSES

    @property
    def can_unverify(self) -> bool:
        return self.is_editable and self.status != TransactionStatus.UNVERIFIED
