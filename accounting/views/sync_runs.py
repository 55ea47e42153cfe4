"""Accounting → Sync runs: start one, follow its progress, each transaction's result, and
retry the failed."""

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views import View
from django.views.generic import TemplateView

from accounting.models import SyncRun, SyncRunItemOutcome
from accounting.presenters import failure_in_words, retry_hint
from accounting.providers import connection_for, provider_names
from accounting.selectors import (
    sync_run_failure_codes,
    sync_run_get,
    sync_run_items,
    sync_runs_with_counts,
)
from accounting.services.closed_periods import open_day_offer
from accounting.services.estimate import sync_estimate
from accounting.services.run_lifecycle import run_counts
from accounting.services.runs import (
    book_on_open_day,
    retry_failed,
    retry_failed_transactions,
    start_sync_run,
)
from accounting.views.actions import ActionView, posted_id
from sifi.permissions import AccountingPermission, RolePageMixin
from sifi.tenancy import current_organization


def _started(run: SyncRun) -> str:
    return ngettext(
        "Sync run #%(number)s started with %(total)s transaction.",
        "Sync run #%(number)s started with %(total)s transactions.",
        run.total,
    ) % {"number": run.number, "total": run.total}


class SyncAction(ActionView):
    def act(self, request: HttpRequest) -> None:
        run = start_sync_run(organization=current_organization(request), actor=request.user)
        messages.success(request, _started(run))


class SyncEstimateView(RolePageMixin, View):
    """What syncing the verified transactions now will cost, asked for when someone presses
    the sync button: a long run (a daily quota: days) is confirmed with the estimate."""

    page_permission = AccountingPermission

    def get(self, request: HttpRequest) -> JsonResponse:
        estimate = sync_estimate(current_organization(request))
        return JsonResponse({"question": estimate.question, "requests": estimate.requests})


class SyncRunProgress(RolePageMixin, TemplateView):
    """The progress of a run, polled by htmx while it runs. The poll that finds it over
    reloads the page: its tabs, counts and rows were drawn while the run was still going."""

    page_permission = AccountingPermission
    template_name = "accounting/_run_progress.html"

    def render_to_response(self, context: dict[str, Any], **kwargs: Any) -> HttpResponse:
        response = super().render_to_response(context, **kwargs)
        if not context["latest_run"].is_active:
            response["HX-Refresh"] = "true"
        return response

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        organization = current_organization(self.request)
        run = sync_run_get(organization=organization, run_id=kwargs["run_id"])
        books = connection_for(organization)
        return {
            "latest_run": run,
            "latest_run_counts": run_counts(run),
            "books_name": books.provider.name if books else provider_names(),
        }


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
            retry_hint=retry_hint(sync_run_failure_codes(run=run), name),
            open_day=None if run.is_active else open_day_offer(run),
            provider=books,  # its entry_url: where the entry opens in the books
        )
        return context


class RetryRunFailedAction(ActionView):
    def act(self, request: HttpRequest) -> None:
        organization = current_organization(request)
        run = retry_failed(
            organization=organization,
            actor=request.user,
            run_id=sync_run_get(organization=organization, run_id=posted_id(request, "run")).pk,
        )
        self.next_url = reverse("accounting-run", args=[run.pk])
        messages.success(request, _started(run))


class BookOnOpenDayAction(ActionView):
    """The run page's "Book on <first open day>" for its closed-period failures."""

    def act(self, request: HttpRequest) -> None:
        organization = current_organization(request)
        run = book_on_open_day(
            organization=organization,
            actor=request.user,
            run_id=sync_run_get(organization=organization, run_id=posted_id(request, "run")).pk,
        )
        self.next_url = reverse("accounting-run", args=[run.pk])
        messages.success(request, _started(run))


class RetryFailedAction(ActionView):
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
        messages.success(request, _started(run))
