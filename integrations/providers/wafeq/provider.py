"""Wafeq behind the ledger's provider interface (`accounting.providers`), SPEC §3b.

Wafeq's API has no draft journal: the only object of our lines it keeps as a draft is the
expense. So a session writes
- a debit draft (money out of the wallet) as one Wafeq **expense**: its files uploaded first
  (`upload_document`) and carried by the create, our reference as `external_id`, the VAT line
  as the expense's `tax_rate` (the line names the tax rate's id: `BooksConnection.input_vat`);
  when Wafeq answers it POSTED, the engine calls `mark_as_draft`;
- a credit draft (a refund, money received) as one signed **manual journal**, which Wafeq posts
  at once, only when the organization turned the switch on
  (`post_credits_as_manual_journals`); otherwise it is refused with the reason, and a retry
  after the switch is turned on pushes it.

Every create the engine makes carries its idempotency key (`takes_idempotency_key`): the client
resends it after an unknown outcome and Wafeq replays the original within its hour; after that
the lookup by `external_id` finds the entry (every row checked). Errors need no translation:
the client's are the neutral ones already (`errors.py`).
"""

import datetime
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounting import journal
from accounting.providers import (
    AttachmentFlow,
    AttachmentRef,
    ChartAccount,
    EntryRef,
    HeldEntry,
    Provider,
)
from integrations.http_client import ClientSession
from integrations.providers.wafeq import payloads
from integrations.providers.wafeq.client import WafeqClient
from integrations.providers.wafeq.errors import (
    DraftNotExpressible,
    WafeqEntryPosted,
    WafeqRejected,
    WafeqUnavailable,
)
from integrations.providers.wafeq.objects import WafeqOrganization, WafeqTaxRate
from integrations.providers.wafeq.ratelimit import limiter_for_api_key
from integrations.ratelimit import RedisRateLimiter

# The configuration options Wafeq's connection keeps (`Integration.options`).
POST_CREDITS = "post_credits_as_manual_journals"
INPUT_VAT_TAX_RATE = "input_vat_tax_rate"
# Wafeq's ids carry their kind: a manual journal's starts so, anything else is asked for as an
# expense (an id that is neither is simply not found).
JOURNAL_PREFIX = "jou_"


def credits_off_message() -> str:
    return _(
        "This is a refund or money received: Wafeq's API has no draft for it, only a manual "
        "journal that Wafeq posts at once. Turn on “Post refunds and money received as "
        "manual journals” on the Wafeq configuration page, then retry."
    )


def open_wafeq_client(api_key: str, *, max_wait: float | None = None) -> WafeqClient:
    """A client for the organization the key is bound to, sharing that key's request budget
    with every worker (waiting at most `max_wait` seconds for a slot; None: as long as it
    takes)."""
    return WafeqClient(
        api_key,
        base_url=settings.WAFEQ_BASE_URL,
        timeout=settings.WAFEQ_TIMEOUT_SECONDS,
        retry_base_seconds=settings.WAFEQ_RETRY_BASE_SECONDS,
        rate_limiter=wafeq_budget(api_key, max_wait=max_wait),
    )


def wafeq_budget(api_key: str, *, max_wait: float | None = None) -> RedisRateLimiter:
    return limiter_for_api_key(
        api_key, per_minute=max(1, int(settings.WAFEQ_RATE_LIMIT_PER_MINUTE)), max_wait=max_wait
    )


def _is_journal(entry_id: str) -> bool:
    return entry_id.startswith(JOURNAL_PREFIX)


