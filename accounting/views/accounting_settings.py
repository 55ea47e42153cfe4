"""The organization's accounting choices as a page: what syncs of the VAT (issue 27).
Admin and Finance Manager change them; Accountants read them."""

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from accounting.models import PostingDatePolicy, VatReclaim
from accounting.services.accounting_settings import (
    accounting_settings_for,
    change_accounting_settings,
)
from accounting.views.actions import ActionView
from sifi.permissions import RolePageMixin, RulesPermission, can_configure_integrations
from sifi.tenancy import current_organization


class AccountingSettingsPage(RolePageMixin, TemplateView):
    page_permission = RulesPermission  # reading: every Accounting role
    template_name = "accounting/settings.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.update(
            accounting_settings=accounting_settings_for(current_organization(self.request)),
            vat_reclaim_choices=VatReclaim.choices,
            posting_date_policy_choices=PostingDatePolicy.choices,
            can_edit=can_configure_integrations(self.request.user),
        )
        return context


class SaveAccountingSettingsAction(ActionView):
    page_permission = RulesPermission  # writing: Admin and Finance Manager

    def act(self, request: HttpRequest) -> None:
        choice = request.POST.get("vat_reclaim", "")
        if choice not in VatReclaim.values:
            raise ValidationError(_("Choose which VAT is reclaimed."))
        policy = request.POST.get("posting_date_policy") or None
        if policy is not None and policy not in PostingDatePolicy.values:
            raise ValidationError(_("Choose which date entries are booked on."))
        change_accounting_settings(
            organization=current_organization(request),
            actor=request.user,
            vat_reclaim=choice,
            posting_date_policy=policy,
        )
        messages.success(request, _("Accounting settings saved."))
