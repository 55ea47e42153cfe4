"""Server-rendered pages. Thin: role check, a selector, a template."""

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
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
