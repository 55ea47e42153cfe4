"""Server-rendered pages. Thin: role check, a selector, a template.

Also the error answers: JSON under /api/ (`{"detail": ...}`, like every other API error),
a friendly page elsewhere; never a traceback, a setting or a submitted value.
"""

from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template import loader
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.generic import TemplateView

from sifi.permissions import (
    RolePageMixin,
    can_use_accounting,
    can_view_integrations,
)


class HomeView(RolePageMixin, TemplateView):
    """Send people where their role lets them work."""

    template_name = "home.html"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if can_use_accounting(request.user):
            return redirect("accounting")
        if can_view_integrations(request.user):
            return redirect("settings-integrations")
        return super().get(request, *args, **kwargs)


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def _error_page(request: HttpRequest, status: int, title: str, message: str) -> HttpResponse:
    if _is_api(request):
        return JsonResponse({"detail": message}, status=status)
    return render(request, "errors/error.html", {"title": title, "message": message}, status=status)


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    return _error_page(
        request,
        400,
        _("Bad request"),
        _("This request could not be understood. Go back and try again from the page."),
    )


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    return _error_page(
        request,
        403,
        _("Not allowed"),
        _("Your role does not allow this. Ask an Admin of your organization if you need it."),
    )


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _is_api(request):
        return JsonResponse(
            {"detail": "Not found. The API's endpoints are listed at /api/docs/."}, status=404
        )
    return _error_page(
        request,
        404,
        _("Page not found"),
        _("There is no page at this address. Check the link, or start again from the menu."),
    )


@csrf_exempt  # it changes nothing: an unknown address is a 404 whatever the method
def api_not_found(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    """An address under /api/ that no endpoint has: the API's 404 (JSON), with DEBUG on too
    (Django's own 404 page is HTML there)."""
    return page_not_found(request, Http404())


def server_error(request: HttpRequest) -> HttpResponse:
    """A 500: the cause is logged with its traceback by Django; the person sees a sentence.

    Rendered without the request's context: the database (users, sessions) may be what
    failed."""
    message = _(
        "Something went wrong on our side and it has been logged. Try again in a moment, "
        "and tell your administrator if it keeps happening."
    )
    if _is_api(request):
        return JsonResponse({"detail": message}, status=500)
    body = loader.get_template("errors/error.html").render(
        {"title": _("Something went wrong"), "message": message}
    )
    return HttpResponse(body, status=500)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    return _error_page(
        request,
        403,
        _("Page expired"),
        _("This form was too old or opened in another session. Reload the page and try again."),
    )


def _lockout_minutes() -> int:
    return int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)


def lockout_message() -> str:
    return _(
        "Too many failed logins for this username from your address. Try again in "
        "%(minutes)s minutes, or ask an Admin to reset your password."
    ) % {"minutes": _lockout_minutes()}


def login_locked_out(
    request: HttpRequest, original_response: HttpResponse | None, credentials: Any
) -> HttpResponse:
    """django-axes' answer to a locked-out login (AXES_LOCKOUT_CALLABLE): 429, and when."""
    if _is_api(request):
        response: HttpResponse = JsonResponse(
            {"detail": lockout_message(), "code": "login_locked_out"}, status=429
        )
    else:
        response = render(
            request,
            "errors/error.html",
            {"title": _("Login locked"), "message": lockout_message()},
            status=429,
        )
    response["Retry-After"] = str(_lockout_minutes() * 60)
    return response
