"""Accounting → the transaction list (tabs, filters, the badges' counts), assigning and
unverifying one or in bulk, one transaction's page and its documents."""

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views import View
from django.views.generic import TemplateView

from accounting.filters import FILTER_PARAMS, TransactionFilter
from accounting.models import (
    ASSIGNABLE_TABS,
    Direction,
    Document,
    SyncRun,
    Tab,
    TransactionStatus,
    TransactionType,
    VatEvidence,
    VatReclaim,
)
from accounting.presenters import describe_event, failure_in_words
from accounting.providers import connection_for, provider_names
from accounting.selectors import (
    reconciliation_findings,
    resolve_account_choice,
    tab_counts,
    transaction_audit,
    transaction_get,
    transaction_list,
    transaction_page,
    vat_evidence_counts,
)
from accounting.services.accounting_settings import vat_reclaim_of
from accounting.services.run_lifecycle import run_counts
from accounting.services.verification import assign_account, bulk_assign, unverify_transaction
from accounting.views.actions import ActionView, posted_id
from sifi.permissions import AccountingPermission, RolePageMixin
from sifi.tenancy import current_organization

# The page's tab badges count exactly up to this many and show "1,000+" beyond: each badge is
# an index-only count of at most this many entries, and six of them are on every page view
# (the API's counts go to 5,000, and to any number with ?exact=true).
COUNT_CAP = 1_000


def _badge(count: int) -> str:
    """A tab badge: exact up to the cap, "5,000+" beyond."""
    return f"{COUNT_CAP:,}+" if count > COUNT_CAP else f"{count:,}"


def _filter_errors(filterset: TransactionFilter) -> list[tuple[str, list[str]]]:
    """The filters' errors under the labels the form shows ("Max: The maximum amount is below
    the minimum."), never the parameter's name."""
    labels = {
        "tab": _("Tab"),
        "date_from": _("From"),
        "date_to": _("To"),
        "budget": _("Budget"),
        "employee": _("Employee"),
        "amount_min": _("Min"),
        "amount_max": _("Max"),
        "search": _("Search"),
    }
    return [
        (str(labels.get(name, name)), list(errors)) for name, errors in filterset.errors.items()
    ]


