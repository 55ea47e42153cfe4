"""Integrations API (SPEC §8): `/integrations/qoyod/…` and `/integrations/odoo/…` with the same
shapes. Thin views: parse, call a selector or service, serialize."""

from django.db.models import QuerySet
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
    inline_serializer,
)
from rest_framework import generics, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounting.models import EXTERNAL_ID_LENGTH, Account
from accounting.selectors import account_list
from integrations.jobs import start_config_sync
from integrations.models import (
    MANDATORY_ATTRIBUTES,
    OPTIONAL_ATTRIBUTES_BY_PROVIDER,
    SCOPES,
    Integration,
    Job,
    Provider,
)
from integrations.odoo_connection import connect_odoo
from integrations.selectors import connection_state, integration_for, job_get, provider_list
from integrations.services import (
    configure,
    connect_qoyod,
    disconnect,
    record_consent,
)
from integrations.validators import validate_api_key_characters
from sifi.permissions import IntegrationsPermission
from sifi.tenancy import current_organization


class JobOutputSerializer(serializers.ModelSerializer):
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


class IntegrationListApi(APIView):
    permission_classes = [IntegrationsPermission]

    class OutputSerializer(serializers.Serializer):
        provider = serializers.CharField()
        name = serializers.CharField()
        description = serializers.CharField()
        state = serializers.CharField()
        blocked_by = serializers.CharField(
            help_text="The accounting system connected now, to disconnect before this one "
            "can be connected (one system per organization); empty if none."
        )

    @extend_schema(responses=OutputSerializer(many=True))
    def get(self, request: Request) -> Response:
        rows = provider_list(organization=current_organization(request))
        return Response(self.OutputSerializer(rows, many=True).data)


ScopeOutputSerializer = inline_serializer(
    "ScopeOutput", {"scope": serializers.CharField(), "label": serializers.CharField()}
)
JournalOutputSerializer = inline_serializer(
    "JournalOutput",
    {
        "id": serializers.CharField(help_text="The provider's own id of the journal."),
        "code": serializers.CharField(),
        "name": serializers.CharField(),
    },
)


class AvailableAttributeOutputSerializer(serializers.Serializer):
    attribute = serializers.CharField()
    mandatory = serializers.BooleanField()


class ConnectionOutputSerializer(serializers.Serializer):
    """A connection as users see it (Qoyod's and Odoo's alike): never the key, at most its
    last 4 characters. Where the books are (`instance_url`, `database`, `username`, `company`)
    and the `journal` entries go to are Odoo's; empty for Qoyod."""

    provider = serializers.CharField()
    state = serializers.SerializerMethodField()
    attention_reason = serializers.CharField()
    scopes = serializers.SerializerMethodField()
    consented_scopes = serializers.ListField(child=serializers.CharField())
    consented_by = serializers.CharField(
        source="consented_by.username", default=None, allow_null=True
    )
    consented_at = serializers.DateTimeField(allow_null=True)
    api_key_hint = serializers.CharField()
    connected_at = serializers.DateTimeField(allow_null=True)
    instance_url = serializers.CharField()
    database = serializers.CharField()
    username = serializers.CharField(source="login")
    company = serializers.CharField(source="company_name")
    server_version = serializers.CharField()
    journal = serializers.CharField(source="journal_external_id", allow_null=True)
    journal_name = serializers.CharField(source="journal_label")
    journals = serializers.ListField(child=JournalOutputSerializer)
    attributes = serializers.ListField(child=serializers.CharField())
    available_attributes = serializers.SerializerMethodField()
    source_account = serializers.IntegerField(source="source_account_id", allow_null=True)
    source_account_name = serializers.CharField(
        source="source_account", default=None, allow_null=True
    )
    input_vat_account = serializers.IntegerField(source="input_vat_account_id", allow_null=True)
    input_vat_account_name = serializers.CharField(
        source="input_vat_account", default=None, allow_null=True
    )
    auto_sync = serializers.BooleanField()
    last_sync_at = serializers.DateTimeField(allow_null=True)
    last_sync_status = serializers.CharField()
    last_sync_message = serializers.CharField()

    def get_state(self, integration: Integration) -> str:
        return connection_state(integration=integration)

    @extend_schema_field(serializers.ListField(child=ScopeOutputSerializer))
    def get_scopes(self, integration: Integration) -> list[dict[str, str]]:
        scopes = SCOPES[integration.provider]
        return [{"scope": scope, "label": str(label)} for scope, label in scopes.items()]

    @extend_schema_field(AvailableAttributeOutputSerializer(many=True))
    def get_available_attributes(self, integration: Integration) -> list[dict[str, object]]:
        optional = OPTIONAL_ATTRIBUTES_BY_PROVIDER.get(integration.provider, ())
        return [
            *({"attribute": a, "mandatory": True} for a in MANDATORY_ATTRIBUTES),
            *({"attribute": a, "mandatory": False} for a in optional),
        ]