class WafeqSession(ClientSession[WafeqClient]):
    """An open connection to one Wafeq organization's books, as the ledger's
    `UploadingSession` and `RedraftingSession`."""

    def __init__(self, client: WafeqClient, *, options: Mapping[str, Any] | None = None) -> None:
        self.client = client
        self.options = dict(options or {})
        self._organization: WafeqOrganization | None = None

    @property
    def posts_credits(self) -> bool:
        return bool(self.options.get(POST_CREDITS))

    def organization(self) -> WafeqOrganization:
        if self._organization is None:
            self._organization = self.client.organization()
        return self._organization

    # --- the chart and its tax rates ---------------------------------------------------------

    def read_chart(self) -> list[ChartAccount]:
        return payloads.chart_from(self.client.accounts())

    def read_tax_rates(self) -> list[WafeqTaxRate]:
        """Wafeq's tax rates (an expense's `tax_rate` takes one's id)."""
        return self.client.tax_rates()

    # --- entries -----------------------------------------------------------------------------

    def upload_document(self, *, filename: str, content: bytes, content_type: str) -> AttachmentRef:
        """`POST /files/`: the id a create carries in `attachments`. Wafeq declares no
        idempotency key on uploads: a resent upload would leave an orphan file, so the client
        does not resend it; the engine keeps the id once it has one."""
        uploaded = self.client.upload_file(filename, content, content_type)
        return AttachmentRef(id=uploaded.id)

    def create_draft_entry(
        self,
        draft: journal.JournalEntryDraft,
        *,
        attachments: Sequence[AttachmentRef] = (),
        idempotency_key: str | None = None,
    ) -> EntryRef:
        """A debit draft as one DRAFT expense (its VAT line, when there is one, names the tax
        rate); a credit draft as one manual journal when the switch is on, else refused with
        the reason before anything is sent."""
        files = [file.id for file in attachments if file.id]
        if draft.direction == journal.CREDIT:
            if not self.posts_credits:
                raise DraftNotExpressible(credits_off_message())
            body = payloads.manual_journal_body(
                draft,
                base_currency=self.organization().base_currency or draft.currency,
                vat_tax_rate=_vat_line_account(draft.credit_lines),
                attachments=files,
            )
            created = self.client.create_manual_journal(body, idempotency_key)
            return payloads.entry_ref_from_journal(created)
        body = payloads.expense_body(
            draft, vat_tax_rate=_vat_line_account(draft.debit_lines), attachments=files
        )
        return payloads.entry_ref_from_expense(self.client.create_expense(body, idempotency_key))

    def mark_as_draft(self, entry_id: str) -> EntryRef:
        if _is_journal(entry_id):  # never answered as needing it: Wafeq keeps no draft journal
            journal_found = self.client.get_manual_journal(entry_id)
            if journal_found is None:
                raise WafeqUnavailable(_("Wafeq has no manual journal %(id)s.") % {"id": entry_id})
            return payloads.entry_ref_from_journal(journal_found)
        return payloads.entry_ref_from_expense(self.client.mark_expense_as_draft(entry_id))

    def update_draft_entry(self, entry_id: str, draft: journal.JournalEntryDraft) -> EntryRef:
        """A draft expense corrected with one PATCH (its accounts, amount and tax rate). A
        manual journal is posted by Wafeq at once: never changed here (`WafeqEntryPosted`).
        Whether Wafeq refuses a PATCH of a posted expense is not documented: the ledger reads
        the status first and never sends one; a refusal is read again, and an expense posted
        meanwhile is `WafeqEntryPosted` (a `NotADraft`)."""
        if _is_journal(entry_id):
            raise WafeqEntryPosted(
                _("Wafeq posts manual journals at once; this one cannot be changed from SiFi.")
            )
        changes = payloads.expense_changes(draft, vat_tax_rate=_vat_line_account(draft.debit_lines))
        try:
            updated = self.client.update_expense(entry_id, changes)
        except WafeqRejected as exc:
            current = self.client.get_expense(entry_id)
            if current is not None and not current.is_draft:
                raise WafeqEntryPosted(
                    exc.message,
                    errors=exc.errors,
                    status_code=exc.status_code,
                    raw_body=exc.raw_body,
                ) from None
            raise
        return payloads.entry_ref_from_expense(updated)

    def find_entry(self, *, reference: str, date: datetime.date) -> EntryRef | None:
        """The oldest expense, else manual journal, that really carries our reference as its
        `external_id` on that date."""
        expenses = [e for e in self.client.find_expenses(reference) if e.date == date]
        if expenses:
            return payloads.entry_ref_from_expense(expenses[0])
        journals = [j for j in self.client.find_manual_journals(reference) if j.date == date]
        if journals:
            return payloads.entry_ref_from_journal(journals[0])
        return None

    def attach_document(
        self, entry_id: str, *, filename: str, content: bytes, content_type: str
    ) -> AttachmentRef:
        """A file for an entry that exists already (a late receipt): uploaded, then added to
        the entry's `attachments` (Wafeq's PATCH replaces the list: read, then merged)."""
        uploaded = self.client.upload_file(filename, content, content_type)
        if _is_journal(entry_id):
            self.client.add_manual_journal_attachments(entry_id, [uploaded.id])
        else:
            self.client.add_expense_attachments(entry_id, [uploaded.id])
        return AttachmentRef(id=uploaded.id)

    def attach_uploaded(self, entry_id: str, attachment_ids: Sequence[str]) -> None:
        """Files uploaded first (`upload_document`), added to an entry that exists already:
        the entry is read and its `attachments` sent merged, so an id it holds is not added
        twice (safe to call again after an unknown outcome)."""
        if _is_journal(entry_id):
            self.client.add_manual_journal_attachments(entry_id, list(attachment_ids))
        else:
            self.client.add_expense_attachments(entry_id, list(attachment_ids))

    def list_entries(self, *, date_from: datetime.date, date_to: datetime.date) -> list[HeldEntry]:
        """Every expense and manual journal dated in the range, oldest first by date."""
        held = [
            *(
                payloads.held_entry_from_expense(e)
                for e in self.client.list_expenses(date_from=date_from, date_to=date_to)
            ),
            *(
                payloads.held_entry_from_journal(j)
                for j in self.client.list_manual_journals(date_from=date_from, date_to=date_to)
            ),
        ]
        return sorted(held, key=lambda entry: entry.date or date_from)

    def get_entries(self, entry_ids: list[str]) -> dict[str, HeldEntry | None]:
        found: dict[str, HeldEntry | None] = {}
        for entry_id in entry_ids:
            if _is_journal(entry_id):
                manual = self.client.get_manual_journal(entry_id)
                found[entry_id] = payloads.held_entry_from_journal(manual) if manual else None
            else:
                expense = self.client.get_expense(entry_id)
                found[entry_id] = payloads.held_entry_from_expense(expense) if expense else None
        return found


