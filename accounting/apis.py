"""Accounting and ledger API (SPEC §8). Thin views: parse, call a selector or service, serialize."""

import base64
import binascii
from typing import Any

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import generics, serializers, status
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounting.filters import FILTER_PARAMS, TransactionFilter
from accounting.models import (
    Document,
    SyncRun,
    SyncRunItem,
    Tab,
    Transaction,
    TransactionType,
    direction_of,
)
from accounting.selectors import (
    COUNT_CAP,
    sync_run_get,
    sync_run_list,
    tab_counts,
    transaction_audit,
    transaction_get,
    transaction_list,
)
from accounting.services import (
    assign_account,
    bulk_assign,
    ingest_transactions,
    retry_failed,
    start_sync_run,
    unverify_transaction,
)
from accounting.services.ingestion import IncomingDocument, IncomingTransaction
from accounting.services.sync import run_counts
from accounting.services.verification import MAX_BULK_IDS
from sifi.permissions import AccountingPermission, IsServiceToken
from sifi.tenancy import current_organization

MAX_BATCH = 1000

# File signatures: a receipt must really be the kind of file it says it is.
MAGIC = {
    "application/pdf": (b"%PDF",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
}


class NewestFirstPagination(CursorPagination):
    """Keyset pages: page 1 and page 10,000 cost the same on a million rows."""

    ordering = ("-occurred_at", "-id")
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


class TransactionOutputSerializer(serializers.ModelSerializer):
    employee = serializers.CharField(source="employee.name", default=None)
    budget = serializers.CharField(source="budget.name", default=None)
    card = serializers.CharField(source="card.last4", default=None)
    account_label = serializers.CharField(source="account", default=None)
    error = serializers.SerializerMethodField()
    tab = serializers.CharField()

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
            "tab",
        ]

    def get_error(self, txn: Transaction) -> str:
        return txn.status_reason if txn.status == "failed" else ""


class DocumentOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = Document
        fields = ["id", "filename", "content_type", "size", "qoyod_attachment_id", "attached_at"]


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
        responses=inline_serializer(
            "TabCounts",
            {
                **{tab: serializers.IntegerField() for tab in Tab.values},
                "cap": serializers.IntegerField(allow_null=True),
                "capped": serializers.ListField(child=serializers.CharField()),
            },
        )
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


class TransactionDetailApi(APIView):
    permission_classes = [AccountingPermission]

    @extend_schema(responses=TransactionDetailSerializer)
    def get(self, request: Request, transaction_id: int) -> Response:
        txn = transaction_get(
            organization=current_organization(request), transaction_id=transaction_id
        )
        return Response(TransactionDetailSerializer(txn).data)


class AssignInputSerializer(serializers.Serializer):
    account = serializers.IntegerField()


class TransactionAssignApi(APIView):
    """Verify: assign one account (the direction decides its side)."""

    permission_classes = [AccountingPermission]

    @extend_schema(request=AssignInputSerializer, responses=TransactionOutputSerializer)
    def post(self, request: Request, transaction_id: int) -> Response:
        data = AssignInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        organization = current_organization(request)
        txn = assign_account(
            organization=organization,
            actor=request.user,
            transaction_id=transaction_id,
            account_id=data.validated_data["account"],
        )
        txn = transaction_get(organization=organization, transaction_id=txn.pk)
        return Response(TransactionOutputSerializer(txn).data)


class TransactionUnverifyApi(APIView):
    permission_classes = [AccountingPermission]

    @extend_schema(request=None, responses=TransactionOutputSerializer)
    def post(self, request: Request, transaction_id: int) -> Response:
        organization = current_organization(request)
        unverify_transaction(
            organization=organization, actor=request.user, transaction_id=transaction_id
        )
        txn = transaction_get(organization=organization, transaction_id=transaction_id)
        return Response(TransactionOutputSerializer(txn).data)


