"""Accounting → Reconciliation: start one for a date range, the reports, dismissing the
findings."""

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from accounting.selectors import reconciliation_get, reconciliation_list
from accounting.services.reconciliation import acknowledge_reconciliation, nightly_range
from accounting.services.runs import start_reconciliation
from accounting.views.actions import ActionView, posted_id
from sifi.permissions import AccountingPermission, RolePageMixin
from sifi.tenancy import current_organization


class ReconciliationsPage(RolePageMixin, TemplateView):
    """Accounting → Reconciliation: start one for a date range; the reports so far."""

    page_permission = AccountingPermission
    template_name = "accounting/reconciliations.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        today = timezone.localdate()
        date_from, date_to = nightly_range(today)
        context.update(
            reconciliations=reconciliation_list(organization=current_organization(self.request))[
                :50
            ],
            default_from=date_from,
            default_to=date_to,
        )
        return context


class ReconciliationPage(RolePageMixin, TemplateView):
    """One reconciliation's report, each finding linked to its transaction; it refreshes
    itself while the reconciliation runs."""

    page_permission = AccountingPermission
    template_name = "accounting/reconciliation.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        reconciliation = reconciliation_get(
            organization=current_organization(self.request),
            reconciliation_id=kwargs["reconciliation_id"],
        )
        context.update(
            reconciliation=reconciliation,
            items=reconciliation.items.select_related("transaction")[:1000],
        )
        return context


class StartReconciliationAction(ActionView):
    def act(self, request: HttpRequest) -> None:
        form = ReconciliationForm(request.POST)
        if not form.is_valid():
            raise ValidationError(
                " ".join(str(error) for errors in form.errors.values() for error in errors)
            )
        reconciliation = start_reconciliation(
            organization=current_organization(request),
            actor=request.user,
            date_from=form.cleaned_data["date_from"],
            date_to=form.cleaned_data["date_to"],
        )
        self.next_url = reverse("accounting-reconciliation", args=[reconciliation.pk])
        messages.success(
            request,
            _("Reconciliation of %(date_from)s to %(date_to)s started.")
            % {"date_from": reconciliation.date_from, "date_to": reconciliation.date_to},
        )


class DismissReconciliationAction(ActionView):
    def act(self, request: HttpRequest) -> None:
        acknowledge_reconciliation(
            organization=current_organization(request),
            actor=request.user,
            reconciliation_id=posted_id(request, "reconciliation"),
        )


class ReconciliationForm(forms.Form):
    date_from = forms.DateField()
    date_to = forms.DateField()
