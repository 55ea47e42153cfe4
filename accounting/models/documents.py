"""A transaction's documents (receipts), and the links that carry them into the books that
take no files."""

from typing import ClassVar

from django.db import models

from accounting.models.chart import EXTERNAL_ID_LENGTH
from accounting.models.transactions import Transaction
from sifi.models import Organization


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
    # A late receipt: it arrived once its transaction was taken by a run, so the run's push may
    # not carry it; the company's turns attach it to the entry (`services.late_receipts`).
    late_since = models.DateTimeField(null=True, blank=True)
    # "About to attach" a late receipt, committed before the call: a later attempt that finds
    # it set asks the books what the entry holds before sending the file again.
    attach_started_at = models.DateTimeField(null=True, blank=True)
    attach_attempts = models.PositiveSmallIntegerField(default=0)
    # Why a late receipt could not be attached, in words a person can act on.
    attach_error = models.TextField(blank=True)
    # The books take no files and the entry cannot take the link any more: the page shows the
    # link, to be added to the entry by hand.
    link_only = models.BooleanField(default=False)
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
        indexes: ClassVar = [
            # The late receipts waiting to be attached (few: the rest of the table never enters).
            models.Index(
                fields=["organization", "transaction"],
                name="document_late_waiting",
                condition=models.Q(
                    late_since__isnull=False,
                    attached_at__isnull=True,
                    link_only=False,
                    attach_error="",
                ),
            ),
        ]
        ordering: ClassVar = ["id"]

    def __str__(self) -> str:
        return self.filename

    @property
    def state(self) -> str:
        """Where the receipt stands with the books: attached (or linked from the entry),
        failed (`attach_error` says why), link_only (to be added to the entry by hand),
        waiting (a late receipt, for the company's next turn), or unsent (its transaction's
        push carries it)."""
        if self.attached_at is not None:
            return "attached"
        if self.attach_error:
            return "failed"
        if self.link_only:
            return "link_only"
        return "waiting" if self.late_since is not None else "unsent"


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