class AccountingPage(RolePageMixin, TemplateView):
    page_permission = AccountingPermission
    template_name = "accounting/index.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        organization = current_organization(self.request)
        params = self.request.GET.copy()
        tab = params.get("tab") or Tab.EXPENSES
        params["tab"] = tab
        base = transaction_list(organization=organization)
        filterset = TransactionFilter(data=params, queryset=base, organization=organization)
        without_tab = params.copy()
        without_tab.pop("tab")
        counts_filter = TransactionFilter(
            data=without_tab, queryset=base, organization=organization
        )
        if filterset.is_valid() and counts_filter.is_valid():
            rows = filterset.qs
            counts = tab_counts(filtered=counts_filter.qs, cap=COUNT_CAP)
        else:
            rows, counts = base.none(), {}
        page = transaction_page(
            rows, after=self.request.GET.get("after", ""), before=self.request.GET.get("before", "")
        )
        books = connection_for(organization)
        filter_query = urlencode({k: v for k, v in without_tab.items() if k in FILTER_PARAMS and v})
        latest_run = SyncRun.objects.filter(organization=organization).first()
        source = books.source_account if books else None
        if tab == Tab.VERIFIED:  # counted by a second request: the list never waits for it
            context["vat_counts_url"] = (
                reverse("accounting-vat-counts")
                + "?"
                + urlencode({k: v for k, v in without_tab.items() if k in FILTER_PARAMS and v})
            )
        context.update(
            filter_errors=_filter_errors(filterset),
            tab=tab,
            tabs=[(value, label, _badge(counts.get(value, 0))) for value, label in Tab.choices],
            filterset=filterset,
            page=page,
            filter_query=filter_query,
            matching_badge=_badge(counts.get(tab, 0)),
            # The list's filters, carried by the bulk form (its own `account` is the one to
            # assign, so the list's account filter is not).
            bulk_filter_fields=[
                (key, value)
                for key, value in without_tab.items()
                if key in FILTER_PARAMS - {"account"} and value
            ],
            count_url=reverse("accounting-matching-count")
            + "?"
            + urlencode({k: v for k, v in params.items() if k in FILTER_PARAMS and v}),
            source_account=source,
            budgets=organization.budgets.all(),
            employees=organization.employees.all(),
            latest_run=latest_run,
            findings=reconciliation_findings(organization=organization),
            latest_run_counts=run_counts(latest_run) if latest_run else None,
            books_name=books.provider.name if books else provider_names(),
            # Looked up once per page, not once for each of the 50 rows.
            here=self.request.get_full_path(),
            urls={
                "transaction": reverse("accounting-transaction", args=[0]).removesuffix("0/"),
                "assign": reverse("accounting-assign"),
                "unverify": reverse("accounting-unverify"),
                "search": reverse("account-search"),
            },
            words={
                "select": _("Select"),
                "account_for": _("Account for"),
                "placeholder": _("Account code or name"),
                "assign": _("Assign"),
                "unverify": _("Unverify"),
                "suggested": _("Suggested:"),
                "no_match": _("No account matches what you typed."),
                # "<provider> entry #" + the number, as accounting/_entry.html writes it.
                "entry": _("%(provider)s entry #%(number)s")
                % {"provider": books.provider.name if books else provider_names(), "number": ""},
                "open_in": _("open in %(provider)s")
                % {"provider": books.provider.name if books else provider_names()},
            },
            type_labels={value: str(label) for value, label in TransactionType.choices},
            direction_labels={value: str(label) for value, label in Direction.choices},
            status_labels={value: str(label) for value, label in TransactionStatus.choices},
            vat_labels={value: str(label) for value, label in VatEvidence.choices},
            provider=books,  # its entry_url: where the entry opens in the books
            editable_tab=tab in ASSIGNABLE_TABS,
        )
        return context


def _chosen_account(request: HttpRequest) -> int | None:
    """The account an assign form chose with the picker, or typed as a code."""
    return resolve_account_choice(
        organization=current_organization(request),
        account_id=request.POST.get("account", ""),
        account_code=request.POST.get("account_code", ""),
    )


class VatCountsPartial(RolePageMixin, View):
    """What the receipts say of the VAT of the Verified tab's transactions (its filters
    applied), and how many VATs "reclaim only backed VAT" would book gross: loaded after the
    list, so that counting a hundred thousand verified rows never slows the page."""

    page_permission = AccountingPermission

    def get(self, request: HttpRequest) -> HttpResponse:
        organization = current_organization(request)
        params = {k: v for k, v in request.GET.items() if k in FILTER_PARAMS}
        filterset = TransactionFilter(
            data={**params, "tab": Tab.VERIFIED},
            queryset=transaction_list(organization=organization),
            organization=organization,
        )
        if not filterset.is_valid():
            return HttpResponse(status=400)
        rows = filterset.qs
        counts = vat_evidence_counts(filtered=rows)
        labels = dict(VatEvidence.choices)
        gross = None
        if vat_reclaim_of(organization.pk) == VatReclaim.BACKED_ONLY:
            gross = (
                rows.filter(vat_amount__gt=0)
                .exclude(vat_evidence=VatEvidence.BACKED)
                .order_by()
                .count()
            )
        context = {
            "vat_counts": [(labels[value], n) for value, n in counts.items() if n],
            "vat_gross": gross,
        }
        return render(request, "accounting/_vat_counts.html", context)


