"""An accounting system as the ledger knows it: the `Provider` base, the capabilities it
declares (how files travel, an idempotency key, a draft that needs a second call) and the
credentials it opens a session with."""

from collections.abc import Mapping
from enum import StrEnum
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from accounting.providers.budgets import RequestBudget
from accounting.providers.sessions import ProviderSession

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class AttachmentFlow(StrEnum):
    """How a receipt reaches the entry in the books."""

    # The entry is created, then each file is attached to it (`attach_document(entry_id)`).
    ATTACH_AFTER_CREATE = "attach_after_create"
    # Each file is uploaded on its own first (`UploadingSession.upload_document`) and the
    # create carries their ids (`create_draft_entry(draft, attachments=...)`).
    UPLOAD_BEFORE_CREATE = "upload_before_create"


class Credentials(dict[str, str]):
    """What a provider needs to open a session, by name: where the books are (an address, a
    database, a login, the provider's company) and the secrets (an API key, OAuth tokens).

    A session that refreshes its secrets (OAuth's rotating tokens) stores them with
    `write_back`, a compare-and-set: the change is written only if the stored secrets are still
    the `previous` ones this session read; otherwise another worker refreshed first and its
    secrets win. Either way the answer is the secrets stored now, and this mapping holds them.
    """

    def __init__(
        self,
        values: Mapping[str, str] | None = None,
        *,
        write_back: "SecretsWriter | None" = None,
    ) -> None:
        super().__init__(values or {})
        self._write_back = write_back

    def write_back(
        self, *, previous: Mapping[str, str], changes: Mapping[str, str]
    ) -> dict[str, str]:
        if self._write_back is None:
            raise RuntimeError(
                "These credentials cannot be written back (not a stored connection)."
            )
        stored = self._write_back(previous=previous, changes=changes)
        self.update(stored)
        return stored


class SecretsWriter(Protocol):
    def __call__(
        self, *, previous: Mapping[str, str], changes: Mapping[str, str]
    ) -> dict[str, str]: ...


class Provider:
    """Base of every accounting system (like healthchecks' `Transport`): one subclass per
    provider package, registered in `settings.ACCOUNTING_PROVIDERS` under its `key`.

    Capabilities (class attributes) tell the sync engine what these books do; the defaults
    are the plain path (create the draft, then attach each file; no key; a draft at once)."""

    key: ClassVar[str]
    name: ClassVar["StrOrPromise"]  # shown to people, in their language
    description: ClassVar["StrOrPromise"] = ""
    # Books that file entries in journals: the organization picks the journal ours go to.
    keeps_journals: ClassVar[bool] = False
    # How an organization connects these books: the dotted path of the integrations app's
    # connect flow (`integrations.connect`); the ledger itself never loads it.
    connect_flow: ClassVar[str] = ""
    # How files travel: attached after the create, or uploaded first and carried by it (the
    # session is then an `UploadingSession`).
    attachment_flow: ClassVar[AttachmentFlow] = AttachmentFlow.ATTACH_AFTER_CREATE
    # The provider deduplicates writes by a key we send: the engine derives one from the
    # organization, our reference and what it sends (the same on every retry of the same
    # entry) and gives it to `create_draft_entry(..., idempotency_key=)`.
    takes_idempotency_key: ClassVar[bool] = False
    # The create may answer an entry that is not a draft yet (`EntryRef.needs_draft_step`):
    # the engine then calls `mark_as_draft` once the entry id is stored, and, after an
    # unknown outcome, asks the books before calling it again (the session is then a
    # `RedraftingSession`).
    draft_may_need_second_call: ClassVar[bool] = False
    # The API updates an entry in place while the books hold it as a draft (the session is
    # then an `EditingSession`): a synced transaction can be reassigned without a second
    # entry. False: corrections are made by hand in the books.
    can_update_drafts: ClassVar[bool] = False
    # The provider's account types in words people read ("asset_cash": "Bank and Cash").
    account_type_labels: ClassVar[Mapping[str, "StrOrPromise"]] = {}
    # Books whose payment side must be an account that takes payments (`receive_payments`):
    # the Source Account picker offers only those, and the configuration refuses others.
    source_account_must_take_payments: ClassVar[bool] = False
    # The books say their lock date when asked (the session is a `LockReadingSession`): the
    # engine reads it once per run and refuses or moves entries dated in the closed period
    # before sending them. Others say it only in a refusal (`PeriodClosed`).
    reads_lock_date: ClassVar[bool] = False
    # Books that take VAT as a tax rate rather than a line on an Input VAT account name the
    # configuration option that holds the tax rate's id ("": an Input VAT account).
    input_vat_option: ClassVar[str] = ""
    # Books that take reverse charge (foreign services) as output and input VAT lines of their
    # own, on accounts; False: such transactions fail, saying these books cannot take it.
    books_reverse_charge: ClassVar[bool] = True

    def open_session(
        self,
        credentials: dict[str, str],
        *,
        journal: str | None = None,
        max_wait: float | None = None,
        options: Mapping[str, Any] | None = None,
    ) -> ProviderSession:
        """A session with the company's books. `credentials` are what the connection stores
        (an API key; for some providers also an address, a database, a login, a company);
        `journal` is the journal new entries go to, for books that keep journals (None: the
        provider's default). A request waits at most `max_wait` seconds for the company's
        request budget (None: as long as it takes); beyond it the session raises
        `RateLimited` with the wait, sending nothing. `options` are the connection's
        provider-specific configuration values (its connect flow's `options`, defaults filled
        in: a daily quota, a switch), by name."""
        raise NotImplementedError

    def estimated_requests(self, *, entries: int, files: int) -> int:
        """Requests pushing `entries` entries that carry `files` files in all takes, at most:
        one create each, one call per file (attached after, or uploaded before), and the
        second call of a draft where the books may need it."""
        requests = entries + files
        if self.draft_may_need_second_call:
            requests += entries
        return requests

    def request_budget(
        self, credentials: dict[str, str], *, options: Mapping[str, Any] | None = None
    ) -> RequestBudget | None:
        """The company's request budget, shared with every session (None: no limit); one
        window or several (`RequestBudget.windows`), which may depend on `options` (a plan's
        daily quota set on the configuration page)."""
        return None

    def account_type_label(self, account_type: str) -> "StrOrPromise":
        """An account's type (`Account.type`, the provider's own word) as people read it, in
        their language (`account_type_labels`); the type itself where the provider has no
        label for it (its words are already readable, or the type is unknown)."""
        return self.account_type_labels.get(account_type, account_type)

    def is_draft(self, status: str) -> bool:
        """Whether an entry in this `status` (the provider's word, `HeldEntry.status`) is
        still a draft the API may update ("draft", "DRAFT" by default)."""
        return status.strip().lower() == "draft"

    def entry_url(self, entry_id: str | None, *, credentials: dict[str, str] | None = None) -> str:
        """Where a person opens the entry in the provider's own web app ("" if unknown);
        `credentials` say where the books are, for providers each organization points at."""
        return ""
