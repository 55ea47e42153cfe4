"""Coding rules API (SPEC §8): the finance team's rules, re-applying them, accepting the
suggestions they make."""

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounting.apis.verification import (
    BulkAssignApi,
    transaction_filter_from,
)
from accounting.models import Rule
from accounting.selectors import rule_get, rule_list
from accounting.services.runs import change_rule, remove_rule
from accounting.services.suggestions import accept_suggestions, apply_rules
from accounting.services.verification import MAX_BULK_IDS
from sifi.permissions import AccountingPermission, RulesPermission
from sifi.tenancy import current_organization


class RuleInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=120)
    priority = serializers.IntegerField(min_value=0, max_value=100_000, required=False)
    enabled = serializers.BooleanField(required=False)
    conditions = serializers.DictField(
        help_text="All must match: merchant_contains, merchant_equals (Arabic or English, "
        "case- and diacritics-insensitive), budget (id or exact name), employee, card, type, "
        "amount_min, amount_max."
    )
    account = serializers.IntegerField(help_text="The account to propose (a posting account).")
    auto_verify = serializers.BooleanField(
        required=False, help_text="Verify at once instead of proposing."
    )
    reverse_charge = serializers.BooleanField(
        required=False,
        help_text="Foreign service: the transactions it matches are booked with reverse-charge "
        "VAT (output and input VAT at 15 %, each on its own line).",
    )


class RuleOutputSerializer(serializers.ModelSerializer):
    account_label = serializers.CharField(source="account", read_only=True)
    conditions = serializers.DictField()

    class Meta:
        model = Rule
        fields = [
            "id",
            "name",
            "priority",
            "enabled",
            "conditions",
            "account",
            "account_label",
            "auto_verify",
            "reverse_charge",
            "created_at",
            "updated_at",
        ]


class RuleListApi(generics.ListAPIView):
    """The organization's rules, in the order they are tried; POST creates one (Admin and
    Finance Manager)."""

    permission_classes = [RulesPermission]
    serializer_class = RuleOutputSerializer
    queryset = Rule.objects.none()  # the model, for the schema; rows come from get_queryset

    def get_queryset(self) -> Any:
        return rule_list(organization=current_organization(self.request))

    @extend_schema(request=RuleInputSerializer, responses={201: RuleOutputSerializer})
    def post(self, request: Request) -> Response:
        data = RuleInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        rule = change_rule(
            organization=current_organization(request), actor=request.user, **data.validated_data
        )
        return Response(RuleOutputSerializer(rule).data, status=status.HTTP_201_CREATED)


class RuleDetailApi(APIView):
    permission_classes = [RulesPermission]

    @extend_schema(responses=RuleOutputSerializer)
    def get(self, request: Request, rule_id: int) -> Response:
        rule = rule_get(organization=current_organization(request), rule_id=rule_id)
        return Response(RuleOutputSerializer(rule).data)

    @extend_schema(request=RuleInputSerializer(partial=True), responses=RuleOutputSerializer)
    def patch(self, request: Request, rule_id: int) -> Response:
        data = RuleInputSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        rule = change_rule(
            organization=current_organization(request),
            actor=request.user,
            rule_id=rule_id,
            **data.validated_data,
        )
        return Response(RuleOutputSerializer(rule).data)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, rule_id: int) -> Response:
        remove_rule(organization=current_organization(request), actor=request.user, rule_id=rule_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class RulesApplyInputSerializer(serializers.Serializer):
    filter = serializers.DictField(
        help_text="The transaction list's filters (SPEC §8); unverified transactions only."
    )


class RulesApplyOutputSerializer(serializers.Serializer):
    suggested = serializers.IntegerField()
    verified = serializers.IntegerField()


class RulesApplyApi(APIView):
    """Re-apply the rules to the unverified transactions matching a filter, now."""

    permission_classes = [AccountingPermission]

    @extend_schema(request=RulesApplyInputSerializer, responses=RulesApplyOutputSerializer)
    def post(self, request: Request) -> Response:
        data = RulesApplyInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        organization = current_organization(request)
        matching = transaction_filter_from(organization, data.validated_data["filter"])
        applied = apply_rules(organization=organization, matching=matching)
        return Response(RulesApplyOutputSerializer(applied).data)


class AcceptSuggestionsInputSerializer(serializers.Serializer):
    ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        required=False,
        allow_empty=False,
        max_length=MAX_BULK_IDS,
    )
    filter = serializers.DictField(required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if ("ids" in attrs) == ("filter" in attrs):
            raise serializers.ValidationError("Give either `ids` or `filter`, not both.")
        return attrs


class AcceptSuggestionsApi(APIView):
    """Verify transactions with the accounts suggested for them; the bulk-assign answer."""

    permission_classes = [AccountingPermission]

    @extend_schema(
        request=AcceptSuggestionsInputSerializer, responses=BulkAssignApi.OutputSerializer
    )
    def post(self, request: Request) -> Response:
        data = AcceptSuggestionsInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        organization = current_organization(request)
        matching = None
        if "filter" in data.validated_data:
            matching = transaction_filter_from(organization, data.validated_data["filter"])
        result = accept_suggestions(
            organization=organization,
            actor=request.user,
            ids=data.validated_data.get("ids"),
            matching=matching,
        )
        return Response(BulkAssignApi.OutputSerializer(result).data)
