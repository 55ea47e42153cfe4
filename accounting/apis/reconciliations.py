"""Reconciliation API (SPEC §5, §8): start one for a date range, read its report."""

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounting.models import Reconciliation, ReconciliationItem
from accounting.selectors import reconciliation_get, reconciliation_list
from accounting.services.runs import start_reconciliation
from sifi.permissions import AccountingPermission
from sifi.tenancy import current_organization


class ReconciliationInputSerializer(serializers.Serializer):
    date_from = serializers.DateField()
    date_to = serializers.DateField()


class ReconciliationItemOutputSerializer(serializers.ModelSerializer):
    reference = serializers.CharField(source="transaction.reference")
    journal_entry_ids = serializers.ListField(
        child=serializers.CharField(), help_text="The provider's ids of the entries concerned."
    )

    class Meta:
        model = ReconciliationItem
        fields = ["transaction", "reference", "problem", "journal_entry_ids", "detail"]


class ReconciliationOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = Reconciliation
        fields = [
            "id",
            "status",
            "date_from",
            "date_to",
            "trigger",
            "checked",
            "matched",
            "missing",
            "duplicated",
            "mismatched",
            "late_receipts",
            "error",
            "created_at",
            "started_at",
            "finished_at",
        ]


class ReconciliationDetailOutputSerializer(ReconciliationOutputSerializer):
    items = serializers.SerializerMethodField()

    class Meta(ReconciliationOutputSerializer.Meta):
        fields = [*ReconciliationOutputSerializer.Meta.fields, "items"]

    @extend_schema(responses=ReconciliationItemOutputSerializer(many=True))
    def get_items(self, reconciliation: Reconciliation) -> Any:
        items = reconciliation.items.select_related("transaction")
        return ReconciliationItemOutputSerializer(items, many=True).data


class ReconciliationListApi(generics.ListAPIView):
    """Reconciliations, newest first; POST starts one for a date range (202)."""

    permission_classes = [AccountingPermission]
    serializer_class = ReconciliationOutputSerializer
    queryset = Reconciliation.objects.none()  # the model, for the schema; rows: get_queryset

    def get_queryset(self) -> Any:
        return reconciliation_list(organization=current_organization(self.request))

    @extend_schema(
        request=ReconciliationInputSerializer, responses={202: ReconciliationOutputSerializer}
    )
    def post(self, request: Request) -> Response:
        data = ReconciliationInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        reconciliation = start_reconciliation(
            organization=current_organization(request),
            actor=request.user,
            date_from=data.validated_data["date_from"],
            date_to=data.validated_data["date_to"],
        )
        body = ReconciliationOutputSerializer(reconciliation).data
        return Response(body, status=status.HTTP_202_ACCEPTED)


class ReconciliationDetailApi(APIView):
    """One reconciliation with every finding (missing, duplicated, mismatched)."""

    permission_classes = [AccountingPermission]

    @extend_schema(responses=ReconciliationDetailOutputSerializer)
    def get(self, request: Request, reconciliation_id: int) -> Response:
        reconciliation = reconciliation_get(
            organization=current_organization(request), reconciliation_id=reconciliation_id
        )
        return Response(ReconciliationDetailOutputSerializer(reconciliation).data)
