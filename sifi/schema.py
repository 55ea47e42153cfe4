"""How the OpenAPI schema names things, so that every component is unique.

Our APIs keep their small serializers inside the view (`BulkAssignApi.OutputSerializer`,
HackSoft style). drf-spectacular names a component after the class alone, so every nested
`OutputSerializer` became one component `Output` and the schema described `/me/`,
`/integrations/` and `/accounts/` with the bulk-assign answer. Here a nested serializer is
named after its view: `BulkAssignOutput`, `<Provider>ConnectInputRequest`.
"""

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.plumbing import build_bearer_security_scheme_object


class AutoSchema(SpectacularAutoSchema):
    def get_serializer_name(self, serializer: Any, direction: Any) -> str:
        outer, _, inner = type(serializer).__qualname__.rpartition(".")
        if outer:
            return outer.rpartition(".")[2].removesuffix("Api") + inner
        return super().get_serializer_name(serializer, direction)


class ServiceTokenScheme(OpenApiAuthenticationExtension):
    """SiFi's card platform: `Authorization: Token svc_...` (a service token, not a person's)."""

    target_class = "sifi.authentication.ServiceTokenAuthentication"
    name = "serviceTokenAuth"

    def get_security_definition(self, auto_schema: Any) -> Any:
        return build_bearer_security_scheme_object(
            header_name="Authorization", token_prefix="Token"
        )
