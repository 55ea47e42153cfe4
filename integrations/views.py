"""Settings → Integrations pages (server-rendered, htmx for progress and search).

One wizard for every accounting system: `/settings/integrations/<provider>/` shows the consent
step, the credentials step (the provider's connect flow says what it asks: an API key; an
address, database, login and API key), the attributes step, then the configuration page.
Thin: role check, call a selector or service, render. Rules and messages come from services.
"""

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views import View
from django.views.decorators.debug import sensitive_post_parameters

from accounting.models import EXTERNAL_ID_LENGTH
from accounting.providers import provider_for
from accounting.selectors import (
    account_list,
    resolve_account_choice,
)
from integrations.connect.base import ConnectFlow, flow_for
from integrations.connect.oauth import AuthorizationRefused, OAuthFlow
from integrations.jobs import start_config_sync
from integrations.models import Integration
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
    MANDATORY_ATTRIBUTES,
    choose_company,
    configure,
    connect,
    disconnect,
    finish_authorization,
    provider_name,
    record_consent,
    start_authorization,
)
from sifi.exceptions import DomainError
from sifi.permissions import IntegrationsPermission, RolePageMixin, can_configure_integrations
from sifi.tenancy import current_organization

ACTIONS = ("consent", "connect", "company", "sync", "configure", "disconnect", "accounts")


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


class ConnectionPage(RolePageMixin, View):
    """The connect wizard, then the configuration page, depending on where the org stands."""

    page_permission = IntegrationsPermission
    provider: str = ""  # set per provider by page_urls

    def get(
        self,
        request: HttpRequest,
        credentials_form: forms.Form | None = None,
        config_errors: dict[str, list[str]] | None = None,
    ) -> HttpResponse:
        organization = current_organization(request)
        provider = self.provider
        flow = flow_for(provider)
        integration = integration_for(organization=organization, provider=provider)
        accounts = account_list(organization=organization, provider=provider)
        job = latest_config_job(organization=organization)
        connected = connected_provider(organization=organization)
        blocked_by = provider_name(connected) if connected and connected != provider else ""
        context: dict[str, Any] = {
            "provider": provider,
            "provider_name": provider_name(provider),
            "flow": flow,
            "location_label": flow.location_label(integration),
            "keeps_journals": provider_for(provider).keeps_journals,
            # VAT as a tax rate (an option) instead of an Input VAT account.
            "vat_as_tax_rate": bool(provider_for(provider).input_vat_option),
            "integration": integration,
            "state": connection_state(integration=integration),
            "step": wizard_step(
                integration=integration,
                has_accounts=accounts.exists(),
                blocked_by=blocked_by,
                company_field=flow.company_field if isinstance(flow, OAuthFlow) else "",
            ),
            "blocked_by": blocked_by,
            "blocked_by_url": reverse(f"settings-{connected}") if blocked_by else "",
            "actions": action_urls(provider),
            "scopes": flow.scopes,
            "mandatory_attributes": MANDATORY_ATTRIBUTES,
            "optional_attributes": flow.optional_attributes,
            "credentials_form": credentials_form or self.initial_form(integration),
            "job": job,
            "job_running": job is not None and job.is_active,
            "can_configure": can_configure_integrations(request.user),
            "account_count": accounts.count(),
            "active_account_count": accounts.filter(active=True, is_heading=False).count(),
            "options": option_rows(flow, integration),
            # A refused configuration save: its messages by field ("__all__": the others).
            "config_errors": config_errors or {},
        }
        response = render(
            request, "settings/connection.html", context, status=400 if config_errors else 200
        )
        if isinstance(flow, OAuthFlow):
            # "Sign in" / "Reconnect" post to us and are redirected to the provider's consent
            # page: browsers check that redirect against this page's form-action too.
            response._csp_update = {"form-action": [flow.authorize_origin()]}  # type: ignore[attr-defined]
        return response

    def initial_form(self, integration: Integration) -> forms.Form:
        """The credentials form; where the books were as last connected (an address, a
        database, a login: not secrets), never a secret."""
        flow = flow_for(self.provider)
        return flow.form_class(initial=flow.initial(integration))


class ConnectionAction(RolePageMixin, View):
    """Base of the wizard's POST actions: run a service, report its message, go back."""

    page_permission = IntegrationsPermission
    provider: str = ""  # set per provider by page_urls

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
        flow = flow_for(self.provider)
        if isinstance(flow, OAuthFlow):  # to the provider's consent page, back on the callback
            url = start_authorization(
                actor=request.user, organization=organization, provider=self.provider
            )
            return redirect(url)
        form = flow.form_class(request.POST)
        if not form.is_valid():
            return self.page(request, form)
        try:
            result = connect(
                actor=request.user,
                organization=organization,
                provider=self.provider,
                values=form.cleaned_data,
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
            _(
                "Connected. %(provider)s shows %(count)s accounts in the chart for this key "
                "(headings and inactive ones included)."
            )
            % {"provider": provider_name(self.provider), "count": result.accounts_found},
        )
        return None