class BulkAssignApi(APIView):
    """One account to a selection of ids, or to every transaction matching a filter."""

    permission_classes = [AccountingPermission]

    class InputSerializer(serializers.Serializer):
        account = serializers.IntegerField()
        ids = serializers.ListField(
            child=serializers.IntegerField(min_value=1),
            required=False,
            allow_empty=False,
            max_length=MAX_BULK_IDS,
        )
        filter = serializers.DictField(required=False)

        def validate_filter(self, value: dict[str, Any]) -> dict[str, Any]:
            unknown = sorted(set(value) - FILTER_PARAMS)
            if unknown:
                raise serializers.ValidationError(
                    f"Unknown filter {', '.join(unknown)}; use {', '.join(sorted(FILTER_PARAMS))}."
                )
            if not any(str(v).strip() for v in value.values()):
                raise serializers.ValidationError(
                    "Give at least one filter (e.g. a tab or a budget): an empty filter would "
                    "match every transaction."
                )
            return value

        def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
            if ("ids" in attrs) == ("filter" in attrs):
                raise serializers.ValidationError("Give either `ids` or `filter`, not both.")
            return attrs

    class OutputSerializer(serializers.Serializer):
        updated = serializers.IntegerField()
        skipped = serializers.ListField(child=serializers.DictField())
        skipped_count = serializers.IntegerField()

    @extend_schema(request=InputSerializer, responses=OutputSerializer)
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        organization = current_organization(request)
        matching = None
        if "filter" in data.validated_data:
            filterset = TransactionFilter(
                data={k: str(v) for k, v in data.validated_data["filter"].items()},
                queryset=Transaction.objects.filter(organization=organization),
                organization=organization,
            )
            if not filterset.is_valid():
                raise serializers.ValidationError({"filter": filterset.errors})
            matching = filterset.qs
        result = bulk_assign(
            organization=organization,
            actor=request.user,
            account_id=data.validated_data["account"],
            ids=data.validated_data.get("ids"),
            matching=matching,
        )
        return Response(self.OutputSerializer(result).data)


# --- ingestion (SiFi's card platform, service token) -----------------------------------------


class DocumentInputSerializer(serializers.Serializer):
    filename = serializers.CharField(max_length=200)
    content_type = serializers.ChoiceField(choices=list(MAGIC))
    content = serializers.CharField(help_text="The file, base64-encoded (at most 10 MB).")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        try:
            content = base64.b64decode(attrs["content"], validate=True)
        except (binascii.Error, ValueError):
            raise serializers.ValidationError({"content": "Not valid base64."}) from None
        if not content:
            raise serializers.ValidationError({"content": "The file is empty."})
        if len(content) > Document.MAX_BYTES:
            raise serializers.ValidationError({"content": "A receipt can be at most 10 MB."})
        if not content.startswith(MAGIC[attrs["content_type"]]):
            raise serializers.ValidationError(
                {"content": f"The file is not a {attrs['content_type']}."}
            )
        return {**attrs, "content": content}


class NamedRefSerializer(serializers.Serializer):
    reference = serializers.CharField(max_length=64)
    name = serializers.CharField(max_length=200, required=False, allow_blank=True)


class CardRefSerializer(serializers.Serializer):
    reference = serializers.CharField(max_length=64)
    last4 = serializers.RegexField(r"^[0-9]{4}$")


