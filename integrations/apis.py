"""Integrations API (SPEC §8): `/integrations/<provider>/…` with the same shapes for every
registered accounting system. Thin views: parse, call a selector or service, serialize.

Each endpoint is a base view here; `provider_apis.provider_views(flow)` makes one subclass per
provider with its own nested serializers, so that the schema names each once
(`<Provider>ConnectInput`), and `integrations.urls` routes them from the registry.
"""

from typing import ClassVar

from django.db.models import QuerySet
from drf_spectacular.utils import (
    extend_schema,
    extend_schema_field,
    inline_serializer,
)
from rest_framework import generics, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounting.models import EXTERNAL_ID_LENGTH, Account
from accounting.providers import provider_for
from accounting.selectors import account_list
from integrations.connect.base import ConnectFlow, ConnectionOption, flow_for
from integrations.connect.oauth import OAuthFlow
from integrations.jobs import start_config_sync
from integrations.models import Integration, Job, TaxRate
from integrations.selectors import (
    connection_state,
    integration_for,
    job_get,
    provider_list,
    tax_rate_list,
)
from integrations.services import (
    MANDATORY_ATTRIBUTES,
    choose_company,
    configure,
    connect,
    disconnect,
    record_consent,
    start_authorization,
)
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
CompanyOutputSerializer = inline_serializer(
    "CompanyOutput",
    {
        "id": serializers.CharField(),
        "name": serializers.CharField(),
        "currency": serializers.CharField(),
    },
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


class OptionValueField(serializers.Field):
    """A provider option's value in a connection's answer: what was set, else its default."""

    def __init__(self, option: ConnectionOption) -> None:
        self.option = option
        super().__init__(source="*", read_only=True, help_text=str(option.help))

    def to_representation(self, integration: Integration) -> object:
        value = (integration.options or {}).get(self.option.name, self.option.default)
        return None if value is None else self.option.field().to_representation(value)


def option_value_field(option: ConnectionOption) -> OptionValueField:
    """The field, described to the schema as the option's own type."""
    described = extend_schema_field(option.field(read_only=True))(
        type(f"{option.name.title().replace('_', '')}Value", (OptionValueField,), {})
    )
    field: OptionValueField = described(option)
    return field


def has_own_company_list(flow: ConnectFlow) -> bool:
    """Whether the provider's sign-in names its companies in words of its own (such as
    "organizations"), which the API then lists beside `companies`."""
    return isinstance(flow, OAuthFlow) and flow.companies_field != "companies"


def _company_row_field(name: str, stored: str) -> serializers.CharField:
    if name == stored:
        return serializers.CharField(default="")
    return serializers.CharField(source=stored, default="")


_COMPANY_ROWS: dict[type[OAuthFlow], type[serializers.Serializer]] = {}


def _company_row_serializer(flow_class: type[OAuthFlow]) -> type[serializers.Serializer]:
    """One row class per flow (the schema names it once: `<Provider>CompanyOutput`)."""
    if flow_class not in _COMPANY_ROWS:
        prefix = "".join(part.capitalize() for part in flow_class.key.split("_"))
        keys = flow_class.company_keys
        _COMPANY_ROWS[flow_class] = type(
            f"{prefix}CompanyOutputSerializer",
            (serializers.Serializer,),
            {"__module__": __name__, **{n: _company_row_field(n, k) for n, k in keys.items()}},
        )
    return _COMPANY_ROWS[flow_class]


def company_list_field(flow: ConnectFlow) -> serializers.ListField:
    """`companies` as the provider's flow names them (`companies_field`, `company_keys`: an
    "organizations" list of {"organization_id", "name", "currency_code"}, SPEC §8)."""
    assert isinstance(flow, OAuthFlow)
    return serializers.ListField(
        source="companies",
        child=_company_row_serializer(type(flow))(),
        read_only=True,
        help_text="What the sign-in reaches, to choose one from when several "
        f"(PATCH `{flow.company_field}`).",
    )


class ConnectionOutputSerializer(serializers.Serializer):
    """A connection as users see it, whichever the provider: never a secret, at most the key's
    last 4 characters. Where the books are (`instance_url`, `database`, `username`), the
    provider's `company` and the `journal` entries go to are empty where the provider has
    none."""

    provider = serializers.CharField()
    state = serializers.SerializerMethodField()
    attention_reason = serializers.CharField()
    scopes = serializers.SerializerMethodField()
    consented_scopes = serializers.ListField(child=serializers.CharField())
    consented_by = serializers.CharField(
        source="consented_by.username", default=None, allow_null=True
    )
    consented_at = serializers.DateTimeField(allow_null=True)
    api_key_hint = serializers.CharField(source="secret_hint")
    connected_at = serializers.DateTimeField(allow_null=True)
    instance_url = serializers.CharField(source="location.url", default="")
    database = serializers.CharField(source="location.database", default="")
    username = serializers.CharField(source="location.username", default="")
    company = serializers.CharField(source="company_name")
    companies = serializers.ListField(
        child=CompanyOutputSerializer,
        help_text="The companies a sign-in (OAuth) reaches, to choose one from when several.",
    )
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
    output_vat_account = serializers.IntegerField(source="output_vat_account_id", allow_null=True)
    output_vat_account_name = serializers.CharField(
        source="output_vat_account", default=None, allow_null=True
    )
    auto_sync = serializers.BooleanField()
    last_sync_at = serializers.DateTimeField(allow_null=True)
    last_sync_status = serializers.CharField()
    last_sync_message = serializers.CharField()

    # The provider whose connection this is, for the schema (the generated views set it);
    # else it is the instance's.
    flow: ConnectFlow | None = None

    def get_fields(self) -> dict[str, serializers.Field]:
        """The shared fields, then the companies under the provider's own name (an OAuth
        flow's `companies_field`) and the provider's own options (`ConnectFlow.options`)."""
        fields = super().get_fields()
        flow = self._provider_flow()
        if isinstance(flow, OAuthFlow) and has_own_company_list(flow):
            fields[flow.companies_field] = company_list_field(flow)
        for option in flow.options if flow else ():
            fields[option.name] = option_value_field(option)
        return fields

    def _provider_flow(self) -> ConnectFlow | None:
        flow = self.flow
        instance = self.instance
        if (
            flow is None
            and isinstance(instance, Integration)
            and provider_for(instance.provider).connect_flow
        ):
            flow = flow_for(instance.provider)
        return flow

    def get_state(self, integration: Integration) -> str:
        return connection_state(integration=integration)

    @extend_schema_field(serializers.ListField(child=ScopeOutputSerializer))
    def get_scopes(self, integration: Integration) -> list[dict[str, str]]:
        scopes = flow_for(integration.provider).scopes
        return [{"scope": scope, "label": str(label)} for scope, label in scopes.items()]

    @extend_schema_field(AvailableAttributeOutputSerializer(many=True))
    def get_available_attributes(self, integration: Integration) -> list[dict[str, object]]:
        optional = flow_for(integration.provider).optional_attributes
        return [
            *({"attribute": a, "mandatory": True} for a in MANDATORY_ATTRIBUTES),
            *({"attribute": a, "mandatory": False} for a in optional),
        ]


class ConnectionApi(APIView):
    """GET the connection; PATCH its configuration; DELETE disconnects (secrets removed)."""

    permission_classes = [IntegrationsPermission]
    flow: ConnectFlow

    class ConfigureSerializer(serializers.Serializer):
        source_account = serializers.IntegerField(required=False, allow_null=True)
        input_vat_account = serializers.IntegerField(
            required=False,
            allow_null=True,
            help_text="Where VAT goes as a line of its own; null: not VAT-registered (gross).",
        )
        output_vat_account = serializers.IntegerField(
            required=False,
            allow_null=True,
            help_text="Where reverse-charge output VAT goes (a liability); null: none.",
        )
        auto_sync = serializers.BooleanField(required=False)

    class JournalConfigureSerializer(ConfigureSerializer):
        """Books that keep journals also take the journal our entries go to."""

        journal = serializers.CharField(
            required=False,
            allow_null=True,
            max_length=EXTERNAL_ID_LENGTH,
            help_text="The provider's id of the general journal entries go to (one of `journals`).",
        )

    def get(self, request: Request) -> Response:
        integration = integration_for(
            organization=current_organization(request), provider=self.flow.key
        )
        return Response(ConnectionOutputSerializer(integration).data)

    def patch(self, request: Request) -> Response:
        payload = self.ConfigureSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        organization = current_organization(request)
        if isinstance(self.flow, OAuthFlow) and self.flow.company_field in payload.validated_data:
            choose_company(
                actor=request.user,
                organization=organization,
                provider=self.flow.key,
                company_id=payload.validated_data[self.flow.company_field],
            )
        changes = {}
        for field, argument in (
            ("source_account", "source_account_id"),
            ("input_vat_account", "input_vat_account_id"),
            ("output_vat_account", "output_vat_account_id"),
            ("auto_sync", "auto_sync"),
            ("journal", "journal_id"),
        ):
            if field in payload.validated_data:
                changes[argument] = payload.validated_data[field]
        options = {
            option.name: payload.validated_data[option.name]
            for option in self.flow.options
            if option.name in payload.validated_data
        }
        if options:
            changes["options"] = options
        if changes or not payload.validated_data:
            configure(
                actor=request.user, organization=organization, provider=self.flow.key, **changes
            )
        integration = integration_for(organization=organization, provider=self.flow.key)
        return Response(ConnectionOutputSerializer(integration).data)

    def delete(self, request: Request) -> Response:
        disconnect(
            actor=request.user, organization=current_organization(request), provider=self.flow.key
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class ConsentApi(APIView):
    """Accept the listed permissions. Records who, when and which scopes; calls nothing."""

    permission_classes = [IntegrationsPermission]
    flow: ConnectFlow

    class InputSerializer(serializers.Serializer):
        accept = serializers.BooleanField()

    def post(self, request: Request) -> Response:
        payload = self.InputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        integration = record_consent(
            actor=request.user,
            organization=current_organization(request),
            accept=payload.validated_data["accept"],
            provider=self.flow.key,
        )
        return Response(ConnectionOutputSerializer(integration).data)


class ConnectApi(APIView):
    """Check the credentials with real calls to the provider and store them encrypted. 400 on
    the field to fix if the provider refuses them; 502 if it cannot be reached."""

    permission_classes = [IntegrationsPermission]
    flow: ConnectFlow
    InputSerializer: type[serializers.Serializer]

    class OutputSerializer(ConnectionOutputSerializer):
        accounts_found = serializers.IntegerField(allow_null=True)

    def post(self, request: Request) -> Response:
        payload = self.InputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        result = connect(
            actor=request.user,
            organization=current_organization(request),
            provider=self.flow.key,
            values=payload.validated_data,
        )
        body = ConnectionOutputSerializer(result.integration).data
        return Response({**body, "accounts_found": result.accounts_found})


class AuthorizeApi(APIView):
    """Start connecting through the provider's sign-in page (OAuth 2.0): the address to send
    the person to, with a single-use state bound to them (valid 10 minutes). 409 while
    connected, without consent, or while another system is connected."""

    permission_classes = [IntegrationsPermission]
    flow: ConnectFlow

    class InputSerializer(serializers.Serializer):
        pass

    class OutputSerializer(serializers.Serializer):
        authorize_url = serializers.URLField()

    def post(self, request: Request) -> Response:
        payload = self.InputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        url = start_authorization(
            actor=request.user, organization=current_organization(request), provider=self.flow.key
        )
        return Response({"authorize_url": url})


class SyncApi(APIView):
    """Start a configuration sync of the chosen attributes (accounts always). 202 + the job."""

    permission_classes = [IntegrationsPermission]
    flow: ConnectFlow

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
            provider=self.flow.key,
        )
        return Response(JobOutputSerializer(job).data, status=status.HTTP_202_ACCEPTED)


class AccountListApi(generics.ListAPIView):
    """The provider's synced chart of accounts: `?search=` (code, English or Arabic name),
    `?active=`."""

    permission_classes = [IntegrationsPermission]
    flow: ConnectFlow
    queryset = Account.objects.none()  # the model, for the schema; rows come from get_queryset

    class QuerySerializer(serializers.Serializer):
        search = serializers.CharField(required=False, allow_blank=True, max_length=100)
        active = serializers.BooleanField(required=False, allow_null=True, default=None)

    def get_queryset(self) -> QuerySet[Account]:
        params = {k: v for k, v in self.request.query_params.items() if v != ""}
        query = self.QuerySerializer(data=params)
        query.is_valid(raise_exception=True)  # e.g. a NUL character in the search: a 400
        return account_list(
            organization=current_organization(self.request),
            provider=self.flow.key,
            search=query.validated_data.get("search", ""),
            active=query.validated_data["active"],
        )


class TaxRateOutputSerializer(serializers.ModelSerializer):
    id = serializers.CharField(source="external_id", read_only=True, help_text="The provider's id.")
    rate = serializers.DecimalField(
        max_digits=7, decimal_places=2, read_only=True, help_text="A percentage (15.00)."
    )

    class Meta:
        model = TaxRate
        fields: ClassVar = ["id", "name", "rate"]


class TaxRateListApi(APIView):
    """The provider's tax rates, as synced with the chart (active ones), for books that take
    VAT as a tax rate: the configuration's input VAT tax rate is one of these ids."""

    permission_classes = [IntegrationsPermission]
    flow: ConnectFlow

    @extend_schema(responses=TaxRateOutputSerializer(many=True))
    def get(self, request: Request) -> Response:
        rows = tax_rate_list(organization=current_organization(request), provider=self.flow.key)
        return Response(TaxRateOutputSerializer(rows, many=True).data)


class JobDetailApi(APIView):
    """Progress of a background job of the user's organization (finance roles only)."""

    permission_classes = [IntegrationsPermission]

    @extend_schema(responses=JobOutputSerializer)
    def get(self, request: Request, job_id: int) -> Response:
        job = job_get(organization=current_organization(request), job_id=job_id)
        return Response(JobOutputSerializer(job).data)
