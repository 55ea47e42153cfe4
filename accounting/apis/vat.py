"""VAT API (issue 27): the VAT report of a period, as JSON, CSV or XLSX, and the merchants
ticked as foreign services (reverse charge)."""

from typing import Any

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounting.selectors import reverse_charge_merchant_list
from accounting.services.reverse_charge import set_merchant_reverse_charge
from accounting.vat_report import (
    CATEGORIES,
    VatReport,
    report_csv,
    report_period,
    report_xlsx,
    vat_report,
)
from sifi.permissions import AccountingPermission, RulesPermission
from sifi.tenancy import current_organization

CSV = "text/csv"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class _DownloadRenderer(BaseRenderer):
    """Lets `?format=csv|xlsx` through DRF's negotiation; the view answers the file itself."""

    charset = None

    def render(
        self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None
    ) -> bytes:
        return data if isinstance(data, bytes) else b""


class CsvRenderer(_DownloadRenderer):
    media_type = CSV
    format = "csv"


class XlsxRenderer(_DownloadRenderer):
    media_type = XLSX
    format = "xlsx"


class CategoryTotalSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    amount = serializers.DecimalField(max_digits=18, decimal_places=2)
    vat_reported = serializers.DecimalField(max_digits=18, decimal_places=2)
    vat_reclaimed = serializers.DecimalField(max_digits=18, decimal_places=2)
    reverse_charge_vat = serializers.DecimalField(max_digits=18, decimal_places=2)


class VatReportRowSerializer(serializers.Serializer):
    transaction_id = serializers.IntegerField()
    reference = serializers.CharField()
    date = serializers.DateField()
    merchant = serializers.CharField()
    category = serializers.ChoiceField(choices=list(CATEGORIES))
    evidence = serializers.CharField(help_text="The transaction's vat_evidence.")
    amount = serializers.DecimalField(max_digits=18, decimal_places=2)
    vat_reported = serializers.DecimalField(max_digits=18, decimal_places=2)
    invoice_total = serializers.DecimalField(max_digits=18, decimal_places=2, allow_null=True)
    invoice_vat = serializers.DecimalField(max_digits=18, decimal_places=2, allow_null=True)
    vat_reclaimed = serializers.DecimalField(max_digits=18, decimal_places=2)
    reverse_charge_vat = serializers.DecimalField(max_digits=18, decimal_places=2)
    mismatch = serializers.BooleanField()
    reason = serializers.CharField()


class VatReportOutputSerializer(serializers.Serializer):
    date_from = serializers.DateField()
    date_to = serializers.DateField()
    totals = serializers.DictField(child=CategoryTotalSerializer())
    mismatches = CategoryTotalSerializer()
    mismatch_invoice_vat = serializers.DecimalField(max_digits=18, decimal_places=2)
    input_vat = serializers.DecimalField(max_digits=18, decimal_places=2)
    output_vat = serializers.DecimalField(max_digits=18, decimal_places=2)
    rows = VatReportRowSerializer(many=True)


def report_filename(report: VatReport, extension: str) -> str:
    return f"vat-report-{report.date_from.isoformat()}-{report.date_to.isoformat()}.{extension}"


class VatReportApi(APIView):
    """The organization's VAT report of a period (synced transactions by transaction date):
    reclaimed with evidence, reclaimed as reported, booked gross with the reason,
    reverse-charged, mismatches with both figures; totals. `format=csv` or `xlsx` downloads
    it, labels in the caller's language (Arabic: the sheet right to left)."""

    permission_classes = [AccountingPermission]
    renderer_classes = [JSONRenderer, CsvRenderer, XlsxRenderer]

    @extend_schema(
        parameters=[
            OpenApiParameter("date_from", OpenApiTypes.DATE, required=True),
            OpenApiParameter("date_to", OpenApiTypes.DATE, required=True),
            OpenApiParameter(
                "format", OpenApiTypes.STR, enum=["json", "csv", "xlsx"], required=False
            ),
        ],
        responses={
            (200, "application/json"): VatReportOutputSerializer,
            (200, CSV): OpenApiTypes.BINARY,
            (200, XLSX): OpenApiTypes.BINARY,
        },
    )
    def get(self, request: Request) -> Any:
        start, end = report_period(
            request.query_params.get("date_from"), request.query_params.get("date_to")
        )
        report = vat_report(
            organization=current_organization(request), date_from=start, date_to=end
        )
        wanted = request.accepted_renderer.format
        if wanted in ("csv", "xlsx"):
            body = report_csv(report) if wanted == "csv" else report_xlsx(report)
            answer = HttpResponse(body, content_type=CSV if wanted == "csv" else XLSX)
            answer["Content-Disposition"] = (
                f'attachment; filename="{report_filename(report, wanted)}"'
            )
            return answer
        return Response(
            VatReportOutputSerializer(
                {
                    "date_from": report.date_from,
                    "date_to": report.date_to,
                    "totals": report.totals,
                    "mismatches": report.mismatches,
                    "mismatch_invoice_vat": report.mismatch_invoice_vat,
                    "input_vat": report.input_vat,
                    "output_vat": report.output_vat,
                    "rows": report.rows,
                }
            ).data
        )

    def finalize_response(self, request: Request, response: Any, *args: Any, **kwargs: Any) -> Any:
        # Errors are JSON whatever the format asked for (a 400 names the date fields).
        if isinstance(response, Response) and response.status_code >= 400:
            request.accepted_renderer = JSONRenderer()
            request.accepted_media_type = "application/json"
        return super().finalize_response(request, response, *args, **kwargs)


class ReverseChargeMerchantSerializer(serializers.Serializer):
    merchant = serializers.CharField(max_length=255)
    created_at = serializers.DateTimeField(read_only=True)


class ReverseChargeMerchantInputSerializer(serializers.Serializer):
    merchant = serializers.CharField(max_length=255)
    reverse_charge = serializers.BooleanField(
        help_text="true: book this merchant's transactions with reverse-charge VAT (a foreign "
        "service); false: stop."
    )


class ReverseChargeMerchantListApi(APIView):
    """Merchants ticked as foreign services (reverse charge); POST ticks or unticks one
    (Admin and Finance Manager; Accountants read)."""

    permission_classes = [RulesPermission]

    @extend_schema(responses=ReverseChargeMerchantSerializer(many=True))
    def get(self, request: Request) -> Response:
        merchants = reverse_charge_merchant_list(organization=current_organization(request))
        return Response(ReverseChargeMerchantSerializer(merchants, many=True).data)

    @extend_schema(
        request=ReverseChargeMerchantInputSerializer,
        responses={200: ReverseChargeMerchantSerializer, 204: None},
    )
    def post(self, request: Request) -> Response:
        data = ReverseChargeMerchantInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        ticked = set_merchant_reverse_charge(
            organization=current_organization(request),
            actor=request.user,
            merchant=data.validated_data["merchant"],
            reverse_charge=data.validated_data["reverse_charge"],
        )
        if ticked is None:
            return Response(status=status.HTTP_204_NO_CONTENT)
        return Response(ReverseChargeMerchantSerializer(ticked).data)
