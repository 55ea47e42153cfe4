"""Accounting menu pages (Django templates + htmx), calling the same services as the API."""

from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.core.exceptions import BadRequest, ValidationError
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    JsonResponse,
)
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
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
    SyncRunItemOutcome,
    Tab,
    TransactionStatus,
    TransactionType,
)
from accounting.presenters import describe_event, failure_in_words
from accounting.providers import connection_for, provider_names
from accounting.selectors import (
    reconciliation_findings,
    reconciliation_get,
    reconciliation_list,
    resolve_account_choice,
    sync_run_get,
    sync_run_items,
    sync_runs_with_counts,
    tab_counts,
    transaction_audit,
    transaction_get,
    transaction_list,
    transaction_page,
)
from accounting.services.reconciliation import acknowledge_reconciliation, nightly_range
from accounting.services.run_lifecycle import run_counts
from accounting.services.runs import (
    retry_failed,
    retry_failed_transactions,
    start_reconciliation,
    start_sync_run,
)
from accounting.services.verification import (
    assign_account,
    bulk_assign,
    unverify_transaction,
)
from sifi.exceptions import DomainError
from sifi.permissions import AccountingPermission, RolePageMixin, _RolePermission
from sifi.tenancy import current_organization


def _error_text(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    if isinstance(exc, DomainError):
        return exc.message
    return str(exc) or _("Not found.")


# The page's tab badges count exactly up to this many and show "1,000+" beyond: each badge is
# an index-only count of at most this many entries, and six of them are on every page view
# (the API's counts go to 5,000, and to any number with ?exact=true).
COUNT_CAP = 1_000


def _badge(count: int) -> str:
    """A tab badge: exact up to the cap, "5,000+" beyond."""
    return f"{COUNT_CAP:,}+" if count > COUNT_CAP else f"{count:,}"


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
        context.update(
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
                # "<provider> entry #" + the number, as accounting/_entry.html writes it.
                "entry": _("%(provider)s entry #%(number)s")
                % {"provider": books.provider.name if books else provider_names(), "number": ""},
                "open_in": _("open in %(provider)s")
                % {"provider": books.provider.name if books else provider_names()},
            },
            type_labels={value: str(label) for value, label in TransactionType.choices},
            direction_labels={value: str(label) for value, label in Direction.choices},
            status_labels={value: str(label) for value, label in TransactionStatus.choices},
            provider=books,  # its entry_url: where the entry opens in the books
            editable_tab=tab in ASSIGNABLE_TABS,
        )
        return context


class _ActionView(RolePageMixin, View):
    """POST-only actions: call a service, say what happened, go back to the list."""

    page_permission: type[_RolePermission] = AccountingPermission

    next_url = ""

    def back(self) -> HttpResponseRedirect:
        """Back to the page the form was on (or where the action says); never to another
        site: `next` comes from the request, so anyone can forge it."""
        target = self.next_url or self.request.POST.get("next", "")
        if not url_has_allowed_host_and_scheme(
            target,
            allowed_hosts={self.request.get_host()},
            require_https=self.request.is_secure(),
        ):
            target = reverse("accounting")
        return HttpResponseRedirect(target)

    def post(self, request: HttpRequest) -> HttpResponse:
        try:
            self.act(request)
        except (DomainError, ValidationError, Http404) as exc:
            messages.error(request, _error_text(exc))
        return self.back()

    def act(self, request: HttpRequest) -> None:
        raise NotImplementedError


def _posted_id(request: HttpRequest, field: str) -> int:
    """The id a form names in `field` (a hidden input); a 400 page if it is missing or not
    an id (a tampered form: a person cannot do anything about it but reload)."""
    raw = request.POST.get(field, "")
    if not (raw.isascii() and raw.isdecimal() and len(raw) <= 18):
        raise BadRequest(f"The form did not say which {field}.")
    return int(raw)


def _chosen_account(request: HttpRequest) -> int | None:
    """The account an assign form chose with the picker, or typed as a code."""
    return resolve_account_choice(
        organization=current_organization(request),
        account_id=request.POST.get("account", ""),
        account_code=request.POST.get("account_code", ""),
    )


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


class AssignAction(_ActionView):
    def act(self, request: HttpRequest) -> None:
        txn = assign_account(
            organization=current_organization(request),
            actor=request.user,
            transaction_id=_posted_id(request, "transaction"),
            account_id=_chosen_account(request),
        )
        messages.success(
            request,
            _("%(reference)s verified with %(account)s.")
            % {"reference": txn.reference, "account": txn.account},
        )


