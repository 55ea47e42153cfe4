"""Corrections API (SPEC §8): `POST /api/v1/accounting/transactions/{id}/reassign/`
`{"account": id}` for a synced transaction whose entry is still a draft in the books."""

from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounting.apis.verification import AssignInputSerializer
from accounting.models import Correction, CorrectionState
from accounting.providers import connection_for
from accounting.services.corrections import hand_change, reassign_synced
from sifi.permissions import AccountingPermission
from sifi.tenancy import current_organization


class HandChangeSerializer(serializers.Serializer):
    journal_entry_id = serializers.CharField()
    entry_url = serializers.CharField(help_text="Where to open the entry in the books.")
    side = serializers.CharField(help_text="debit or credit: the line to change.")
    amount = serializers.CharField()
    currency = serializers.CharField()
    from_account = serializers.CharField()
    to_account = serializers.CharField()


class CorrectionOutputSerializer(serializers.ModelSerializer):
    transaction = serializers.IntegerField(source="transaction_id")
    from_account = serializers.IntegerField(source="from_account_id")
    from_account_label = serializers.CharField(source="from_account")
    to_account = serializers.IntegerField(source="to_account_id")
    to_account_label = serializers.CharField(source="to_account")
    by_hand = serializers.SerializerMethodField()

    class Meta:
        model = Correction
        fields = [
            "id",
            "transaction",
            "state",
            "reason",
            "journal_entry_id",
            "from_account",
            "from_account_label",
            "to_account",
            "to_account_label",
            "by_hand",
            "created_at",
            "finished_at",
        ]

    @extend_schema_field(HandChangeSerializer(allow_null=True))
    def get_by_hand(self, correction: Correction) -> dict[str, str] | None:
        if correction.state != CorrectionState.BY_HAND:
            return None
        return hand_change(correction, connection_for(correction.organization))


# What each state answers: updated 200; to change by hand or refused 409 (the reason says
# why and what to do); the outcome unknown 503 (send the same request again: it is settled
# by reading the entry, never sent twice).
STATUS_OF: dict[str, int] = {
    CorrectionState.UPDATED: status.HTTP_200_OK,
    CorrectionState.BY_HAND: status.HTTP_409_CONFLICT,
    CorrectionState.REFUSED: status.HTTP_409_CONFLICT,
    CorrectionState.UPDATING: status.HTTP_503_SERVICE_UNAVAILABLE,
    CorrectionState.REQUESTED: status.HTTP_503_SERVICE_UNAVAILABLE,
}
CODE_OF: dict[str, str] = {
    CorrectionState.BY_HAND: "correction_by_hand",
    CorrectionState.REFUSED: "correction_refused",
    CorrectionState.UPDATING: "correction_outcome_unknown",
    CorrectionState.REQUESTED: "correction_outcome_unknown",
}


class ReassignOutputSerializer(serializers.Serializer):
    """The correction and, when it was not made in the books, why (`detail`, `code`). A 409
    refused before any correction (the transaction is not synced, or busy) has no
    `correction`."""

    detail = serializers.CharField(required=False)
    code = serializers.CharField(required=False)
    correction = CorrectionOutputSerializer(required=False)


class TransactionReassignApi(APIView):
    """Correct a synced transaction's account: its entry is updated in place while the books
    hold it as a draft and their API allows it; otherwise 409 says what to change by hand."""

    permission_classes = [AccountingPermission]

    @extend_schema(
        request=AssignInputSerializer,
        responses={
            200: ReassignOutputSerializer,
            409: OpenApiResponse(
                ReassignOutputSerializer,
                description="Not synced; or the books cannot take it (by hand, refused).",
            ),
            503: OpenApiResponse(
                ReassignOutputSerializer,
                description="The books did not answer: send the same request again.",
            ),
        },
    )
    def post(self, request: Request, transaction_id: int) -> Response:
        data = AssignInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        correction = reassign_synced(
            organization=current_organization(request),
            actor=request.user,
            transaction_id=transaction_id,
            account_id=data.validated_data["account"],
        )
        correction = Correction.objects.select_related(
            "from_account", "to_account", "transaction", "organization"
        ).get(pk=correction.pk)
        body: dict[str, object] = {"correction": CorrectionOutputSerializer(correction).data}
        if correction.state in CODE_OF:
            body = {"detail": correction.reason, "code": CODE_OF[correction.state], **body}
        return Response(body, status=STATUS_OF[correction.state])
