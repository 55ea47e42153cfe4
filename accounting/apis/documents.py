"""Receipts API: revoke the link a document travels by in books that take no files."""

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounting.services.receipts import revoke_receipt_links
from sifi.permissions import IntegrationsPermission
from sifi.tenancy import current_organization


class ReceiptLinkRevokeApi(APIView):
    """Admin and Finance Manager: the document's receipt link stops working at once (a new
    one is written only if the transaction is pushed again)."""

    permission_classes = [IntegrationsPermission]

    @extend_schema(
        request=None,
        responses=inline_serializer("ReceiptLinkRevoked", {"revoked": serializers.IntegerField()}),
    )
    def post(self, request: Request, document_id: int) -> Response:
        revoked = revoke_receipt_links(
            organization=current_organization(request),
            actor=request.user,
            reason="Revoked by an admin.",
            document_id=document_id,
        )
        return Response({"revoked": revoked})
