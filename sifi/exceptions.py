"""Domain errors services raise, and the API's single way of turning errors into responses.

Bodies are always `{"detail": "..."}` (optionally with a machine `code`) or
`{"field": ["..."]}`; never a traceback or a provider's raw body.
"""

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler


class DomainError(Exception):
    """A business rule refused the action. Subclasses set the HTTP status."""

    status_code: int = status.HTTP_400_BAD_REQUEST
    code = "invalid"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code


class Conflict(DomainError):
    """The object's state does not allow this now (e.g. it is synced, or in a sync run)."""

    status_code = status.HTTP_409_CONFLICT
    code = "conflict"


class UpstreamError(DomainError):
    """The accounting system answered badly or could not be reached."""

    status_code = status.HTTP_502_BAD_GATEWAY
    code = "upstream_error"


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, DomainError):
        return Response({"detail": exc.message, "code": exc.code}, status=exc.status_code)
    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "error_dict"):
            body: Any = {field: [str(m) for m in msgs] for field, msgs in exc.message_dict.items()}
        else:
            body = {"detail": " ".join(exc.messages)}
        return Response(body, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(str(exc) or None)
    response = exception_handler(exc, context)
    if isinstance(exc, exceptions.Throttled) and response is not None:
        wait = max(1, round(getattr(exc, "wait", None) or 1))
        response.data = {
            "detail": f"Too many requests. Wait {wait} seconds, then try again "
            "(the Retry-After header says the same).",
            "code": "throttled",
        }
    return response
