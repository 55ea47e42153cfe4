"""One subclass of each integrations endpoint per registered provider (`provider_views`), with
the provider's own nested serializers: drf-spectacular names a component after its view, so
each provider's shapes appear once in the schema (`PaperBooksConnectInput` for a `paper_books`
key's connect input). `integrations.urls` routes them."""

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from integrations.apis import (
    AccountListApi,
    AuthorizeApi,
    ConnectApi,
    ConnectionApi,
    ConnectionOutputSerializer,
    ConsentApi,
    JobOutputSerializer,
    SyncApi,
    TaxRateListApi,
    TaxRateOutputSerializer,
    has_own_company_list,
)
from integrations.connect.base import ConnectFlow
from integrations.connect.oauth import OAuthFlow
from integrations.serializers import AccountOutputSerializer


def _nested(base: type, view_name: str, inner: str) -> Any:
    """A subclass of serializer `base` nested in view `view_name` (for the schema's names)."""
    return type(inner, (base,), {"__module__": __name__, "__qualname__": f"{view_name}.{inner}"})


def _delegate(base: type[APIView], method: str, schema: dict[str, Any]) -> Any:
    """`base`'s handler for `method`, described to the schema as `schema` says."""

    def handler(self: APIView, request: Request, *args: object, **kwargs: object) -> Response:
        response: Response = getattr(base, method)(self, request, *args, **kwargs)
        return response

    handler.__name__ = method
    return extend_schema(**schema)(handler)


def _endpoint(
    base: type[APIView],
    view_name: str,
    flow: ConnectFlow,
    methods: dict[str, dict[str, Any]],
    **attrs: Any,
) -> type[APIView]:
    """A subclass of `base` for `flow`'s provider, named `view_name`, its `methods` (name →
    schema) delegating to the base view's."""
    handlers = {method: _delegate(base, method, schema) for method, schema in methods.items()}
    return type(
        view_name,
        (base,),
        {
            "__module__": __name__,
            "__qualname__": view_name,
            "__doc__": base.__doc__,
            "flow": flow,
            **attrs,
            **handlers,
        },
    )


def _configure_input(flow: ConnectFlow, view_name: str) -> Any:
    """PATCH's input: the accounts and Auto Sync, the journal for books that keep journals,
    the company for a sign-in that reaches several, the provider's options."""
    base: type[serializers.Serializer] = (
        ConnectionApi.JournalConfigureSerializer
        if flow.provider.keeps_journals
        else ConnectionApi.ConfigureSerializer
    )
    if isinstance(flow, OAuthFlow):
        company = serializers.CharField(
            required=False,
            max_length=64,
            help_text="The provider's id of the company the books are kept in (one of "
            "`companies`).",
        )
        base = type("ConfigureSerializer", (base,), {flow.company_field: company})
    if flow.options:
        options = {option.name: option.field(required=False) for option in flow.options}
        base = type("ConfigureSerializer", (base,), options)
    return _nested(base, view_name, "ConfigureSerializer")


def provider_views(flow: ConnectFlow) -> dict[str, type[APIView]]:
    """The provider's endpoints: connection (GET/PATCH/DELETE), consent, connect (or, for a
    sign-in, the authorize URL), sync and accounts, each a subclass of the base view with the
    provider's own serializers."""
    prefix = "".join(part.capitalize() for part in flow.key.split("_"))
    connection: type[ConnectionOutputSerializer] = ConnectionOutputSerializer
    if flow.options or has_own_company_list(flow):  # its own answer shape in the schema
        connection = type(
            f"{prefix}ConnectionOutputSerializer",
            (ConnectionOutputSerializer,),
            {"__module__": __name__, "flow": flow},
        )

    name = f"{prefix}ConnectionApi"
    configure = _configure_input(flow, name)
    connection_api = _endpoint(
        ConnectionApi,
        name,
        flow,
        {
            "get": {"responses": connection},
            "patch": {"request": configure, "responses": connection},
            "delete": {"responses": {204: None}},
        },
        ConfigureSerializer=configure,
    )

    name = f"{prefix}ConsentApi"
    consent = _nested(ConsentApi.InputSerializer, name, "InputSerializer")
    consent_api = _endpoint(
        ConsentApi,
        name,
        flow,
        {"post": {"request": consent, "responses": connection}},
        InputSerializer=consent,
    )

    name = f"{prefix}ConnectApi"
    base = AuthorizeApi if isinstance(flow, OAuthFlow) else ConnectApi
    answers = AuthorizeApi.OutputSerializer if base is AuthorizeApi else ConnectApi.OutputSerializer
    given = AuthorizeApi.InputSerializer if base is AuthorizeApi else flow.input_serializer
    connect_input = _nested(given, name, "InputSerializer")
    connect_api = _endpoint(
        base,
        name,
        flow,
        {
            "post": {
                "request": connect_input,
                "responses": _nested(answers, name, "OutputSerializer"),
            }
        },
        InputSerializer=connect_input,
    )

    name = f"{prefix}SyncApi"
    sync = _nested(SyncApi.InputSerializer, name, "InputSerializer")
    sync_api = _endpoint(
        SyncApi,
        name,
        flow,
        {"post": {"request": sync, "responses": {202: JobOutputSerializer}}},
        InputSerializer=sync,
    )

    name = f"{prefix}AccountListApi"
    rows = flow.account_serializer or AccountOutputSerializer
    search = OpenApiParameter("search", str, description="code prefix, English or Arabic name")
    accounts_api = _endpoint(
        AccountListApi,
        name,
        flow,
        {"get": {"parameters": [search, OpenApiParameter("active", bool)]}},
        serializer_class=_nested(rows, name, "OutputSerializer"),
        __doc__=f"{flow.name}'s synced chart of accounts: `?search=` (code, English or Arabic "
        "name), `?active=`.",
    )
    views = {
        "connection": connection_api,
        "consent": consent_api,
        "connect": connect_api,
        "sync": sync_api,
        "accounts": accounts_api,
    }
    if flow.provider.input_vat_option:  # books that take VAT as a tax rate list theirs
        name = f"{prefix}TaxRateListApi"
        views["tax_rates"] = _endpoint(
            TaxRateListApi,
            name,
            flow,
            {"get": {"responses": TaxRateOutputSerializer(many=True)}},
        )
    return views
