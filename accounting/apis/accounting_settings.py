"""The organization's accounting choices (SPEC §8 `GET/PATCH /api/v1/accounting/settings/`):
Admin and Finance Manager change them, Accountants read them."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounting.models import AccountingSettings, PostingDatePolicy, VatReclaim
from accounting.services.accounting_settings import (
    accounting_settings_for,
    change_accounting_settings,
)
from sifi.permissions import RulesPermission
from sifi.tenancy import current_organization

VAT_RECLAIM_HELP = (
    "as_reported: book the VAT SiFi reports as input VAT; backed_only: only VAT backed by the "
    "receipt's tax invoice QR code (vat_evidence backed), the rest booked gross."
)

POSTING_DATE_POLICY_HELP = (
    "transaction_date: every entry is dated on its transaction's date; one dated in a closed "
    'period fails ("The books are closed up to <date>.") and the run offers to book those on '
    "the first open day. first_open_day: such an entry is dated on the first open day after the "
    "lock date, its description keeping the transaction's date."
)


class AccountingSettingsOutputSerializer(serializers.ModelSerializer):
    vat_reclaim = serializers.ChoiceField(choices=VatReclaim.choices, help_text=VAT_RECLAIM_HELP)
    posting_date_policy = serializers.ChoiceField(
        choices=PostingDatePolicy.choices, help_text=POSTING_DATE_POLICY_HELP
    )

    class Meta:
        model = AccountingSettings
        fields = ["vat_reclaim", "posting_date_policy"]


class AccountingSettingsInputSerializer(serializers.Serializer):
    vat_reclaim = serializers.ChoiceField(
        choices=VatReclaim.choices, required=False, help_text=VAT_RECLAIM_HELP
    )
    posting_date_policy = serializers.ChoiceField(
        choices=PostingDatePolicy.choices, required=False, help_text=POSTING_DATE_POLICY_HELP
    )


class AccountingSettingsApi(APIView):
    permission_classes = [RulesPermission]  # Accountants read, Admin and Finance Manager write

    @extend_schema(responses=AccountingSettingsOutputSerializer)
    def get(self, request: Request) -> Response:
        found = accounting_settings_for(current_organization(request))
        return Response(AccountingSettingsOutputSerializer(found).data)

    @extend_schema(
        request=AccountingSettingsInputSerializer, responses=AccountingSettingsOutputSerializer
    )
    def patch(self, request: Request) -> Response:
        data = AccountingSettingsInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        changed = change_accounting_settings(
            organization=current_organization(request), actor=request.user, **data.validated_data
        )
        return Response(AccountingSettingsOutputSerializer(changed).data)
