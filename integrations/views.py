"""Settings → Integrations pages (server-rendered, htmx for progress and search).

Thin: role check, call a selector or service, render. Rules and messages come from services.
"""

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views import View
from django.views.decorators.debug import sensitive_post_parameters

from accounting.selectors import (
    account_list,
    resolve_account_choice,
)
from integrations.jobs import start_config_sync
from integrations.models import MANDATORY_ATTRIBUTES, OPTIONAL_ATTRIBUTES, QOYOD_SCOPES
from integrations.selectors import (
    connection_state,
    integration_for,
    job_get,
    latest_config_job,
    provider_list,
    wizard_step,
)
from integrations.services import (
    configure_qoyod,
    connect_qoyod,
    disconnect_qoyod,
    record_consent,
)
from integrations.validators import validate_api_key_characters
from sifi.exceptions import DomainError
from sifi.permissions import IntegrationsPermission, RolePageMixin, can_configure_integrations
from sifi.tenancy import current_organization


def _error_text(exc: ValidationError | DomainError) -> str:
    if isinstance(exc, DomainError):
        return exc.message
    return " ".join(exc.messages)


class IntegrationsPage(RolePageMixin, View):
    page_permission = IntegrationsPermission

    def get(self, request: HttpRequest) -> HttpResponse:
        organization = current_organization(request)
        return render(
            request,
            "settings/integrations.html",
            {"providers": provider_list(organization=organization)},
        )


class ApiKeyForm(forms.Form):
    api_key = forms.CharField(
        label=_("API key"),
        max_length=500,
        validators=[validate_api_key_characters],
        widget=forms.PasswordInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )


class QoyodPage(RolePageMixin, View):
    """The connect wizard, then the configuration page, depending on where the org stands."""

    page_permission = IntegrationsPermission

    def get(self, request: HttpRequest, api_key_form: ApiKeyForm | None = None) -> HttpResponse:
        organization = current_organization(request)
        integration = integration_for(organization=organization)
        accounts = account_list(organization=organization)
        job = latest_config_job(organization=organization)
        context: dict[str, Any] = {
            "integration": integration,
            "state": connection_state(integration=integration),
            "step": wizard_step(integration=integration, has_accounts=accounts.exists()),
            "scopes": QOYOD_SCOPES,
            "mandatory_attributes": MANDATORY_ATTRIBUTES,
            "optional_attributes": OPTIONAL_ATTRIBUTES,
            "api_key_form": api_key_form or ApiKeyForm(),
            "job": job,
            "job_running": job is not None and job.is_active,
            "can_configure": can_configure_integrations(request.user),
            "account_count": accounts.count(),
            "active_account_count": accounts.filter(active=True).count(),
        }
        return render(request, "settings/qoyod.html", context)


class QoyodAction(RolePageMixin, View):
    """Base of the wizard's POST actions: run a service, report its message, go back."""

    page_permission = IntegrationsPermission

    def post(self, request: HttpRequest) -> HttpResponse:
        try:
            response = self.act(request, current_organization(request))
        except (ValidationError, DomainError) as exc:
            messages.error(request, _error_text(exc))
            return redirect("settings-qoyod")
        return response or redirect("settings-qoyod")

    def act(self, request: HttpRequest, organization: Any) -> HttpResponse | None:
        raise NotImplementedError


class QoyodConsentAction(QoyodAction):
    def act(self, request: HttpRequest, organization: Any) -> HttpResponse | None:
        record_consent(
            actor=request.user, organization=organization, accept="accept" in request.POST
        )
        return None


@method_decorator(sensitive_post_parameters("api_key"), name="dispatch")
class QoyodConnectAction(QoyodAction):
    def act(self, request: HttpRequest, organization: Any) -> HttpResponse | None:
        form = ApiKeyForm(request.POST)
        if not form.is_valid():
            return QoyodPage().get(request, api_key_form=form)
        try:
            result = connect_qoyod(
                actor=request.user, organization=organization, api_key=form.cleaned_data["api_key"]
            )
        except ValidationError as exc:
            form.add_error("api_key", _error_text(exc))
            view = QoyodPage()
            view.request = request
            return view.get(request, api_key_form=form)
        messages.success(
            request,
            _("Connected. Qoyod shows %(count)s accounts for this key.")
            % {"count": result.accounts_found},
        )
        return None


class QoyodSyncAction(QoyodAction):
    def act(self, request: HttpRequest, organization: Any) -> HttpResponse | None:
        start_config_sync(
            actor=request.user,
            organization=organization,
            attributes=request.POST.getlist("attributes"),
        )
        return None


class QoyodConfigureAction(QoyodAction):
    def act(self, request: HttpRequest, organization: Any) -> HttpResponse | None:
        chosen = {
            field: resolve_account_choice(
                organization=organization,
                account_id=request.POST.get(field, ""),
                account_code=request.POST.get(f"{field}_code", ""),
                field=field,
            )
            for field in ("source_account", "input_vat_account")
        }
        configure_qoyod(
            actor=request.user,
            organization=organization,
            source_account_id=chosen["source_account"],
            input_vat_account_id=chosen["input_vat_account"],
            auto_sync=request.POST.get("auto_sync") == "on",
        )
        messages.success(request, _("Configuration saved."))
        return None


class QoyodDisconnectAction(QoyodAction):
    def act(self, request: HttpRequest, organization: Any) -> HttpResponse | None:
        disconnect_qoyod(actor=request.user, organization=organization)
        messages.success(
            request, _("Qoyod disconnected. The API key was removed; history is kept.")
        )
        return None


class JobProgressPartial(RolePageMixin, View):
    """The progress bar of a job, polled by htmx while the job runs."""

    page_permission = IntegrationsPermission

    def get(self, request: HttpRequest, job_id: int) -> HttpResponse:
        job = job_get(organization=current_organization(request), job_id=job_id)
        response = render(request, "settings/_job_progress.html", {"job": job})
        if not job.is_active and request.GET.get("reload"):
            response["HX-Refresh"] = "true"  # show the configuration page once it is done
        return response


class AccountsTablePartial(RolePageMixin, View):
    """The searchable chart of accounts table (htmx swaps it as the user types)."""

    page_permission = IntegrationsPermission

    class SearchForm(forms.Form):
        search = forms.CharField(required=False, max_length=100)  # refuses NUL characters

    def get(self, request: HttpRequest) -> HttpResponse:
        form = self.SearchForm(request.GET)
        if not form.is_valid():
            return HttpResponseBadRequest(
                _("Search with up to 100 ordinary characters."), content_type="text/plain"
            )
        search = form.cleaned_data["search"]
        accounts = account_list(organization=current_organization(request), search=search)
        page = Paginator(accounts, 50).get_page(request.GET.get("page"))
        return render(request, "settings/_accounts_table.html", {"page": page, "search": search})
