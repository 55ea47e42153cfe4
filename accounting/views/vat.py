"""Accounting → VAT (issue 27): the VAT report of a period, with its CSV and XLSX downloads,
and the merchants ticked as foreign services (reverse charge)."""

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from accounting.selectors import reverse_charge_merchant_list
from accounting.services.reverse_charge import set_merchant_reverse_charge
from accounting.vat_report import CATEGORIES, report_period, vat_report
from accounting.views.actions import ActionView
from sifi.permissions import (
    AccountingPermission,
    RolePageMixin,
    RulesPermission,
    can_configure_integrations,
)
from sifi.tenancy import current_organization

ROWS_SHOWN = 500  # the page shows the first ones; the downloads have them all


class VatReportPage(RolePageMixin, TemplateView):
    page_permission = AccountingPermission
    template_name = "accounting/vat_report.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        organization = current_organization(self.request)
        today = timezone.localdate()
        first = today.replace(day=1)
        asked = self.request.GET
        date_from = asked.get("date_from") or first.isoformat()
        date_to = asked.get("date_to") or today.isoformat()
        report, errors = None, {}
        try:
            start, end = report_period(date_from, date_to)
            report = vat_report(organization=organization, date_from=start, date_to=end)
        except ValidationError as exc:
            errors = exc.message_dict
        context.update(
            date_from=date_from,
            date_to=date_to,
            errors=errors,
            report=report,
            rows=report.rows[:ROWS_SHOWN] if report else [],
            more_rows=max(0, len(report.rows) - ROWS_SHOWN) if report else 0,
            totals=[(CATEGORIES[name], total) for name, total in report.totals.items()]
            if report
            else [],
            categories=CATEGORIES,
            merchants=reverse_charge_merchant_list(organization=organization),
            can_edit=can_configure_integrations(self.request.user),
        )
        return context


class ReverseChargeMerchantAction(ActionView):
    """Tick or untick a merchant as a foreign service (Admin and Finance Manager)."""

    page_permission = RulesPermission

    def act(self, request: HttpRequest) -> None:
        merchant = request.POST.get("merchant", "")
        on = request.POST.get("reverse_charge") == "on"
        set_merchant_reverse_charge(
            organization=current_organization(request),
            actor=request.user,
            merchant=merchant,
            reverse_charge=on,
        )
        messages.success(
            request,
            (
                _(
                    "%(merchant)s is a foreign service: its transactions not synced yet are "
                    "booked with reverse-charge VAT."
                )
                if on
                else _("%(merchant)s is no longer reverse-charged.")
            )
            % {"merchant": merchant.strip()},
        )
