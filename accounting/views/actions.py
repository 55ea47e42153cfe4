"""What every POST action of the Accounting pages does: call a service, say what happened
(or what is wrong), go back to the page the form was on."""

from django.contrib import messages
from django.core.exceptions import BadRequest, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views import View

from sifi.exceptions import DomainError
from sifi.permissions import AccountingPermission, RolePageMixin, _RolePermission


def _error_text(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    if isinstance(exc, DomainError):
        return exc.message
    return str(exc) or _("Not found.")


class ActionView(RolePageMixin, View):
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


def posted_id(request: HttpRequest, field: str) -> int:
    """The id a form names in `field` (a hidden input); a 400 page if it is missing or not
    an id (a tampered form: a person cannot do anything about it but reload)."""
    raw = request.POST.get(field, "")
    if not (raw.isascii() and raw.isdecimal() and len(raw) <= 18):
        raise BadRequest(f"The form did not say which {field}.")
    return int(raw)
