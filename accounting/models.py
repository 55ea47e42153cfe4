"""The ledger: the chart of accounts mirrored from the organization's accounting system, SiFi
transactions, documents, sync runs."""

import functools
import math
import operator
from collections.abc import Iterable
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from sifi.models import Organization

# Providers' ids are strings in our tables (an integer id is stored as its digits).
EXTERNAL_ID_LENGTH = 64


class Account(models.Model):
    """One account of an organization's chart, mirrored from its accounting system (`provider`)
    and upserted by the provider's own id (`external_id`).

    Accounts gone upstream become inactive, never deleted: transactions may point at them.
    """

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="accounts"
    )
    # Which accounting system the account mirrors (a key of settings.ACCOUNTING_PROVIDERS): an
    # organization that moves its books keeps the old chart beside the new one.
    provider = models.CharField(max_length=32)
    # The provider's own id, as a string whatever its type there ("1038", "acc_9f2",
    # "460000000038029").
    external_id = models.CharField(max_length=EXTERNAL_ID_LENGTH)
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
    # A heading has sub-accounts in the chart ("1 · Assets"): entries are booked on posting
    # accounts only, so a heading cannot be assigned nor be the Source or Input VAT account.
    is_heading = models.BooleanField(default=False)
    # How often this organization assigned it: account search shows the most used first.
    times_assigned = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["organization", "provider", "external_id"],
                name="account_unique_external_id",
            ),
        ]
        indexes: ClassVar = [models.Index(fields=["organization", "code"])]
        ordering: ClassVar = ["code"]

    def __str__(self) -> str:
        return f"{self.code} · {self.name_en or self.name_ar}"


# --- SiFi's side: people, budgets, cards (SPEC §2) -----------------------------------------
# The wallet itself is not a row: every transaction is a movement of it, and the Source
# Account of the organization's books stands for it in every journal entry.


class Employee(models.Model):
    """A card holder or reimbursement claimant, keyed by SiFi's own reference."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="employees"
    )
    reference = models.CharField(max_length=64)
    name = models.CharField(max_length=200)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["organization", "reference"], name="employee_unique_reference_per_org"
            ),
        ]
        ordering: ClassVar = ["name"]

    def __str__(self) -> str:
        return self.name


class Budget(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="budgets")
    name = models.CharField(max_length=200)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["organization", "name"], name="budget_unique_name"),
        ]
        ordering: ClassVar = ["name"]

    def __str__(self) -> str:
        return self.name


class Card(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="cards")
    reference = models.CharField(max_length=64)
    last4 = models.CharField(max_length=4)
    holder = models.ForeignKey(
        Employee, on_delete=models.SET_NULL, null=True, blank=True, related_name="cards"
    )
    budget = models.ForeignKey(
        Budget, on_delete=models.SET_NULL, null=True, blank=True, related_name="cards"
    )

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["organization", "reference"], name="card_unique_reference_per_org"
            ),
            models.CheckConstraint(
                condition=models.Q(last4__regex=r"^[0-9]{4}$"), name="card_last4"
            ),
        ]

    def __str__(self) -> str:
        return f"•••• {self.last4}"


# --- Transactions ---------------------------------------------------------------------------


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
                include=["type"],  # tab counts read the index only
                condition=models.Q(status__in=TO_SYNC_STATUSES),
            ),
            models.Index(
                "organization",
                "status",
                models.F("occurred_at").desc(),
                models.F("id").desc(),
                name="txn_org_status_newest",
                include=["type"],  # tab counts read the index only
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

    # The proposal (accounting/services/rules.py) as the API and the pages name it.
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


def document_upload_to(document: "Document", filename: str) -> str:
    return f"receipts/{document.organization_id}/{document.sha256[:2]}/{document.sha256}"


class Document(models.Model):
    """A receipt (PDF, JPEG, PNG; at most 10 MB), stored through Django's storage API."""

    CONTENT_TYPES = ("application/pdf", "image/jpeg", "image/png")
    MAX_BYTES = 10 * 1024 * 1024

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    transaction = models.ForeignKey(Transaction, on_delete=models.CASCADE, related_name="documents")
    file = models.FileField(upload_to=document_upload_to, max_length=255)
    filename = models.CharField(max_length=255)
    content_type = models.CharField(max_length=64)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    # Set once the document is attached to the transaction's entry (or linked there); the id
    # is the provider's, where it returns one (NULL where it returns none).
    external_attachment_id = models.CharField(  # noqa: DJ001
        max_length=EXTERNAL_ID_LENGTH, null=True, blank=True
    )
    attached_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["transaction", "sha256"], name="document_unique_content_per_transaction"
            ),
            models.CheckConstraint(
                condition=models.Q(size__gt=0) & models.Q(size__lte=10 * 1024 * 1024),
                name="document_size_limit",
            ),
        ]
        ordering: ClassVar = ["id"]

    def __str__(self) -> str:
        return self.filename