# Each endpoint exists once per provider (`/integrations/qoyod/…`, `/integrations/odoo/…`):
# a base view holds the behaviour; each provider's subclass names the provider and its own
# nested serializers (so the schema names each once: QoyodConsentInput, OdooConsentInput).


class ConnectionApi(APIView):
    """GET the connection; PATCH its configuration; DELETE disconnects (key removed)."""

    permission_classes = [IntegrationsPermission]
    provider: str

    class ConfigureSerializer(serializers.Serializer):
        source_account = serializers.IntegerField(required=False, allow_null=True)
        input_vat_account = serializers.IntegerField(
            required=False,
            allow_null=True,
            help_text="Where VAT goes as a line of its own; null: not VAT-registered (gross).",
        )
        auto_sync = serializers.BooleanField(required=False)

    def get(self, request: Request) -> Response:
        integration = integration_for(
            organization=current_organization(request), provider=self.provider
        )
        return Response(ConnectionOutputSerializer(integration).data)

    def patch(self, request: Request) -> Response:
        payload = self.ConfigureSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        changes = {}
        for field, argument in (
            ("source_account", "source_account_id"),
            ("input_vat_account", "input_vat_account_id"),
            ("auto_sync", "auto_sync"),
            ("journal", "journal_id"),
        ):
            if field in payload.validated_data:
                changes[argument] = payload.validated_data[field]
        integration = configure(
            actor=request.user,
            organization=current_organization(request),
            provider=self.provider,
            **changes,
        )
        return Response(ConnectionOutputSerializer(integration).data)

    def delete(self, request: Request) -> Response:
        disconnect(
            actor=request.user, organization=current_organization(request), provider=self.provider
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class QoyodConnectionApi(ConnectionApi):
    provider = Provider.QOYOD

    class ConfigureSerializer(ConnectionApi.ConfigureSerializer):
        pass

    @extend_schema(responses=ConnectionOutputSerializer)
    def get(self, request: Request) -> Response:
        return super().get(request)

    @extend_schema(request=ConfigureSerializer, responses=ConnectionOutputSerializer)
    def patch(self, request: Request) -> Response:
        return super().patch(request)

    @extend_schema(responses={204: None})
    def delete(self, request: Request) -> Response:
        return super().delete(request)


class OdooConnectionApi(ConnectionApi):
    provider = Provider.ODOO

    class ConfigureSerializer(ConnectionApi.ConfigureSerializer):
        journal = serializers.CharField(
            required=False,
            allow_null=True,
            max_length=EXTERNAL_ID_LENGTH,
            help_text="Odoo's id of the general journal entries go to (one of `journals`).",
        )

    @extend_schema(responses=ConnectionOutputSerializer)
    def get(self, request: Request) -> Response:
        return super().get(request)

    @extend_schema(request=ConfigureSerializer, responses=ConnectionOutputSerializer)
    def patch(self, request: Request) -> Response:
        return super().patch(request)

    @extend_schema(responses={204: None})
    def delete(self, request: Request) -> Response:
        return super().delete(request)


class ConsentApi(APIView):
    """Accept the listed permissions. Records who, when and which scopes; calls nothing."""

    permission_classes = [IntegrationsPermission]
    provider: str

    class InputSerializer(serializers.Serializer):
        accept = serializers.BooleanField()

    def post(self, request: Request) -> Response:
        payload = self.InputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        integration = record_consent(
            actor=request.user,
            organization=current_organization(request),
            accept=payload.validated_data["accept"],
            provider=self.provider,
        )
        return Response(ConnectionOutputSerializer(integration).data)


class QoyodConsentApi(ConsentApi):
    provider = Provider.QOYOD

    class InputSerializer(ConsentApi.InputSerializer):
        pass

    @extend_schema(request=InputSerializer, responses=ConnectionOutputSerializer)
    def post(self, request: Request) -> Response:
        return super().post(request)


class OdooConsentApi(ConsentApi):
    provider = Provider.ODOO

    class InputSerializer(ConsentApi.InputSerializer):
        pass

    @extend_schema(request=InputSerializer, responses=ConnectionOutputSerializer)
    def post(self, request: Request) -> Response:
        return super().post(request)


class QoyodConnectApi(APIView):
    """Validate the API key with Qoyod and store it encrypted. 400 if Qoyod rejects it."""

    permission_classes = [IntegrationsPermission]

    class InputSerializer(serializers.Serializer):
        api_key = serializers.CharField(
            max_length=500, trim_whitespace=True, validators=[validate_api_key_characters]
        )

    class OutputSerializer(ConnectionOutputSerializer):
        accounts_found = serializers.IntegerField()

    @extend_schema(request=InputSerializer, responses=OutputSerializer)
    def post(self, request: Request) -> Response:
        payload = self.InputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        result = connect_qoyod(
            actor=request.user,
            organization=current_organization(request),
            api_key=payload.validated_data["api_key"],
        )
        body = ConnectionOutputSerializer(result.integration).data
        return Response({**body, "accounts_found": result.accounts_found})


class OdooConnectApi(APIView):
    """Check the Odoo instance, login and API key with real calls, then store the key
    encrypted. 400 on the field to fix if Odoo refuses; 502 if Odoo cannot be reached."""

    permission_classes = [IntegrationsPermission]

    class InputSerializer(serializers.Serializer):
        url = serializers.CharField(
            max_length=300, help_text="The address you open Odoo at, e.g. https://acme.odoo.com"
        )
        database = serializers.CharField(max_length=200)
        username = serializers.CharField(max_length=200, help_text="The Odoo user's login.")
        api_key = serializers.CharField(
            max_length=500, trim_whitespace=True, validators=[validate_api_key_characters]
        )

    class OutputSerializer(ConnectionOutputSerializer):
        accounts_found = serializers.IntegerField()

    @extend_schema(request=InputSerializer, responses=OutputSerializer)
    def post(self, request: Request) -> Response:
        payload = self.InputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        result = connect_odoo(
            actor=request.user,
            organization=current_organization(request),
            **payload.validated_data,
        )
        body = ConnectionOutputSerializer(result.integration).data
        return Response({**body, "accounts_found": result.accounts_found})


class SyncApi(APIView):
    """Start a configuration sync of the chosen attributes (accounts always). 202 + the job."""

    permission_classes = [IntegrationsPermission]
    provider: str

    class InputSerializer(serializers.Serializer):
        attributes = serializers.ListField(
            child=serializers.CharField(), required=False, max_length=20
        )

    def post(self, request: Request) -> Response:
        payload = self.InputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        job = start_config_sync(
            actor=request.user,
            organization=current_organization(request),
            attributes=payload.validated_data.get("attributes"),
            provider=self.provider,
        )
        return Response(JobOutputSerializer(job).data, status=status.HTTP_202_ACCEPTED)


class QoyodSyncApi(SyncApi):
    provider = Provider.QOYOD

    class InputSerializer(SyncApi.InputSerializer):
        pass

    @extend_schema(request=InputSerializer, responses={202: JobOutputSerializer})
    def post(self, request: Request) -> Response:
        return super().post(request)


class OdooSyncApi(SyncApi):
    provider = Provider.ODOO

    class InputSerializer(SyncApi.InputSerializer):
        pass

    @extend_schema(request=InputSerializer, responses={202: JobOutputSerializer})
    def post(self, request: Request) -> Response:
        return super().post(request)


class AccountListApi(generics.ListAPIView):
    """Qoyod's synced chart of accounts: `?search=` (code, English or Arabic name), `?active=`."""

    permission_classes = [IntegrationsPermission]
    provider = Provider.QOYOD

    class QuerySerializer(serializers.Serializer):
        search = serializers.CharField(required=False, allow_blank=True, max_length=100)
        active = serializers.BooleanField(required=False, allow_null=True, default=None)

    class OutputSerializer(serializers.ModelSerializer):
        # The provider's own id (a string, `external_id`); Qoyod's accounts keep their
        # historical name for it too, a number as it always was (Qoyod's ids are integers).
        qoyod_id = serializers.IntegerField(source="external_id", read_only=True)

        class Meta:
            model = Account
            fields = [
                "id",
                "external_id",
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

    serializer_class: type[serializers.BaseSerializer] = OutputSerializer
    queryset = Account.objects.none()  # the model, for the schema; rows come from get_queryset

    @extend_schema(
        parameters=[
            OpenApiParameter("search", str, description="code prefix, English or Arabic name"),
            OpenApiParameter("active", bool),
        ]
    )
    def get(self, request: Request, *args: object, **kwargs: object) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self) -> QuerySet[Account]:
        params = {k: v for k, v in self.request.query_params.items() if v != ""}
        query = self.QuerySerializer(data=params)
        query.is_valid(raise_exception=True)  # e.g. a NUL character in the search: a 400
        return account_list(
            organization=current_organization(self.request),
            provider=self.provider,
            search=query.validated_data.get("search", ""),
            active=query.validated_data["active"],
        )


class OdooAccountListApi(AccountListApi):
    """Odoo's synced chart of accounts: accounts and, with ids "group-<id>", the account groups
    above them (headings). `?search=`, `?active=`."""

    provider = Provider.ODOO

    class OutputSerializer(serializers.ModelSerializer):
        class Meta:
            model = Account
            fields = [
                "id",
                "external_id",
                "code",
                "name_en",
                "name_ar",
                "type",
                "group_type",
                "parent",
                "receive_payments",
                "active",
                "is_heading",
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


class JobDetailApi(APIView):
    """Progress of a background job of the user's organization (finance roles only)."""

    permission_classes = [IntegrationsPermission]

    @extend_schema(responses=JobOutputSerializer)
    def get(self, request: Request, job_id: int) -> Response:
        job = job_get(organization=current_organization(request), job_id=job_id)
        return Response(JobOutputSerializer(job).data)
