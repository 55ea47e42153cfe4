"""Receipt links put in journal entries' line comments: signed, expiring, no login needed."""

from django.core import signing
from django.http import FileResponse, Http404, HttpRequest

from accounting.models import Document
from accounting.services.sync import RECEIPT_LINK_MAX_AGE


def receipt_link(request: HttpRequest, token: str) -> FileResponse:
    try:
        document_id = signing.TimestampSigner(salt="receipt").unsign(
            token, max_age=RECEIPT_LINK_MAX_AGE
        )
        document = Document.objects.get(pk=int(document_id))
    except (signing.BadSignature, Document.DoesNotExist, ValueError):
        raise Http404("This receipt link is invalid or has expired.") from None
    return FileResponse(
        document.file.open("rb"), content_type=document.content_type, filename=document.filename
    )
