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
)
from integrations.connect.base import ConnectFlow
from integrations.connect.oauth import OAuthFlow
from integrations.serializers import AccountOutputSerializer


def _nested(base: type, view_name: str, inner: str) -> Any:
    """A subclass of serializer `base` nested in view `view_name` (for the schema's names)."""
    return type(inner, (base,), {"__module__": __name__, "__qualname__": f"{view_name}.{inner}"})


def _view(base: type[APIView], view_name: str, attrs: dict[str, Any]) -> type[APIView]:
    return type(view_name, (base,), {"__module__": __name__, "__qualname__": view_name, **attrs})


def provider_views(flow: ConnectFlow) -> dict[str, type[APIView]]:
    """The provider's endpoints: connection (GET/PATCH/DELETE), consent, connect, sync and
    accounts, each a subclass of the base view with the provider's own serializers."""
    prefix = "".join(part.capitalize() for part in flow.key.split("_"))
    views: dict[str, type[APIView]] = {}

    name = f"{prefix}ConnectionApi"
    configure_base: type[serializers.Serializer] = (
        ConnectionApi.JournalConfigureSerializer
        if flow.provider.keeps_journals
        else ConnectionApi.ConfigureSerializer
    )
    if isinstance(flow, OAuthFlow):
        configure_base = type(
            "ConfigureSerializer",
            (configure_base,),
            {
                flow.company_field: serializers.CharField(
                    required=False,
                    max_length=64,
                    help_text="The provider's id of the company the books are kept in (one of "
                    "`companies`).",
                )
            },
        )
    configure_input = _nested(configure_base, name, "ConfigureSerializer")

    def get_connection(self: ConnectionApi, request: Request) -> Response:
        return ConnectionApi.get(self, request)

    def patch_connection(self: ConnectionApi, request: Request) -> Response:
        return ConnectionApi.patch(self, request)

    def delete_connection(self: ConnectionApi, request: Request) -> Response:
        return ConnectionApi.delete(self, request)

    views["connection"] = _view(
        ConnectionApi,
        name,
        {
            "flow": flow,
            "ConfigureSerializer": configure_input,
            "get": extend_schema(responses=ConnectionOutputSerializer)(get_connection),
            "patch": extend_schema(request=configure_input, responses=ConnectionOutputSerializer)(
                patch_connection
            ),
            "delete": extend_schema(responses={204: None})(delete_connection),
        },
    )

    name = f"{prefix}ConsentApi"
    consent_input = _nested(ConsentApi.InputSerializer, name, "InputSerializer")

    def post_consent(self: ConsentApi, request: Request) -> Response:
        return ConsentApi.post(self, request)

    views["consent"] = _view(
        ConsentApi,
        name,
        {
            "flow": flow,
            "InputSerializer": consent_input,
            "post": extend_schema(request=consent_input, responses=ConnectionOutputSerializer)(
                post_consent
            ),
        },
    )

    name = f"{prefix}ConnectApi"
    if isinstance(flow, OAuthFlow):
        authorize_input = _nested(AuthorizeApi.InputSerializer, name, "InputSerializer")
        authorize_output = _nested(AuthorizeApi.OutputSerializer, name, "OutputSerializer")

        def post_authorize(self: AuthorizeApi, request: Request) -> Response:
            return AuthorizeApi.post(self, request)

        views["connect"] = _view(
            AuthorizeApi,
            name,
            {
                "flow": flow,
                "__doc__": AuthorizeApi.__doc__,
                "InputSerializer": authorize_input,
                "post": extend_schema(request=authorize_input, responses=authorize_output)(
                    post_authorize
                ),
            },
        )
    connect_input = _nested(flow.input_serializer, name, "InputSerializer")
    connect_output = _nested(ConnectApi.OutputSerializer, name, "OutputSerializer")

    def post_connect(self: ConnectApi, request: Request) -> Response:
        return ConnectApi.post(self, request)

    views.setdefault(
        "connect",
        _view(
            ConnectApi,
            name,
            {
                "flow": flow,
                "__doc__": ConnectApi.__doc__,
                "InputSerializer": connect_input,
                "post": extend_schema(request=connect_input, responses=connect_output)(
                    post_connect
                ),
            },
        ),
    )

    name = f"{prefix}SyncApi"
    sync_input = _nested(SyncApi.InputSerializer, name, "InputSerializer")

    def post_sync(self: SyncApi, request: Request) -> Response:
        return SyncApi.post(self, request)

    views["sync"] = _view(
        SyncApi,
        name,
        {
            "flow": flow,
            "InputSerializer": sync_input,
            "post": extend_schema(request=sync_input, responses={202: JobOutputSerializer})(
                post_sync
            ),
        },
    )

    name = f"{prefix}AccountListApi"
    account_output = _nested(
        flow.account_serializer or AccountOutputSerializer, name, "OutputSerializer"
    )

    def get_accounts(
        self: AccountListApi, request: Request, *args: object, **kwargs: object
    ) -> Response:
        return AccountListApi.get(self, request, *args, **kwargs)

    views["accounts"] = _view(
        AccountListApi,
        name,
        {
            "flow": flow,
            "__doc__": f"{flow.name}'s synced chart of accounts: `?search=` (code, English or "
            "Arabic name), `?active=`.",
            "serializer_class": account_output,
            "get": extend_schema(
                parameters=[
                    OpenApiParameter(
                        "search", str, description="code prefix, English or Arabic name"
                    ),
                    OpenApiParameter("active", bool),
                ]
            )(get_accounts),
        },
    )
    return views
