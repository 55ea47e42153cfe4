"""Settings → Integrations pages (server-rendered, htmx for progress and search).

One wizard for every accounting system: `/settings/integrations/<provider>/` shows the consent
step, the credentials step (Qoyod: an API key; Odoo: address, database, login and API key),
the attributes step, then the configuration page. Thin: role check, call a selector or
service, render. Rules and messages come from services.
"""

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.decorators.debug import sensitive_post_parameters

from accounting.models import EXTERNAL_ID_LENGTH
from accounting.providers import provider_for
from accounting.selectors import (
    account_list,
    resolve_account_choice,
)
from integrations.jobs import start_config_sync
from integrations.models import (
    MANDATORY_ATTRIBUTES,
    OPTIONAL_ATTRIBUTES_BY_PROVIDER,
    SCOPES,
    Integration,
    Provider,
)
from integrations.odoo_connection import connect_odoo
from integrations.selectors import (
    connected_provider,
    connection_state,
    integration_for,
    job_get,
    latest_config_job,
    provider_list,
    wizard_step,
)
from integrations.services import (
    configure,
    connect_qoyod,
    disconnect,
    provider_name,
    record_consent,
)
from integrations.validators import validate_api_key_characters
from sifi.exceptions import DomainError
from sifi.permissions import IntegrationsPermission, RolePageMixin, can_configure_integrations
from sifi.tenancy import current_organization

ACTIONS = ("consent", "connect", "sync", "configure", "disconnect", "accounts")


def _error_text(exc: ValidationError | DomainError) -> str:
    if isinstance(exc, DomainError):
        return exc.message
    return " ".join(exc.messages)


def action_urls(provider: str) -> dict[str, str]:
    return {action: reverse(f"settings-{provider}-{action}") for action in ACTIONS}


class IntegrationsPage(RolePageMixin, View):
    page_permission = IntegrationsPermission

    def get(self, request: HttpRequest) -> HttpResponse:
        organization = current_organization(request)
        providers = provider_list(organization=organization)
        for row in providers:
            row["url"] = reverse(f"settings-{row['provider']}")
        return render(request, "settings/integrations.html", {"providers": providers})


class ApiKeyForm(forms.Form):
    """Qoyod's credentials: one API key."""

    api_key = forms.CharField(
        label=gettext_lazy("API key"),
        max_length=500,
        validators=[validate_api_key_characters],
        widget=forms.PasswordInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )


class OdooConnectForm(forms.Form):
    """Odoo's credentials: where the books are and who we connect as."""

    url = forms.CharField(
        label=gettext_lazy("Odoo address"),
        max_length=300,
        help_text=gettext_lazy("The address you open Odoo at, like https://acme.odoo.com"),
        widget=forms.TextInput(
            attrs={"autocomplete": "url", "spellcheck": "false", "inputmode": "url"}
        ),
    )
    database = forms.CharField(
        label=gettext_lazy("Database"),
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    username = forms.CharField(
        label=gettext_lazy("Login (the Odoo user's email)"),
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    api_key = forms.CharField(
        label=gettext_lazy("API key"),
        max_length=500,
        validators=[validate_api_key_characters],
        widget=forms.PasswordInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )


CREDENTIAL_FORMS: dict[str, type[forms.Form]] = {
    Provider.QOYOD: ApiKeyForm,
    Provider.ODOO: OdooConnectForm,
}


class ConnectionPage(RolePageMixin, View):
    """The connect wizard, then the configuration page, depending on where the org stands."""

    page_permission = IntegrationsPermission
    provider: str = Provider.QOYOD

    def get(self, request: HttpRequest, credentials_form: forms.Form | None = None) -> HttpResponse:
        organization = current_organization(request)
        provider = self.provider
        integration = integration_for(organization=organization, provider=provider)
        accounts = account_list(organization=organization, provider=provider)
        job = latest_config_job(organization=organization)
        connected = connected_provider(organization=organization)
        blocked_by = provider_name(connected) if connected and connected != provider else ""
        context: dict[str, Any] = {
            "provider": provider,
            "provider_name": provider_name(provider),
            "keeps_journals": provider_for(provider).keeps_journals,
            "integration": integration,
            "state": connection_state(integration=integration),
            "step": wizard_step(
                integration=integration, has_accounts=accounts.exists(), blocked_by=blocked_by
            ),
            "blocked_by": blocked_by,
            "blocked_by_url": reverse(f"settings-{connected}") if blocked_by else "",
            "actions": action_urls(provider),
            "scopes": SCOPES[provider],
            "mandatory_attributes": MANDATORY_ATTRIBUTES,
            "optional_attributes": OPTIONAL_ATTRIBUTES_BY_PROVIDER.get(provider, ()),
            "credentials_form": credentials_form or self.initial_form(integration),
            "job": job,
            "job_running": job is not None and job.is_active,
            "can_configure": can_configure_integrations(request.user),
            "account_count": accounts.count(),
            "active_account_count": accounts.filter(active=True, is_heading=False).count(),
        }
        return render(request, "settings/connection.html", context)

    def initial_form(self, integration: Integration) -> forms.Form:
        """The credentials form; Odoo's address, database and login as last connected (they
        are not secrets), never the key."""
        form_class = CREDENTIAL_FORMS[self.provider]
        if self.provider == Provider.ODOO:
            return form_class(
                initial={
                    "url": integration.instance_url,
                    "database": integration.database,
                    "username": integration.login,
                }
            )
        return form_class()


class ConnectionAction(RolePageMixin, View):
    """Base of the wizard's POST actions: run a service, report its message, go back."""

    page_permission = IntegrationsPermission
    provider: str = Provider.QOYOD

    def post(self, request: HttpRequest) -> HttpResponse:
        try:
            response = self.act(request, current_organization(request))
        except (ValidationError, DomainError) as exc:
            messages.error(request, _error_text(exc))
            return redirect(f"settings-{self.provider}")
        return response or redirect(f"settings-{self.provider}")

    def act(self, request: HttpRequest, organization: Any) -> HttpResponse | None:
        raise NotImplementedError

    def page(self, request: HttpRequest, form: forms.Form) -> HttpResponse:
        view = ConnectionPage(provider=self.provider)
        view.request = request
        return view.get(request, credentials_form=form)


class ConsentAction(ConnectionAction):
    def act(self, request: HttpRequest, organization: Any) -> HttpResponse | None:
        record_consent(
            actor=request.user,
            organization=organization,
            accept="accept" in request.POST,
            provider=self.provider,
        )
        return None


@method_decorator(sensitive_post_parameters("api_key"), name="dispatch")
class ConnectAction(ConnectionAction):
    def act(self, request: HttpRequest, organization: Any) -> HttpResponse | None:
        form = CREDENTIAL_FORMS[self.provider](request.POST)
        if not form.is_valid():
            return self.page(request, form)
        try:
            if self.provider == Provider.ODOO:
                result = connect_odoo(
                    actor=request.user, organization=organization, **form.cleaned_data
                )
            else:
                result = connect_qoyod(
                    actor=request.user,
                    organization=organization,
                    api_key=form.cleaned_data["api_key"],
                )
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                for field, errors in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                form.add_error(None, exc.messages)
            return self.page(request, form)
        messages.success(
            request,
            _("Connected. %(provider)s shows %(count)s accounts for this key.")
            % {"provider": provider_name(self.provider), "count": result.accounts_found},
        )
        return None


class SyncAction(ConnectionAction):
    def act(self, request: HttpRequest, organization: Any) -> HttpResponse | None:
        start_config_sync(
            actor=request.user,
            organization=organization,
            attributes=request.POST.getlist("attributes"),
            provider=self.provider,
        )
        return None


def _posted_id(request: HttpRequest, field: str, message: str) -> str | None:
    """A provider's id picked from a list (a string: "4", "jou_9f2"); the service checks it is
    one of the list's."""
    raw = request.POST.get(field, "").strip()
    if len(raw) > EXTERNAL_ID_LENGTH or not raw.isprintable():
        raise ValidationError({field: [message]})
    return raw or None


class ConfigureAction(ConnectionAction):
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
        changes: dict[str, Any] = {
            "source_account_id": chosen["source_account"],
            "input_vat_account_id": chosen["input_vat_account"],
            "auto_sync": request.POST.get("auto_sync") == "on",
        }
        if "journal" in request.POST:
            changes["journal_id"] = _posted_id(
                request, "journal", _("Pick a journal from the list.")
            )
        configure(actor=request.user, organization=organization, provider=self.provider, **changes)
        messages.success(request, _("Configuration saved."))
        return None


class DisconnectAction(ConnectionAction):
    def act(self, request: HttpRequest, organization: Any) -> HttpResponse | None:
        disconnect(actor=request.user, organization=organization, provider=self.provider)
        messages.success(
            request,
            _("%(provider)s disconnected. The API key was removed; history is kept.")
            % {"provider": provider_name(self.provider)},
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
    provider: str = Provider.QOYOD

    class SearchForm(forms.Form):
        search = forms.CharField(required=False, max_length=100)  # refuses NUL characters

    def get(self, request: HttpRequest) -> HttpResponse:
        form = self.SearchForm(request.GET)
        if not form.is_valid():
            return HttpResponseBadRequest(
                _("Search with up to 100 ordinary characters."), content_type="text/plain"
            )
        search = form.cleaned_data["search"]
        accounts = account_list(
            organization=current_organization(request), provider=self.provider, search=search
        )
        page = Paginator(accounts, 50).get_page(request.GET.get("page"))
        return render(
            request,
            "settings/_accounts_table.html",
            {
                "page": page,
                "search": search,
                "accounts_url": reverse(f"settings-{self.provider}-accounts"),
                "provider_name": provider_name(self.provider),
            },
        )
