"""Receipt links put in journal entries of books that take no files: no login needed, the
token is the credential (accounting/services/receipts.py)."""

from django.http import FileResponse, HttpRequest
from django.views.decorators.http import require_safe

from accounting.services.receipts import open_receipt


@require_safe
def receipt_link(request: HttpRequest, token: str) -> FileResponse:
    document = open_receipt(token=token)
    response = FileResponse(
        document.file.open("rb"),
        content_type=document.content_type,
        as_attachment=True,
        filename=document.filename,
    )
    # A download, never rendered as a page of ours: no sniffing, no scripts, no other hosts.
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Referrer-Policy"] = "no-referrer"
    response["Cache-Control"] = "private, no-store"
    return response
