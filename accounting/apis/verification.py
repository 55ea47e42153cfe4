"""Verification API (SPEC §4, §8): assign, unverify, bulk assign by ids or by filter."""

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounting.apis.transactions import TransactionOutputSerializer
from accounting.filters import FILTER_PARAMS, TransactionFilter
from accounting.models import Transaction
from accounting.selectors import transaction_get
from accounting.services.verification import (
    MAX_BULK_IDS,
    assign_account,
    bulk_assign,
    unverify_transaction,
)
from sifi.models import Organization
from sifi.permissions import AccountingPermission
from sifi.tenancy import current_organization


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


def transaction_filter_from(
    organization: Organization, given: dict[str, Any]
) -> QuerySet[Transaction]:
    """The transactions a request's `filter` object means (the list's filters, SPEC §8); a
    400 on `filter` for an unknown or empty filter (it would match every transaction)."""
    unknown = sorted(set(given) - FILTER_PARAMS)
    if unknown:
        raise serializers.ValidationError(
            {
                "filter": [
                    f"Unknown filter {', '.join(unknown)}; use {', '.join(sorted(FILTER_PARAMS))}."
                ]
            }
        )
    if not any(str(value).strip() for value in given.values()):
        raise serializers.ValidationError(
            {
                "filter": [
                    "Give at least one filter (e.g. a tab or a budget): an empty filter would "
                    "match every transaction."
                ]
            }
        )
    filterset = TransactionFilter(
        data={key: str(value) for key, value in given.items()},
        queryset=Transaction.objects.filter(organization=organization),
        organization=organization,
    )
    if not filterset.is_valid():
        raise serializers.ValidationError({"filter": filterset.errors})
    return filterset.qs


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
            matching = transaction_filter_from(organization, data.validated_data["filter"])
        result = bulk_assign(
            organization=organization,
            actor=request.user,
            account_id=data.validated_data["account"],
            ids=data.validated_data.get("ids"),
            matching=matching,
        )
        return Response(self.OutputSerializer(result).data)
