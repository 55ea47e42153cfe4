"""API throttles: one budget per person, one per service token, one per address when anonymous.

Rates come from REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] (`API_RATE_*` environment variables)
and are read on every request, so a changed setting applies at once. Counters live in the
"throttles" cache (Redis), shared by every web process. A refused request is a 429 with
`Retry-After` and a sentence saying when to try again (sifi.exceptions).
"""

from typing import Any, cast

from django.core.cache import caches
from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle


class _Throttle(SimpleRateThrottle):
    def __init__(self) -> None:
        self.cache = caches["throttles"]
        super().__init__()

    def get_rate(self) -> str | None:
        rates = cast(dict[str, str | None], api_settings.DEFAULT_THROTTLE_RATES)
        return rates.get(self.scope or "")


class UserThrottle(_Throttle):
    """A person, whether through a user token or the browser session."""

    scope = "user"

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        user = request.user
        if not user.is_authenticated or getattr(user, "is_service", False):
            return None
        return self.cache_format % {"scope": self.scope, "ident": user.pk}


class ServiceTokenThrottle(_Throttle):
    """SiFi's card platform: each service token has its own budget."""

    scope = "service"

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        if not getattr(request.user, "is_service", False):
            return None
        principal = cast(Any, request.user)  # a sifi.authentication.ServicePrincipal
        return self.cache_format % {"scope": self.scope, "ident": principal.token.pk}


class AnonymousThrottle(_Throttle):
    """Requests without credentials (the token endpoint, mistakes), per client address."""

    scope = "anonymous"

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        if request.user.is_authenticated:
            return None
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