class MatchingCount(RolePageMixin, View):
    """How many transactions the bulk form's filter matches, exactly: asked for when someone
    presses "Assign to all matching", so the list itself never pays for an exact count."""

    page_permission = AccountingPermission

    def get(self, request: HttpRequest) -> JsonResponse:
        organization = current_organization(request)
        filterset = TransactionFilter(
            data={k: v for k, v in request.GET.items() if k in FILTER_PARAMS},
            queryset=transaction_list(organization=organization),
            organization=organization,
        )
        if not filterset.is_valid():
            return JsonResponse({"errors": filterset.errors}, status=400)
        return JsonResponse({"count": filterset.qs.order_by().count()})


class AssignAction(ActionView):
    def act(self, request: HttpRequest) -> None:
        txn = assign_account(
            organization=current_organization(request),
            actor=request.user,
            transaction_id=posted_id(request, "transaction"),
            account_id=_chosen_account(request),
        )
        messages.success(
            request,
            _("%(reference)s verified with %(account)s.")
            % {"reference": txn.reference, "account": txn.account},
        )


class UnverifyAction(ActionView):
    def act(self, request: HttpRequest) -> None:
        txn = unverify_transaction(
            organization=current_organization(request),
            actor=request.user,
            transaction_id=posted_id(request, "transaction"),
        )
        messages.success(
            request, _("%(reference)s is back to unverified.") % {"reference": txn.reference}
        )


class BulkAssignAction(ActionView):
    def act(self, request: HttpRequest) -> None:
        organization = current_organization(request)
        if request.POST.get("scope") == "filter":
            filterset = TransactionFilter(
                # `account` in this form is the account to assign, not the list's filter.
                data={k: v for k, v in request.POST.items() if k in FILTER_PARAMS - {"account"}},
                queryset=transaction_list(organization=organization),
                organization=organization,
            )
            if not filterset.is_valid():
                raise ValidationError("The filter is not valid.")
            result = bulk_assign(
                organization=organization,
                actor=request.user,
                account_id=_chosen_account(request),
                matching=filterset.qs,
            )
        else:
            ids = [int(pk) for pk in request.POST.getlist("ids") if pk.isascii() and pk.isdecimal()]
            if not ids:
                raise ValidationError(_("Select at least one transaction."))
            result = bulk_assign(
                organization=organization,
                actor=request.user,
                account_id=_chosen_account(request),
                ids=ids,
            )
        text = ngettext(
            "%(n)s transaction verified.", "%(n)s transactions verified.", result.updated
        ) % {"n": result.updated}
        if result.skipped_count:
            text += " " + _("%(n)s skipped (already synced or in a sync run).") % {
                "n": result.skipped_count
            }
        messages.success(request, text)


class TransactionPage(RolePageMixin, View):
    page_permission = AccountingPermission

    def get(self, request: HttpRequest, transaction_id: int) -> HttpResponse:
        organization = current_organization(request)
        txn = transaction_get(organization=organization, transaction_id=transaction_id)
        books = connection_for(organization)
        name = str(books.provider.name) if books else provider_names()
        return render(
            request,
            "accounting/transaction.html",
            {
                "txn": txn,
                "books_name": name,
                "provider": books,
                "attachments_supported": books.attachments_supported if books else None,
                "audit": [
                    describe_event(event, provider=name)
                    for event in transaction_audit(transaction=txn)[:200]
                ],
                "corrections": txn.corrections.select_related("from_account", "to_account"),
                "updates_drafts": bool(books and books.provider.can_update_drafts),
                "failure": failure_in_words(txn.error_code, txn.status_reason, name)
                if txn.status == TransactionStatus.FAILED
                else "",
            },
        )


class DocumentDownload(RolePageMixin, View):
    page_permission = AccountingPermission

    def get(self, request: HttpRequest, document_id: int) -> FileResponse:
        document = get_object_or_404(
            Document, pk=document_id, organization=current_organization(request)
        )
        return FileResponse(
            document.file.open("rb"), content_type=document.content_type, filename=document.filename
        )
