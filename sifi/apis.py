"""Core API: token for scripts, and who am I."""

from typing import Any

from django.conf import settings
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from sifi.permissions import IsOrganizationMember
from sifi.throttling import AnonymousThrottle
from sifi.views import lockout_message


class TokenApi(ObtainAuthToken):
    """`POST {username, password}` → `{"token": ...}` for `Authorization: Token <token>`.

    Wrong passwords count towards the same lockout as the login page (django-axes): once a
    username is locked out from this address, the answer is a 429 saying so, whatever the
    password."""

    throttle_classes = [AnonymousThrottle]  # DRF's ObtainAuthToken has none

    @extend_schema(
        auth=[],  # the one operation anyone may call
        request=inline_serializer(
            "Token",
            {"username": serializers.CharField(), "password": serializers.CharField()},
        ),
        responses=inline_serializer("TokenResponse", {"token": serializers.CharField()}),
    )
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        try:
            return super().post(request, *args, **kwargs)
        except serializers.ValidationError:
            # django-axes flags the request it was given (this DRF request) when it refused.
            if getattr(request, "axes_locked_out", False):
                return Response(
                    {"detail": lockout_message(), "code": "login_locked_out"},
                    status=status.HTTP_429_TOO_MANY_REQUESTS,
                    headers={"Retry-After": str(int(settings.AXES_COOLOFF_TIME.total_seconds()))},
                )
            raise


class MeApi(APIView):
    permission_classes = [IsOrganizationMember]

    class OutputSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        username = serializers.CharField()
        name = serializers.CharField(source="display_name")
        role = serializers.CharField()
        organization = serializers.CharField(source="organization.name")

    @extend_schema(responses=OutputSerializer)
    def get(self, request: Request) -> Response:
        return Response(self.OutputSerializer(request.user).data)