class IngestItemSerializer(serializers.Serializer):
    reference = serializers.CharField(max_length=64)
    type = serializers.ChoiceField(choices=TransactionType.choices)
    direction = serializers.ChoiceField(choices=["debit", "credit"], required=False)
    amount = serializers.DecimalField(
        max_digits=18, decimal_places=2, min_value=None, coerce_to_string=False
    )
    currency = serializers.RegexField(r"^[A-Z]{3}$", error_messages={"invalid": "ISO 4217 code"})
    vat_amount = serializers.DecimalField(
        max_digits=18, decimal_places=2, required=False, allow_null=True
    )
    occurred_at = serializers.DateTimeField()
    merchant = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")
    description = serializers.CharField(required=False, allow_blank=True, default="")
    employee = NamedRefSerializer(required=False, allow_null=True)
    budget = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    card = CardRefSerializer(required=False, allow_null=True)
    documents = serializers.ListField(
        child=DocumentInputSerializer(), required=False, max_length=10
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs["amount"] <= 0:
            raise serializers.ValidationError({"amount": "The amount must be more than 0."})
        vat = attrs.get("vat_amount")
        if vat is not None and (vat < 0 or vat >= attrs["amount"]):
            raise serializers.ValidationError(
                {"vat_amount": "VAT must be at least 0 and less than the amount."}
            )
        expected = direction_of(attrs["type"])
        if attrs.get("direction") and attrs["direction"] != expected:
            raise serializers.ValidationError(
                {"direction": f"A {attrs['type']} is always a {expected}."}
            )
        return attrs

    def to_incoming(self, attrs: dict[str, Any]) -> IncomingTransaction:
        employee = attrs.get("employee") or {}
        card = attrs.get("card") or {}
        return IncomingTransaction(
            reference=attrs["reference"],
            type=attrs["type"],
            amount=attrs["amount"],
            currency=attrs["currency"],
            occurred_at=attrs["occurred_at"],
            vat_amount=attrs.get("vat_amount"),
            merchant=attrs["merchant"],
            description=attrs["description"],
            employee_reference=employee.get("reference", ""),
            employee_name=employee.get("name", ""),
            budget=attrs["budget"].strip(),
            card_reference=card.get("reference", ""),
            card_last4=card.get("last4", ""),
            documents=tuple(IncomingDocument(**doc) for doc in attrs.get("documents", [])),
        )


class LedgerIngestApi(APIView):
    """A batch of SiFi transactions, idempotent by reference, all-or-nothing validation."""

    permission_classes = [IsServiceToken]

    class OutputSerializer(serializers.Serializer):
        created = serializers.IntegerField()
        updated = serializers.IntegerField()
        unchanged = serializers.IntegerField()
        changed_after_sync = serializers.IntegerField()
        results = serializers.ListField(child=serializers.DictField())

    @extend_schema(request=IngestItemSerializer(many=True), responses=OutputSerializer)
    def post(self, request: Request) -> Response:
        items = request.data
        if not isinstance(items, list) or not items:
            raise serializers.ValidationError(
                {"detail": "Send a non-empty JSON array of transactions."}
            )
        if len(items) > MAX_BATCH:
            raise serializers.ValidationError(
                {"detail": f"At most {MAX_BATCH} transactions per batch."}
            )
        errors, incoming = self._validate(items)
        if errors:
            return Response(
                {
                    "detail": f"{len(errors)} of {len(items)} transactions are invalid; "
                    "nothing was saved.",
                    "items": errors,
                },
                status=status.HTTP_400_BAD_REQUEST,
            )
        result = ingest_transactions(
            organization=current_organization(request), items=incoming, actor=request.user
        )
        return Response(self.OutputSerializer(result).data)

    @staticmethod
    def _validate(items: list[Any]) -> tuple[list[dict[str, Any]], list[IncomingTransaction]]:
        errors: list[dict[str, Any]] = []
        incoming: list[IncomingTransaction] = []
        seen: set[str] = set()
        for index, raw in enumerate(items):
            item = IngestItemSerializer(data=raw)
            reference = raw.get("reference") if isinstance(raw, dict) else None
            if not item.is_valid():
                errors.append({"index": index, "reference": reference, "errors": item.errors})
                continue
            if reference in seen:
                errors.append(
                    {
                        "index": index,
                        "reference": reference,
                        "errors": {"reference": ["Appears twice in this batch."]},
                    }
                )
                continue
            seen.add(str(reference))
            incoming.append(item.to_incoming(item.validated_data))
        return errors, incoming


# --- sync runs ------------------------------------------------------------------------------


class SyncRunOutputSerializer(serializers.ModelSerializer):
    succeeded = serializers.SerializerMethodField()
    failed = serializers.SerializerMethodField()
    pending = serializers.SerializerMethodField()
    released = serializers.SerializerMethodField()
    started_by = serializers.CharField(source="started_by.username", default=None)

    class Meta:
        model = SyncRun
        fields = [
            "id",
            "status",
            "total",
            "succeeded",
            "failed",
            "pending",
            "released",
            "error",
            "retry_of",
            "started_by",
            "created_at",
            "started_at",
            "finished_at",
        ]

    def _counts(self, run: SyncRun) -> dict[str, int]:
        if getattr(self, "_counted_run", None) != run.pk:
            self._counted_run, self._run_counts = run.pk, run_counts(run)
        return self._run_counts

    def get_succeeded(self, run: SyncRun) -> int:
        return self._counts(run)["succeeded"]

    def get_failed(self, run: SyncRun) -> int:
        return self._counts(run)["failed"]

    def get_pending(self, run: SyncRun) -> int:
        return self._counts(run)["pending"]

    def get_released(self, run: SyncRun) -> int:
        return self._counts(run)["released"]


class SyncRunItemOutputSerializer(serializers.ModelSerializer):
    reference = serializers.CharField(source="transaction.reference")

    class Meta:
        model = SyncRunItem
        fields = [
            "transaction",
            "reference",
            "outcome",
            "journal_entry_id",
            "error",
            "error_code",
            "attempts",
            "finished_at",
        ]


class SyncRunListApi(generics.ListAPIView):
    """Sync runs, newest first; POST starts one with the verified transactions (202)."""

    permission_classes = [AccountingPermission]
    serializer_class = SyncRunOutputSerializer

    class InputSerializer(serializers.Serializer):
        ids = serializers.ListField(
            child=serializers.IntegerField(min_value=1),
            required=False,
            allow_empty=False,
            max_length=MAX_BULK_IDS,
        )

    def get_queryset(self) -> Any:
        return sync_run_list(organization=current_organization(self.request))

    @extend_schema(request=InputSerializer, responses={202: SyncRunOutputSerializer})
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        run = start_sync_run(
            organization=current_organization(request),
            actor=request.user,
            ids=data.validated_data.get("ids"),
        )
        return Response(SyncRunOutputSerializer(run).data, status=status.HTTP_202_ACCEPTED)


class SyncRunDetailApi(APIView):
    permission_classes = [AccountingPermission]

    @extend_schema(responses=SyncRunOutputSerializer)
    def get(self, request: Request, run_id: int) -> Response:
        run = sync_run_get(organization=current_organization(request), run_id=run_id)
        return Response(SyncRunOutputSerializer(run).data)


class SyncRunItemListApi(generics.ListAPIView):
    """Per-transaction results of a run: Qoyod's journal entry id or the error."""

    permission_classes = [AccountingPermission]
    serializer_class = SyncRunItemOutputSerializer

    def get_queryset(self) -> Any:
        run = sync_run_get(
            organization=current_organization(self.request), run_id=self.kwargs["run_id"]
        )
        items = run.items.select_related("transaction").order_by("pk")
        outcome = self.request.query_params.get("outcome")
        return items.filter(outcome=outcome) if outcome else items


class SyncRunRetryFailedApi(APIView):
    permission_classes = [AccountingPermission]

    @extend_schema(request=None, responses={202: SyncRunOutputSerializer})
    def post(self, request: Request, run_id: int) -> Response:
        organization = current_organization(request)
        sync_run_get(organization=organization, run_id=run_id)
        run = retry_failed(organization=organization, actor=request.user, run_id=run_id)
        return Response(SyncRunOutputSerializer(run).data, status=status.HTTP_202_ACCEPTED)