class UnverifyAction(_ActionView):
    def act(self, request: HttpRequest) -> None:
        txn = unverify_transaction(
            organization=current_organization(request),
            actor=request.user,
            transaction_id=_posted_id(request, "transaction"),
        )
        messages.success(
            request, _("%(reference)s is back to unverified.") % {"reference": txn.reference}
        )


class BulkAssignAction(_ActionView):
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


class SyncAction(_ActionView):
    def act(self, request: HttpRequest) -> None:
        run = start_sync_run(organization=current_organization(request), actor=request.user)
        messages.success(
            request,
            _("Sync run #%(id)s started with %(total)s transactions.")
            % {"id": run.pk, "total": run.total},
        )


class SyncRunProgress(RolePageMixin, TemplateView):
    page_permission = AccountingPermission
    template_name = "accounting/_run_progress.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        organization = current_organization(self.request)
        run = sync_run_get(organization=organization, run_id=kwargs["run_id"])
        books = connection_for(organization)
        return {
            "latest_run": run,
            "latest_run_counts": run_counts(run),
            "books_name": books.provider.name if books else provider_names(),
        }


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
                "failure": failure_in_words(txn.error_code, txn.status_reason, name)
                if txn.status == TransactionStatus.FAILED
                else "",
            },
        )


class SyncRunsPage(RolePageMixin, TemplateView):
    """Accounting → Sync runs: who started each, when, how it went, how long it took."""

    page_permission = AccountingPermission
    template_name = "accounting/runs.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        runs = sync_runs_with_counts(organization=current_organization(self.request))
        context["runs"] = runs[:100]
        return context


class SyncRunPage(RolePageMixin, TemplateView):
    """One run: its progress while it runs, each transaction's result, failures in words with
    what to do, and "Retry failed"."""

    page_permission = AccountingPermission
    template_name = "accounting/run.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        organization = current_organization(self.request)
        run = sync_run_get(organization=organization, run_id=kwargs["run_id"])
        outcome = self.request.GET.get("outcome", "")
        if outcome not in SyncRunItemOutcome.values:
            outcome = ""
        after = self.request.GET.get("after", "")
        items = sync_run_items(
            run=run, outcome=outcome, after=int(after) if after.isascii() and after.isdigit() else 0
        )
        books = connection_for(organization)
        name = str(books.provider.name) if books else provider_names()
        rows = [
            (
                item,
                failure_in_words(item.error_code, item.error, name)
                if item.outcome == SyncRunItemOutcome.FAILED
                else "",
            )
            for item in items
        ]
        context.update(
            run=run,
            latest_run=run,
            latest_run_counts=run_counts(run),
            rows=rows,
            outcome=outcome,
            outcomes=SyncRunItemOutcome.choices,
            older=items[-1].pk if len(items) == 100 else None,
            books_name=name,
            provider=books,  # its entry_url: where the entry opens in the books
        )
        return context


class RetryRunFailedAction(_ActionView):
    def act(self, request: HttpRequest) -> None:
        organization = current_organization(request)
        run = retry_failed(
            organization=organization,
            actor=request.user,
            run_id=sync_run_get(organization=organization, run_id=_posted_id(request, "run")).pk,
        )
        self.next_url = reverse("accounting-run", args=[run.pk])
        messages.success(
            request,
            _("Sync run #%(id)s started with %(total)s transactions.")
            % {"id": run.pk, "total": run.total},
        )


class RetryFailedAction(_ActionView):
    """The Failed tab's "Retry selected" and "Retry all failed"."""

    def act(self, request: HttpRequest) -> None:
        ids = None
        if request.POST.get("scope") != "all":
            ids = [int(pk) for pk in request.POST.getlist("ids") if pk.isascii() and pk.isdigit()]
            if not ids:
                raise ValidationError(_("Select at least one transaction."))
        run = retry_failed_transactions(
            organization=current_organization(request), actor=request.user, ids=ids
        )
        self.next_url = reverse("accounting-run", args=[run.pk])
        messages.success(
            request,
            _("Sync run #%(id)s started with %(total)s transactions.")
            % {"id": run.pk, "total": run.total},
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


# --- reconciliation ----------------------------------------------------------------------------


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


class StartReconciliationAction(_ActionView):
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


class DismissReconciliationAction(_ActionView):
    def act(self, request: HttpRequest) -> None:
        acknowledge_reconciliation(
            organization=current_organization(request),
            actor=request.user,
            reconciliation_id=_posted_id(request, "reconciliation"),
        )


class ReconciliationForm(forms.Form):
    date_from = forms.DateField()
    date_to = forms.DateField()
