"""Receipt links: how a receipt reaches books that take no files (SPEC §5).

Each document gets at most one live link, a random token (unguessable, derived from no
secret), so a link written into a journal entry works for as long as the books are kept. It
stops working only when revoked: on disconnect (every link of the organization) or by an
admin (one document). Every use is counted and written to the audit trail.
"""

import secrets

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from accounting.models import Document, ReceiptLink
from sifi.models import Organization
from sifi.services import record_audit

SERVED_TYPES = ("application/pdf", "image/png", "image/jpeg")


def link_for(document: Document) -> str:
    """The document's live link (made once; an entry pushed again carries the same one)."""
    link = ReceiptLink.objects.filter(document=document, revoked_at__isnull=True).first()
    if link is None:
        try:
            with transaction.atomic():
                link = ReceiptLink.objects.create(
                    organization_id=document.organization_id,
                    document=document,
                    token=secrets.token_urlsafe(32),
                )
        except IntegrityError:  # another worker made it a moment ago
            link = ReceiptLink.objects.get(document=document, revoked_at__isnull=True)
    path = reverse("receipt-link", kwargs={"token": link.token})
    return settings.PUBLIC_BASE_URL.rstrip("/") + path


@transaction.atomic
def open_receipt(*, token: str) -> Document:
    """The document behind a live link, its use counted and audited; 404 for a revoked or
    unknown link, and for any file we do not serve (only PDF, PNG, JPEG)."""
    link = (
        ReceiptLink.objects.select_related("document")
        .filter(token=token, revoked_at__isnull=True)
        .first()
    )
    if link is None or link.document.content_type not in SERVED_TYPES:
        raise Http404("This receipt link is invalid or was revoked.")
    ReceiptLink.objects.filter(pk=link.pk).update(uses=F("uses") + 1, last_used_at=timezone.now())
    record_audit(
        organization=link.document.organization,
        actor=None,
        action="receipt_link.used",
        target_type="document",
        target_id=link.document_id,
        after={"link": link.pk},
    )
    return link.document


@transaction.atomic
def revoke_receipt_links(
    *, organization: Organization, actor: object, reason: str, document_id: int | None = None
) -> int:
    """Revoke the organization's live links (or one document's). Returns how many."""
    links = ReceiptLink.objects.filter(organization=organization, revoked_at__isnull=True)
    if document_id is not None:
        if not Document.objects.filter(organization=organization, pk=document_id).exists():
            raise Http404("No such document.")
        links = links.filter(document_id=document_id)
    revoked = links.update(revoked_at=timezone.now(), revoked_reason=reason[:255])
    if revoked:
        record_audit(
            organization=organization,
            actor=actor,
            action="receipt_link.revoked",
            target_type="document" if document_id is not None else "organization",
            target_id=document_id if document_id is not None else organization.pk,
            after={"revoked": revoked, "reason": reason},
        )
    return revoked
