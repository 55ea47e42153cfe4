"""Accounting → Rules pages: the finance team's coding rules, in words, and the actions that
accept the suggestions they make."""

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import F
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView

from accounting.filters import FILTER_PARAMS, TransactionFilter
from accounting.models import Budget, Card, Employee, Rule, TransactionType
from accounting.presenters import conditions_in_words
from accounting.selectors import (
    resolve_account_choice,
    rule_get,
    rule_list,
    transaction_list,
)
from accounting.services.runs import change_rule, remove_rule
from accounting.services.suggestions import accept_suggestions
from accounting.views.actions import ActionView, posted_id
from sifi.permissions import RolePageMixin, RulesPermission, can_configure_integrations
from sifi.tenancy import current_organization


class CardChoiceField(forms.ModelChoiceField):
    """A card as people tell it apart: its holder, then its last digits."""

    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.holder.name} · {obj}" if obj.holder else str(obj)


class RuleForm(forms.Form):
    """A rule as the page edits it: the conditions as plain fields."""

    name = forms.CharField(max_length=120, label=gettext_lazy("Name"))
    priority = forms.IntegerField(
        min_value=0, max_value=100_000, initial=100, label=gettext_lazy("Priority")
    )
    merchant_contains = forms.CharField(
        max_length=100, required=False, label=gettext_lazy("Merchant contains")
    )
    merchant_equals = forms.CharField(
        max_length=100, required=False, label=gettext_lazy("Merchant is")
    )
    budget = forms.ModelChoiceField(queryset=Budget.objects.none(), required=False)
    employee = forms.ModelChoiceField(queryset=Employee.objects.none(), required=False)
    card = CardChoiceField(queryset=Card.objects.none(), required=False)
    type = forms.ChoiceField(
        choices=[("", "—"), *TransactionType.choices], required=False, label=gettext_lazy("Type")
    )
    amount_min = forms.DecimalField(min_value=0, decimal_places=2, required=False)
    amount_max = forms.DecimalField(min_value=0, decimal_places=2, required=False)
    auto_verify = forms.BooleanField(required=False, label=gettext_lazy("Verify at once"))
    reverse_charge = forms.BooleanField(
        required=False, label=gettext_lazy("Foreign service: reverse charge")
    )
    enabled = forms.BooleanField(required=False, initial=True, label=gettext_lazy("On"))

    def __init__(self, *args: Any, organization: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["budget"].queryset = Budget.objects.filter(organization=organization)  # type: ignore[attr-defined]
        self.fields["employee"].queryset = Employee.objects.filter(organization=organization)  # type: ignore[attr-defined]
        # By holder, then last digits: a person finds a colleague's card by name.
        self.fields["card"].queryset = (  # type: ignore[attr-defined]
            Card.objects.filter(organization=organization)
            .select_related("holder")
            .order_by(F("holder__name").asc(nulls_last=True), "last4")
        )
        self.fields["budget"].label = _("Budget")
        self.fields["employee"].label = _("Employee")
        self.fields["card"].label = _("Card")
        self.fields["amount_min"].label = _("Amount from")
        self.fields["amount_max"].label = _("Amount up to")

    def conditions(self) -> dict[str, Any]:
        data = self.cleaned_data
        found: dict[str, Any] = {}
        for name in Rule.CONDITIONS:
            value = data.get(name)
            if value in (None, ""):
                continue
            found[name] = value.pk if hasattr(value, "pk") else str(value)
        return found


def initial_for(rule: Rule) -> dict[str, Any]:
    return {
        "name": rule.name,
        "priority": rule.priority,
        "auto_verify": rule.auto_verify,
        "reverse_charge": rule.reverse_charge,
        "enabled": rule.enabled,
        **rule.conditions,
    }


class RulesPage(RolePageMixin, TemplateView):
    """Accounting → Rules: in the order they are tried; Admins and Finance Managers edit."""

    page_permission = RulesPermission
    template_name = "accounting/rules.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        organization = current_organization(self.request)
        editing = None
        if kwargs.get("rule_id"):
            editing = rule_get(organization=organization, rule_id=kwargs["rule_id"])
        names = {
            "budget": dict(
                Budget.objects.filter(organization=organization).values_list("pk", "name")
            ),
            "employee": dict(
                Employee.objects.filter(organization=organization).values_list("pk", "name")
            ),
            "card": {
                pk: f"•••• {last4}"
                for pk, last4 in Card.objects.filter(organization=organization).values_list(
                    "pk", "last4"
                )
            },
        }
        rules = rule_list(organization=organization)
        context.update(
            rows=[(rule, conditions_in_words(rule.conditions, names)) for rule in rules],
            editing=editing,
            form=kwargs.get("form")
            or RuleForm(
                organization=organization, initial=initial_for(editing) if editing else None
            ),
            can_edit=can_configure_integrations(self.request.user),
            type_labels=dict(TransactionType.choices),
        )
        return context


class SaveRuleAction(ActionView):
    page_permission = RulesPermission

    def act(self, request: HttpRequest) -> None:
        organization = current_organization(request)
        form = RuleForm(request.POST, organization=organization)
        if not form.is_valid():
            raise ValidationError(
                " ".join(
                    f"{form.fields[field].label}: {' '.join(str(e) for e in errors)}"
                    for field, errors in form.errors.items()
                )
            )
        rule_id = posted_id(request, "rule") if request.POST.get("rule") else None
        rule = change_rule(
            organization=organization,
            actor=request.user,
            rule_id=rule_id,
            name=form.cleaned_data["name"],
            priority=form.cleaned_data["priority"],
            conditions=form.conditions(),
            account=resolve_account_choice(
                organization=organization,
                account_id=request.POST.get("account", ""),
                account_code=request.POST.get("account_code", ""),
            ),
            auto_verify=form.cleaned_data["auto_verify"],
            reverse_charge=form.cleaned_data["reverse_charge"],
            enabled=form.cleaned_data["enabled"],
        )
        self.next_url = reverse("accounting-rules")
        messages.success(
            request,
            _("Rule “%(name)s” saved; suggestions are being updated.") % {"name": rule.name},
        )


class DeleteRuleAction(ActionView):
    page_permission = RulesPermission

    def act(self, request: HttpRequest) -> None:
        remove_rule(
            organization=current_organization(request),
            actor=request.user,
            rule_id=posted_id(request, "rule"),
        )
        self.next_url = reverse("accounting-rules")
        messages.success(request, _("Rule deleted."))


class AcceptSuggestionsAction(ActionView):
    """Accept the suggested accounts: one row's, the selection's, or all the filter matches."""

    def act(self, request: HttpRequest) -> None:
        organization = current_organization(request)
        scope = request.POST.get("scope")
        if scope == "filter":
            filterset = TransactionFilter(
                data={k: v for k, v in request.POST.items() if k in FILTER_PARAMS - {"account"}},
                queryset=transaction_list(organization=organization),
                organization=organization,
            )
            if not filterset.is_valid():
                raise ValidationError(_("The filter is not valid."))
            result = accept_suggestions(
                organization=organization, actor=request.user, matching=filterset.qs
            )
        else:
            ids = [int(pk) for pk in request.POST.getlist("ids") if pk.isascii() and pk.isdigit()]
            if not ids:
                raise ValidationError(_("Select at least one transaction."))
            result = accept_suggestions(organization=organization, actor=request.user, ids=ids)
        text = _("%(n)s suggestions accepted.") % {"n": result.updated}
        if result.skipped_count:
            text += " " + _("%(n)s skipped (no suggestion, already synced or in a sync run).") % {
                "n": result.skipped_count
            }
        messages.success(request, text)