def _vat_line_account(lines: Sequence[journal.JournalLine]) -> str | None:
    """The tax rate a draft's VAT line names: the second line on the assigned side
    (`journal_entry_for` puts the assigned line first), None without one."""
    return lines[1].account if len(lines) > 1 else None


if TYPE_CHECKING:
    pass

# Wafeq's account classifications as people read them.
ACCOUNT_TYPE_LABELS = {
    "ASSET": gettext_lazy("Asset"),
    "LIABILITY": gettext_lazy("Liability"),
    "EQUITY": gettext_lazy("Equity"),
    "REVENUE": gettext_lazy("Revenue"),
    "EXPENSE": gettext_lazy("Expense"),
}


class WafeqProvider(Provider):
    key = "wafeq"
    account_type_labels = ACCOUNT_TYPE_LABELS
    connect_flow = "integrations.providers.wafeq.connect.WafeqConnect"
    name = gettext_lazy("Wafeq")
    description = gettext_lazy(
        "Wafeq (Saudi Arabia, UAE): chart of accounts and tax rates in, draft expenses with "
        "receipts out; refunds as manual journals if you allow it."
    )
    attachment_flow = AttachmentFlow.UPLOAD_BEFORE_CREATE
    takes_idempotency_key = True
    draft_may_need_second_call = True
    can_update_drafts = True  # a DRAFT expense, with a PATCH (manual journals are posted)
    source_account_must_take_payments = True
    input_vat_option = INPUT_VAT_TAX_RATE
    # An expense is one account paid through one other: no room for reverse charge's output
    # and input VAT lines.
    books_reverse_charge = False

    def entry_url(self, entry_id: str | None, *, credentials: dict[str, str] | None = None) -> str:
        pattern = settings.WAFEQ_ENTRY_URL
        if not pattern or not entry_id:
            return ""
        kind = "manual-journals" if _is_journal(entry_id) else "expenses"
        return pattern.format(kind=kind, id=entry_id)

    def open_session(
        self,
        credentials: dict[str, str],
        *,
        journal: str | None = None,
        max_wait: float | None = None,
        options: Mapping[str, Any] | None = None,
    ) -> WafeqSession:
        return WafeqSession(
            open_wafeq_client(credentials["api_key"], max_wait=max_wait), options=options
        )

    def request_budget(
        self, credentials: dict[str, str], *, options: Mapping[str, Any] | None = None
    ) -> RedisRateLimiter:
        return wafeq_budget(credentials["api_key"])
