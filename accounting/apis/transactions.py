"""Transactions API (SPEC §8): the list with its filters and tab counts, one transaction."""

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import generics, serializers
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounting.filters import FILTER_PARAMS, TransactionFilter
from accounting.models import Document, Tab, Transaction, VatEvidence
from accounting.selectors import (
    COUNT_CAP,
    tab_counts,
    transaction_audit,
    transaction_get,
    transaction_list,
    vat_evidence_counts,
)
from sifi.permissions import AccountingPermission
from sifi.tenancy import current_organization


class NewestFirstPagination(CursorPagination):
    """Keyset pages: page 1 and page 10,000 cost the same on a million rows."""

    ordering = ("-occurred_at", "-id")
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


class VatInvoiceOutputSerializer(serializers.Serializer):
    """What the receipt's ZATCA QR code says (money as strings, as written on the invoice)."""

    seller = serializers.CharField()
    vat_number = serializers.CharField()
    vat_number_valid = serializers.BooleanField(
        help_text="15 digits, starting and ending with 3 (a Saudi VAT registration number)."
    )
    time = serializers.CharField(help_text="The invoice's time stamp as written (ISO 8601).")
    total = serializers.DecimalField(max_digits=18, decimal_places=2, coerce_to_string=True)
    vat = serializers.DecimalField(max_digits=18, decimal_places=2, coerce_to_string=True)


class TransactionOutputSerializer(serializers.ModelSerializer):
    employee = serializers.CharField(source="employee.name", default=None, allow_null=True)
    budget = serializers.CharField(source="budget.name", default=None, allow_null=True)
    card = serializers.CharField(source="card.last4", default=None, allow_null=True)
    account_label = serializers.CharField(source="account", default=None, allow_null=True)
    error = serializers.SerializerMethodField()
    suggested_account = serializers.IntegerField(
        source="suggested_account_id", allow_null=True, read_only=True
    )
    suggestion_reason = serializers.CharField(read_only=True)
    tab = serializers.CharField()
    vat_invoice = VatInvoiceOutputSerializer(allow_null=True, read_only=True)

    class Meta:
        model = Transaction
        fields = [
            "id",
            "reference",
            "type",
            "direction",
            "amount",
            "currency",
            "vat_amount",
            "original_amount",
            "original_currency",
            "occurred_at",
            "transaction_date",
            "merchant",
            "description",
            "employee",
            "employee_id",
            "budget",
            "budget_id",
            "card",
            "status",
            "status_reason",
            "account",
            "account_label",
            "sync_run",
            "journal_entry_id",
            "journal_entry_status",
            "error",
            "changed_after_sync",
            "suggested_account",
            "suggestion_reason",
            "tab",
            "vat_evidence",
            "vat_invoice",
        ]

    def get_error(self, txn: Transaction) -> str:
        return txn.status_reason if txn.status == "failed" else ""


class DocumentOutputSerializer(serializers.ModelSerializer):
    state = serializers.ChoiceField(
        choices=["attached", "failed", "link_only", "waiting", "unsent"],
        read_only=True,
        help_text="Where the receipt stands with the books (a late receipt: waiting, failed or "
        "link_only until attached).",
    )

    class Meta:
        model = Document
        fields = [
            "id",
            "filename",
            "content_type",
            "size",
            "external_attachment_id",
            "attached_at",
            "late_since",
            "state",
            "attach_error",
        ]


class AuditOutputSerializer(serializers.Serializer):
    action = serializers.CharField()
    actor = serializers.CharField(source="actor_label")
    at = serializers.DateTimeField(source="created_at")
    before = serializers.JSONField()
    after = serializers.JSONField()


class TransactionDetailSerializer(TransactionOutputSerializer):
    documents = DocumentOutputSerializer(many=True)
    audit = serializers.SerializerMethodField()

    class Meta(TransactionOutputSerializer.Meta):
        fields = [*TransactionOutputSerializer.Meta.fields, "documents", "audit"]

    @extend_schema(responses=AuditOutputSerializer(many=True))
    def get_audit(self, txn: Transaction) -> Any:
        return AuditOutputSerializer(transaction_audit(transaction=txn), many=True).data


class TransactionListApi(generics.ListAPIView):
    """Transactions of one tab with the SPEC §8 filters, newest first, keyset-paginated."""

    permission_classes = [AccountingPermission]
    serializer_class = TransactionOutputSerializer
    queryset = Transaction.objects.none()  # the model, for the schema; rows come from get_queryset
    filterset_class = TransactionFilter
    pagination_class = NewestFirstPagination

    def get_queryset(self) -> Any:
        return transaction_list(organization=current_organization(self.request))


class TransactionCountsApi(APIView):
    """How many transactions each tab holds under the given filters (the tab badges).

    Counts are exact up to `cap` (5,000); a tab listed in `capped` holds more than `cap`.
    `?exact=true` counts everything exactly (slower on a large ledger)."""

    permission_classes = [AccountingPermission]

    @extend_schema(
        parameters=[
            OpenApiParameter("exact", bool, description="count every tab exactly (slower)"),
            *(
                OpenApiParameter(name, str, required=False)
                for name in sorted(FILTER_PARAMS - {"tab"})
            ),
        ],
        responses=inline_serializer(
            "TabCounts",
            {
                **{tab: serializers.IntegerField() for tab in Tab.values},
                "cap": serializers.IntegerField(allow_null=True),
                "capped": serializers.ListField(child=serializers.CharField()),
            },
        ),
    )
    def get(self, request: Request) -> Response:
        params = request.query_params.copy()
        params.pop("tab", None)
        exact = params.pop("exact", ["false"])[-1].lower() in ("1", "true", "yes")
        organization = current_organization(request)
        filterset = TransactionFilter(
            data=params,
            queryset=transaction_list(organization=organization),
            organization=organization,
        )
        if not filterset.is_valid():
            raise serializers.ValidationError(filterset.errors)
        cap = None if exact else COUNT_CAP
        counts = tab_counts(filtered=filterset.qs, cap=cap)
        capped = [tab for tab, n in counts.items() if cap is not None and n > cap]
        return Response(
            {
                **{tab: min(n, cap) if cap is not None else n for tab, n in counts.items()},
                "cap": cap,
                "capped": capped,
            }
        )


class VatEvidenceCountsApi(APIView):
    """How many transactions have each VAT evidence under the list's filters (by default the
    Verified tab: what the next sync would book with or without its VAT)."""

    permission_classes = [AccountingPermission]

    @extend_schema(
        parameters=[OpenApiParameter(name, str, required=False) for name in sorted(FILTER_PARAMS)],
        responses=inline_serializer(
            "VatEvidenceCounts",
            {evidence: serializers.IntegerField() for evidence in VatEvidence.values},
        ),
    )
    def get(self, request: Request) -> Response:
        params = request.query_params.copy()
        params.setdefault("tab", Tab.VERIFIED)
        organization = current_organization(request)
        filterset = TransactionFilter(
            data=params,
            queryset=transaction_list(organization=organization),
            organization=organization,
        )
        if not filterset.is_valid():
            raise serializers.ValidationError(filterset.errors)
        return Response(vat_evidence_counts(filtered=filterset.qs))


class TransactionDetailApi(APIView):
    permission_classes = [AccountingPermission]

    @extend_schema(responses=TransactionDetailSerializer)
    def get(self, request: Request, transaction_id: int) -> Response:
        txn = transaction_get(
            organization=current_organization(request), transaction_id=transaction_id
        )
        return Response(TransactionDetailSerializer(txn).data)
