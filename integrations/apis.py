"""Integrations API (SPEC §8). Thin views: parse, call a selector or service, serialize."""

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounting.models import Account
from accounting.selectors import account_list
from integrations.models import Integration, Job
from integrations.selectors import connection_state, integration_for, job_get, provider_list
from sifi.permissions import IntegrationsPermission
from sifi.tenancy import current_organization


class IntegrationListApi(APIView):
    permission_classes = [IntegrationsPermission]

    class OutputSerializer(serializers.Serializer):
        provider = serializers.CharField()
        name = serializers.CharField()
        description = serializers.CharField()
        state = serializers.CharField()

    @extend_schema(responses=OutputSerializer(many=True))
    def get(self, request: Request) -> Response:
        rows = provider_list(organization=current_organization(request))
        return Response(self.OutputSerializer(rows, many=True).data)


class QoyodConnectionApi(APIView):
    permission_classes = [IntegrationsPermission]

    class OutputSerializer(serializers.Serializer):
        provider = serializers.CharField()
        state = serializers.SerializerMethodField()
        attention_reason = serializers.CharField()
        consented_scopes = serializers.ListField(child=serializers.CharField())
        consented_at = serializers.DateTimeField(allow_null=True)
        api_key_hint = serializers.CharField()
        attributes = serializers.ListField(child=serializers.CharField())
        source_account = serializers.IntegerField(source="source_account_id", allow_null=True)
        auto_sync = serializers.BooleanField()
        last_sync_at = serializers.DateTimeField(allow_null=True)
        last_sync_status = serializers.CharField()
        last_sync_message = serializers.CharField()

        def get_state(self, integration: Integration) -> str:
            return connection_state(integration=integration)

    @extend_schema(responses=OutputSerializer)
    def get(self, request: Request) -> Response:
        integration = integration_for(organization=current_organization(request))
        return Response(self.OutputSerializer(integration).data)


class AccountListApi(generics.ListAPIView):
    """The synced chart of accounts: `?search=` (code, English or Arabic name), `?active=`."""

    permission_classes = [IntegrationsPermission]

    class OutputSerializer(serializers.ModelSerializer):
        class Meta:
            model = Account
            fields = [
                "id",
                "qoyod_id",
                "code",
                "name_en",
                "name_ar",
                "type",
                "group_type",
                "parent",
                "receive_payments",
                "active",
            ]

    serializer_class = OutputSerializer

    @extend_schema(
        parameters=[
            OpenApiParameter("search", str, description="code prefix, English or Arabic name"),
            OpenApiParameter("active", bool),
        ]
    )
    def get(self, request: Request, *args: object, **kwargs: object) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self) -> QuerySet[Account]:
        active_param = self.request.query_params.get("active")
        active = None if active_param in (None, "") else active_param.lower() in ("1", "true")
        return account_list(
            organization=current_organization(self.request),
            search=self.request.query_params.get("search", ""),
            active=active,
        )


class JobDetailApi(APIView):
    """Progress of a background job of the user's organization (finance roles only)."""

    permission_classes = [IntegrationsPermission]

    class OutputSerializer(serializers.ModelSerializer):
        class Meta:
            model = Job
            fields = [
                "id",
                "kind",
                "status",
                "done",
                "total",
                "error",
                "created_at",
                "started_at",
                "finished_at",
            ]

    @extend_schema(responses=OutputSerializer)
    def get(self, request: Request, job_id: int) -> Response:
        job = job_get(organization=current_organization(request), job_id=job_id)
        return Response(self.OutputSerializer(job).data)