class CompanyAction(ConnectionAction):
    """Keep the books in one of the companies the grant reaches (OAuth providers)."""

    def act(self, request: HttpRequest, organization: Any) -> HttpResponse | None:
        integration = choose_company(
            actor=request.user,
            organization=organization,
            provider=self.provider,
            company_id=request.POST.get("company", ""),
        )
        messages.success(
            request,
            _("%(provider)s: the books of %(company)s.")
            % {"provider": provider_name(self.provider), "company": integration.company_name},
        )
        return None


class CallbackPage(RolePageMixin, View):
    """Where an OAuth provider sends the person back after its consent page: the state is
    checked (single-use, this user and organization), the code exchanged, the connection
    stored; then the settings page. A refusal is a page that says why (400), nothing
    stored."""

    page_permission = IntegrationsPermission
    provider: str = ""  # set per provider by page_urls

    def get(self, request: HttpRequest) -> HttpResponse:
        if not can_configure_integrations(request.user):
            raise PermissionDenied
        try:
            result = finish_authorization(
                actor=request.user,
                organization=current_organization(request),
                provider=self.provider,
                params={key: str(value) for key, value in request.GET.items()},
            )
        except (AuthorizationRefused, ValidationError, DomainError) as exc:
            reason = exc.message if isinstance(exc, AuthorizationRefused) else _error_text(exc)
            return render(
                request,
                "settings/authorization_refused.html",
                {
                    "provider_name": provider_name(self.provider),
                    "reason": reason,
                    "settings_url": reverse(f"settings-{self.provider}"),
                },
                status=400,
            )
        found = result.integration.companies
        messages.success(
            request,
            _("Connected to %(provider)s.") % {"provider": provider_name(self.provider)}
            if len(found) <= 1
            else _("Connected to %(provider)s. Choose the company SiFi keeps the books in.")
            % {"provider": provider_name(self.provider)},
        )
        return redirect(f"settings-{self.provider}")


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


def option_rows(flow: ConnectFlow, integration: Integration) -> list[dict[str, Any]]:
    """The provider's options as the configuration page shows them: each with its value and,
    for a choice, what it can be."""
    values = flow.option_values(integration)
    rows = []
    for option in flow.options:
        choices = option.choices(integration) if option.choices else []
        value = values[option.name]
        display = dict(choices).get(value, value) if choices else value
        rows.append({"option": option, "value": value, "choices": choices, "display": display})
    return rows


def posted_options(flow: ConnectFlow, request: HttpRequest) -> dict[str, Any]:
    """The options as the configuration form posts them (an unticked switch is absent: off);
    the service validates them as the API's."""
    posted: dict[str, Any] = {}
    for option in flow.options:
        raw = request.POST.get(option.name, "")
        if option.kind == "bool":
            posted[option.name] = raw == "on"
        else:
            posted[option.name] = raw.strip() or None
    return posted


class ConfigureAction(ConnectionAction):
    def post(self, request: HttpRequest) -> HttpResponse:
        """A refused save shows the page again with each message by its field."""
        try:
            self.act(request, current_organization(request))
        except ValidationError as exc:
            if not hasattr(exc, "error_dict"):
                messages.error(request, _error_text(exc))
                return redirect(f"settings-{self.provider}")
            view = ConnectionPage(provider=self.provider)
            view.request = request
            return view.get(request, config_errors=exc.message_dict)
        except DomainError as exc:
            messages.error(request, _error_text(exc))
        return redirect(f"settings-{self.provider}")

    def act(self, request: HttpRequest, organization: Any) -> HttpResponse | None:
        chosen = {
            field: resolve_account_choice(
                organization=organization,
                account_id=request.POST.get(field, ""),
                account_code=request.POST.get(f"{field}_code", ""),
                field=field,
            )
            for field in ("source_account", "input_vat_account", "output_vat_account")
        }
        changes: dict[str, Any] = {
            "source_account_id": chosen["source_account"],
            "input_vat_account_id": chosen["input_vat_account"],
            "auto_sync": request.POST.get("auto_sync") == "on",
        }
        if "output_vat_account" in request.POST:  # the form offers it with the Input VAT one
            changes["output_vat_account_id"] = chosen["output_vat_account"]
        if "journal" in request.POST:
            changes["journal_id"] = _posted_id(
                request, "journal", _("Pick a journal from the list.")
            )
        flow = flow_for(self.provider)
        if flow.options:
            changes["options"] = posted_options(flow, request)
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
    provider: str = ""  # set per provider by page_urls

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
        books = provider_for(self.provider)
        for account in page:
            account.type_label = books.account_type_label(account.type)  # type: ignore[attr-defined]
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
