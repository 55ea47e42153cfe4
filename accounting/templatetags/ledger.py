"""How the ledger's pages write amounts and entries."""

from decimal import Decimal, InvalidOperation
from typing import Any

from django import template
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

register = template.Library()


@register.filter
def money(value: Any) -> str:
    """An amount as Saudi finance teams read it in both languages: Western digits, a point
    before the halalas and commas between thousands ("12,482.48"). Django's Arabic number
    format writes "482,48", which reads as four hundred and eighty-two thousand and
    forty-eight to anyone used to Saudi bank statements."""
    if value is None or value == "":
        return ""
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        return str(value)
    return f"{amount:,.2f}"


@register.filter
def entry_url(entry_id: str | None, provider: Any) -> str:
    """Where the entry opens in the provider's own web app ("" when unknown); `provider` is
    the organization's connection (it knows where its books are) or a provider."""
    return provider.entry_url(entry_id) if provider is not None and entry_id else ""


@register.filter
def lookup(labels: dict[str, str], key: str) -> str:
    """`labels[key]`, for words looked up once per page instead of once per row."""
    return labels.get(key, key)


@register.simple_tag
def run_waiting_reason(run: Any, books_name: Any) -> str:
    """Why the sync run waits ("" when it pushes): `accounting.services.run_lifecycle`."""
    from accounting.services.run_lifecycle import waiting_reason

    return waiting_reason(run, books_name=books_name) if run is not None else ""


@register.filter
def run_took(run: Any) -> str:
    """How long a finished run took, in the unit that fits: seconds under a minute ("2
    seconds", never "0 minutes"), else minutes and hours ("3 minutes", "1 hour, 5 minutes");
    "" while it has not finished."""
    if run.started_at is None or run.finished_at is None:
        return ""
    seconds = int((run.finished_at - run.started_at).total_seconds())
    if seconds < 1:
        return _("less than a second")
    if seconds < 60:
        return ngettext("%(n)s second", "%(n)s seconds", seconds) % {"n": seconds}
    # Our own words rather than Django's timesince: its Arabic says the number beside the
    # dual ("2 دقيقتين"), where Arabic says "دقيقتان" alone; each form is the catalogue's.
    hours, minutes = divmod(seconds // 60, 60)
    in_minutes = ngettext("%(n)s minute", "%(n)s minutes", minutes) % {"n": minutes}
    if not hours:
        return in_minutes
    in_hours = ngettext("%(n)s hour", "%(n)s hours", hours) % {"n": hours}
    if not minutes:
        return in_hours
    return _("%(hours)s, %(minutes)s") % {"hours": in_hours, "minutes": in_minutes}


# A journal entry's status as the books answered it ("Draft", "draft", "DRAFT", "posted",
# "Awaiting for Approval"...), in the page's language: one word per state.
ENTRY_STATUS_LABELS = {
    "draft": gettext_lazy("Draft"),
    "posted": gettext_lazy("Posted"),
    "published": gettext_lazy("Published"),
    "approved": gettext_lazy("Approved"),
    "awaiting for approval": gettext_lazy("Awaiting approval"),
    "awaiting approval": gettext_lazy("Awaiting approval"),
    "pending approval": gettext_lazy("Awaiting approval"),
    "cancel": gettext_lazy("Cancelled"),
    "cancelled": gettext_lazy("Cancelled"),
    "void": gettext_lazy("Void"),
}


@register.filter
def entry_status(status: str | None) -> str:
    """The entry's status in words of the page's language; a status we do not know is shown
    as the books wrote it."""
    if not status:
        return ""
    key = " ".join(str(status).replace("_", " ").split()).lower()
    label = ENTRY_STATUS_LABELS.get(key)
    return str(label) if label is not None else str(status)
