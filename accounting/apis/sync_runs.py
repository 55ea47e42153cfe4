"""Sync runs API (SPEC §5, §8): start a run, follow it, its items, retry the failed."""

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounting.models import SyncRun, SyncRunItem, SyncRunItemOutcome
from accounting.selectors import sync_run_get, sync_run_list
from accounting.services.estimate import sync_estimate
from accounting.services.run_lifecycle import run_counts, waiting_reason
from accounting.services.runs import book_on_open_day, retry_failed, start_sync_run
from accounting.services.verification import MAX_BULK_IDS, books_name
from sifi.permissions import AccountingPermission
from sifi.tenancy import current_organization


class SyncRunOutputSerializer(serializers.ModelSerializer):
    succeeded = serializers.SerializerMethodField()
    failed = serializers.SerializerMethodField()
    pending = serializers.SerializerMethodField()
    released = serializers.SerializerMethodField()
    started_by = serializers.CharField(source="started_by.username", default=None, allow_null=True)
    waiting_seconds = serializers.IntegerField(
        read_only=True,
        help_text="Seconds until the accounting system's request limit lets this run push "
        "again (0: not waiting).",
    )
    waiting_reason = serializers.SerializerMethodField(
        help_text="Why the run waits, as a sentence (a daily quota spent says when SiFi tries "
        "again); empty while it pushes."
    )

    number = serializers.IntegerField(
        read_only=True,
        help_text="The organization's own count of its runs (its first is 1), as the pages "
        "say it ('Sync run #1'); addresses take the id.",
    )

    class Meta:
        model = SyncRun
        fields = [
            "id",
            "number",
            "status",
            "total",
            "succeeded",
            "failed",
            "pending",
            "released",
            "error",
            "waiting_seconds",
            "waiting_reason",
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

    def get_waiting_reason(self, run: SyncRun) -> str:
        if not run.waiting_seconds:
            return ""
        return waiting_reason(run, books_name=books_name(run.organization))

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
    queryset = SyncRun.objects.none()  # the model, for the schema; rows come from get_queryset

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


class SyncEstimateApi(APIView):
    """What syncing every verified transaction now will cost: the requests, the limit that
    makes the run longest, how long at least, and the question the sync button asks before a
    long run ("" for a short one)."""

    permission_classes = [AccountingPermission]

    class OutputSerializer(serializers.Serializer):
        transactions = serializers.IntegerField()
        requests = serializers.IntegerField()
        limit = serializers.IntegerField(allow_null=True)
        period_seconds = serializers.FloatField(allow_null=True)
        seconds = serializers.FloatField()
        question = serializers.CharField()

    @extend_schema(responses=OutputSerializer)
    def get(self, request: Request) -> Response:
        estimate = sync_estimate(current_organization(request))
        return Response(self.OutputSerializer(estimate).data)


class SyncRunDetailApi(APIView):
    permission_classes = [AccountingPermission]

    @extend_schema(responses=SyncRunOutputSerializer)
    def get(self, request: Request, run_id: int) -> Response:
        run = sync_run_get(organization=current_organization(request), run_id=run_id)
        return Response(SyncRunOutputSerializer(run).data)


class SyncRunItemListApi(generics.ListAPIView):
    """Per-transaction results of a run: the provider's journal entry id or the error."""

    permission_classes = [AccountingPermission]
    serializer_class = SyncRunItemOutputSerializer
    queryset = SyncRunItem.objects.none()  # the model, for the schema

    @extend_schema(
        parameters=[OpenApiParameter("outcome", enum=SyncRunItemOutcome.values, required=False)]
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

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


class SyncRunBookOnOpenDayApi(APIView):
    """The run page's "Book on <first open day>": the run's transactions that failed because
    the books are closed on their date are dated on the first open day after the books' lock
    date and queued in a new run (a retry of this one). Not in SPEC §8: issue 26's one click.
    409 `lock_date_unknown` when the books never told their lock date, `nothing_to_book` when
    no such failure is left."""

    permission_classes = [AccountingPermission]

    @extend_schema(
        request=None,
        responses={202: SyncRunOutputSerializer},
        summary="Book the run's closed-period failures on the first open day",
    )
    def post(self, request: Request, run_id: int) -> Response:
        organization = current_organization(request)
        sync_run_get(organization=organization, run_id=run_id)
        run = book_on_open_day(organization=organization, actor=request.user, run_id=run_id)
        return Response(SyncRunOutputSerializer(run).data, status=status.HTTP_202_ACCEPTED)
