"""The transaction page's correction form: reassign a synced transaction (issue 26)."""

from django.contrib import messages
from django.http import HttpRequest
from django.utils.translation import gettext as _

from accounting.models import CorrectionState
from accounting.providers import connection_for
from accounting.services.corrections import reassign_synced
from accounting.views.actions import ActionView, posted_id
from accounting.views.transactions import _chosen_account
from sifi.tenancy import current_organization


class ReassignAction(ActionView):
    """Correct a synced transaction's account: in place in the books while they hold the
    entry as a draft and their API allows it; otherwise what to change by hand."""

    def act(self, request: HttpRequest) -> None:
        organization = current_organization(request)
        correction = reassign_synced(
            organization=organization,
            actor=request.user,
            transaction_id=posted_id(request, "transaction"),
            account_id=_chosen_account(request),
        )
        books = connection_for(organization)
        values = {
            "provider": books.provider.name if books else "",
            "entry": correction.journal_entry_id,
            "account": correction.to_account,
        }
        if correction.state == CorrectionState.UPDATED:
            messages.success(
                request, _("Entry %(entry)s in %(provider)s now books it on %(account)s.") % values
            )
        elif correction.state == CorrectionState.BY_HAND:
            messages.warning(request, correction.reason)
        elif correction.state == CorrectionState.REFUSED:
            messages.error(request, correction.reason)
        else:
            messages.warning(
                request,
                _(
                    "%(provider)s did not answer; whether entry %(entry)s changed is not known. "
                    "Correct it again: SiFi reads the entry first and never changes it twice."
                )
                % values,
            )
