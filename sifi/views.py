"""Server-rendered pages. Thin: role check, a selector, a template."""

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.generic import TemplateView

from integrations.selectors import provider_list
from sifi.permissions import (
    AccountingPermission,
    IntegrationsPermission,
    RolePageMixin,
    can_use_accounting,
    can_view_integrations,
)
from sifi.tenancy import current_organization


class HomeView(RolePageMixin, TemplateView):
    """Send people where their role lets them work."""

    template_name = "home.html"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if can_use_accounting(request.user):
            return redirect("accounting")
        if can_view_integrations(request.user):
            return redirect("settings-integrations")
        return super().get(request, *args, **kwargs)


class IntegrationsPageView(RolePageMixin, TemplateView):
    page_permission = IntegrationsPermission
    template_name = "settings/integrations.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["providers"] = provider_list(organization=current_organization(self.request))
        return context


class AccountingPageView(RolePageMixin, TemplateView):
    page_permission = AccountingPermission
    template_name = "accounting/index.html"
