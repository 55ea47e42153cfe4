"""Service-token authentication for SiFi's card platform (ingestion).

Service tokens are sent like user tokens (`Authorization: Token svc_...`) and are told apart
by their prefix. They authenticate a `ServicePrincipal`, never a person: role-checked views
refuse them, and only views with `IsServiceToken` accept them.
"""

from dataclasses import dataclass
from typing import Any

from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication, get_authorization_header
from rest_framework.request import Request

from sifi.models import Organization, ServiceToken, hash_token


@dataclass(frozen=True)
class ServicePrincipal:
    organization: Organization
    token: ServiceToken
    is_authenticated: bool = True
    is_service: bool = True
    is_staff: bool = False
    is_active: bool = True

    @property
    def organization_id(self) -> int:
        return self.organization.pk

    @property
    def pk(self) -> None:
        return None

    id = pk

    def __str__(self) -> str:
        return f"service:{self.token.name}"


class ServiceTokenAuthentication(TokenAuthentication):
    keyword = "Token"

    def authenticate(self, request: Request) -> tuple[Any, Any] | None:
        auth = get_authorization_header(request).split()
        if len(auth) != 2 or auth[0].lower() != self.keyword.lower().encode():
            return None
        raw = auth[1].decode(errors="replace")
        if not raw.startswith(ServiceToken.PREFIX):
            return None  # a user token: TokenAuthentication handles it
        token = (
            ServiceToken.objects.select_related("organization")
            .filter(token_hash=hash_token(raw), revoked_at__isnull=True)
            .first()
        )
        if token is None:
            raise exceptions.AuthenticationFailed("Invalid or revoked service token.")
        return ServicePrincipal(organization=token.organization, token=token), token