class ReceiptLink(models.Model):
    """A link to one receipt, written into journal entries of books that take no files.

    The token is random (unguessable, not derived from any secret), so the link works for as
    long as the books are kept; it stops working only when revoked (disconnect, or an admin).
    """

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="links")
    token = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_reason = models.CharField(max_length=255, blank=True)
    uses = models.PositiveIntegerField(default=0)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints: ClassVar = [
            # At most one live link per document: an entry pushed again gets the same link.
            models.UniqueConstraint(
                fields=["document"],
                condition=models.Q(revoked_at__isnull=True),
                name="receipt_link_one_live_per_document",
            ),
        ]

    def __str__(self) -> str:
        return f"link to {self.document_id}{' (revoked)' if self.revoked_at else ''}"


# --- Sync runs --------------------------------------------------------------------------------


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
    # The company's request budget is spent: its pushes resume then (None: not waiting).
    waiting_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering: ClassVar = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Sync run #{self.pk} ({self.status})"

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


# --- Reconciliation ---------------------------------------------------------------------------


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
        return self.missing + self.duplicated + self.mismatched


class ReconciliationProblem(models.TextChoices):
    MISSING = "missing", _("Missing")
    DUPLICATED = "duplicated", _("Duplicated")
    MISMATCHED = "mismatched", _("Mismatched")


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


# --- Coding rules ------------------------------------------------------------------------------


class Rule(models.Model):
    """A finance team's coding rule: transactions that match every condition are proposed
    `account` (or verified with it at once, `auto_verify`). Lower `priority` is tried first;
    the first match wins."""

    CONDITIONS = (
        "merchant_contains",
        "merchant_equals",
        "budget",
        "employee",
        "card",
        "type",
        "amount_min",
        "amount_max",
    )

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="rules")
    name = models.CharField(max_length=120)
    priority = models.PositiveIntegerField(default=100)
    enabled = models.BooleanField(default=True)
    # {"merchant_contains": "careem", "budget": 3, "amount_max": "500.00", ...}: all must match.
    conditions = models.JSONField(default=dict)
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="rules")
    auto_verify = models.BooleanField(default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering: ClassVar = ["priority", "id"]
        indexes: ClassVar = [models.Index(fields=["organization", "priority"])]

    def __str__(self) -> str:
        return self.name


class Suggestion(models.Model):
    """The account proposed for an unverified transaction: by the first matching rule, else by
    the organization's consistent history for the merchant (accounting/services/rules.py).

    A narrow table of its own: proposing accounts for 100,000 transactions writes these small
    rows, not 100,000 wide transaction rows and every index on them."""

    transaction = models.OneToOneField(
        Transaction, on_delete=models.CASCADE, primary_key=True, related_name="suggestion"
    )
    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="+", db_index=False, db_constraint=False
    )
    rule = models.ForeignKey(
        Rule,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="suggestions",
        db_index=False,  # only a rule's deletion looks suggestions up by it
        db_constraint=False,
    )
    reason = models.CharField(max_length=255, blank=True)

    def __str__(self) -> str:
        return f"{self.transaction_id} → {self.account_id}"
