"""How the provider contract suites drive each provider's sandbox.

Every provider registered in settings.ACCOUNTING_PROVIDERS has a harness here: a way to open
sessions against its sandbox over real HTTP (through the registry, as the product does), to
connect an organization to the sandbox's demo books (the engine suite), to inject faults,
and to read back what the sandbox holds, in the ledger's words (ids as the strings the
ledger keeps, whatever the provider's wire type). A provider package adds its row to
HARNESSES when it is registered; the suites fail for one without.

Faults use the sandbox kit's kinds ("500", "drop_after_commit", ...), which every sandbox
shares; a harness says which its sandbox answers (`fault_kinds`: Qoyod has no proxy in front,
so no 502) and where a create or an attachment call goes.
"""

import datetime
import html
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, ClassVar, Literal

from accounting.models import Account
from accounting.providers import ProviderSession, provider_for
from integrations.models import ConnectionStatus, Integration
from integrations.providers.zoho_books.sandbox import seed as zoho_seed
from sifi.models import Organization
from tests.factories import make_account, make_org

CENT = Decimal("0.01")

FaultKind = Literal["server_error", "rate_limited", "stored_then_lost"]
Call = Literal["create", "attach"]


@dataclass(frozen=True)
class HeldLine:
    account: str
    side: str
    amount: Decimal
    memo: str = ""  # what the line says besides its amount (receipt links travel here)


@dataclass(frozen=True)
class HeldFile:
    name: str
    content_type: str
    size: int


@dataclass(frozen=True)
class HeldEntry:
    """A journal entry as the provider's sandbox holds it."""

    id: str
    reference: str
    date: datetime.date
    status: str
    lines: tuple[HeldLine, ...]
    files: tuple[HeldFile, ...]
    description: str = ""

    @property
    def attachments(self) -> int:
        return len(self.files)

    def totals(self) -> tuple[Decimal, Decimal]:
        """(debits, credits)."""
        debits = sum((line.amount for line in self.lines if line.side == "debit"), Decimal(0))
        credits = sum((line.amount for line in self.lines if line.side == "credit"), Decimal(0))
        return debits, credits


@dataclass(frozen=True)
class RefusedAccount:
    """An account the ledger holds that the books refuse entries on, and the words of their
    refusal a person must read."""

    external_id: str
    code: str
    name: str
    words: tuple[str, ...]


class SandboxHarness:
    key: ClassVar[str]
    name: ClassVar[str]  # as people read it in our messages
    expense_account: ClassVar[str]
    wallet_account: ClassVar[str]
    input_vat_account: ClassVar[str]
    chart: ClassVar[dict[str, tuple[str, str]]]  # the ids above: their (code, name)
    unknown_account = "424242"
    unknown_entry = "987654321"
    draft_status: ClassVar[str]
    refused_account: ClassVar[RefusedAccount]
    refused_credentials_words: ClassVar[tuple[str, ...]]  # what a stopped run says
    fault_kinds: ClassVar[tuple[str, ...]]
    stored_then_lost: ClassVar[str]  # the fault kind that stores a create, then loses it
    # The books give every account a code (Zoho's own system accounts have none: "").
    every_account_has_a_code: ClassVar[bool] = True
    # The books keep several lines on one side of an entry (Wafeq's expense: one account a side).
    splits_a_side: ClassVar[bool] = True
    # A create the engine sends with an idempotency key is answered again by the books when
    # resent after a lost answer (Wafeq replays it): found so, not adopted by the lookup.
    replays_keyed_creates: ClassVar[bool] = False

    def __init__(self, sandbox: Any) -> None:
        self.sandbox = sandbox

    # --- sessions (the session contract) --------------------------------------------------

    def session(self, *, valid: bool = True) -> ProviderSession:
        raise NotImplementedError

    def fault(self, kind: FaultKind, *, on: Call, count: int = 1) -> None:
        sandbox_kind = {
            "server_error": "500",
            "rate_limited": "429",
            "stored_then_lost": self.stored_then_lost,
        }[kind]
        self.inject(sandbox_kind, on=on, count=count)

    # --- an organization connected to the sandbox (the engine contract) --------------------

    def connect(
        self, org: Organization | None = None, *, vat: bool = False
    ) -> tuple[Organization, Account]:
        """An organization connected to the sandbox's demo books, the accounts we push to
        mirrored (the Input VAT account set when `vat`): the organization and the expense
        account its transactions are assigned."""
        org = org or make_org()
        accounts = {
            external_id: make_account(
                org, provider=self.key, external_id=external_id, code=code, name_en=name
            )
            for external_id, (code, name) in self.chart.items()
        }
        Integration.objects.create(
            organization=org,
            provider=self.key,
            status=ConnectionStatus.CONNECTED,
            source_account=accounts[self.wallet_account],
            input_vat_account=accounts[self.input_vat_account] if vat else None,
            **self.connection_fields(),
        )
        return org, accounts[self.expense_account]

    def connection_fields(self) -> dict[str, Any]:
        raise NotImplementedError

    def synced_status(self, direction: str) -> str:
        """The status a synced entry of a transaction of `direction` has in the books."""
        return self.draft_status

    def refused(self, org: Organization) -> Account:
        """The ledger's row of the account the books refuse."""
        refused = self.refused_account
        return make_account(
            org,
            provider=self.key,
            external_id=refused.external_id,
            code=refused.code,
            name_en=refused.name,
        )

    def product_settings(self) -> dict[str, Any]:
        """Settings the product needs for these books beyond what the sandbox fixture sets."""
        return {}

    def entry_link(self, entry_id: str) -> str:
        """The link to the entry in the books, as a page writes it (HTML-escaped)."""
        raise NotImplementedError

    def short_timeouts(self, settings: Any) -> None:
        """The sandbox "hangs" 1.5 s on a timeout fault; we give up after 1 s (a worker
        started afterwards gets it too)."""
        self.sandbox.configure(timeout_sleep_s=1.5)

    # --- the sandbox's knobs --------------------------------------------------------------

    def inject(self, kind: str, *, on: Call, count: int = 1) -> None:
        raise NotImplementedError

    def faults_left(self) -> list[dict[str, Any]]:
        return list(self.sandbox.configure()["faults"])

    def slow_down(self, latency_ms: int) -> None:
        self.sandbox.configure(latency_ms=latency_ms)

    def without_rate_limit(self) -> None:
        """No limit on the sandbox's side (a worker test's many requests)."""

    def without_attachments(self) -> None:
        raise NotImplementedError

    def revoke(self) -> None:
        self.sandbox.revoke()

    # --- what the books hold --------------------------------------------------------------

    def held_entries(self) -> list[HeldEntry]:
        raise NotImplementedError

    def held_by_reference(self) -> dict[str, list[HeldEntry]]:
        found: dict[str, list[HeldEntry]] = {}
        for entry in self.held_entries():
            found.setdefault(entry.reference, []).append(entry)
        return found

    def delete_entry(self, entry_id: str) -> None:
        """An accountant deletes the entry in the books."""
        raise NotImplementedError

    def change_amount(self, entry_id: str, amount: Decimal) -> None:
        """An accountant changes the entry's amount in the books (expense to wallet)."""
        raise NotImplementedError

    # --- corrections (issue 26) -------------------------------------------------------------

    # Another account of the sandbox's chart a synced entry can be moved to: (id, code, name).
    other_expense_account: ClassVar[tuple[str, str, str]]

    def post_entry(self, entry_id: str) -> None:
        """An accountant posts (publishes, approves) the entry in the books."""
        raise NotImplementedError

    def inject_on_update(self, kind: str, *, count: int = 1) -> None:
        """A fault on the call that updates a draft entry (books whose API updates them)."""
        raise NotImplementedError


class QoyodHarness(SandboxHarness):
    key = "qoyod"
    name = "Qoyod"
    expense_account = "1038"  # 5201 · Marketing Expenses in the sandbox's demo chart
    wallet_account = "1003"  # 110101 · Al Rajhi Bank - SiFi Wallet
    input_vat_account = "1010"  # 1104 · Input VAT
    chart: ClassVar[dict[str, tuple[str, str]]] = {
        "1003": ("110101", "Wallet"),
        "1038": ("5201", "Marketing Expenses"),
        "1010": ("1104", "Input VAT"),
    }
    draft_status = "Draft"
    refused_account = RefusedAccount("424242", "5999", "Deleted in Qoyod", ("does not exist",))
    refused_credentials_words = ("rejected this API key",)
    fault_kinds = (
        "500",
        "drop",
        "500_after_commit",
        "drop_after_commit",
        "timeout_after_commit",
        "429",
    )
    stored_then_lost = "drop_after_commit"
    # Qoyod's API cannot change an entry: a correction is made by hand, nothing is sent.
    other_expense_account = ("1039", "5202", "Advertising")

    def session(self, *, valid: bool = True) -> ProviderSession:
        key = self.sandbox.demo_key if valid else "not-a-key-0000"
        return provider_for(self.key).open_session({"api_key": key})

    def connection_fields(self) -> dict[str, Any]:
        return {"secrets": {"api_key": self.sandbox.demo_key}}

    def product_settings(self) -> dict[str, Any]:
        # Qoyod's web app address of an entry is not documented: bin/start links the sandbox's.
        return {"QOYOD_ENTRY_URL": f"{self.sandbox.root}/_sandbox/journal_entries/{{id}}"}

    def entry_link(self, entry_id: str) -> str:
        return html.escape(f"{self.sandbox.root}/_sandbox/journal_entries/{entry_id}")

    def short_timeouts(self, settings: Any) -> None:
        settings.QOYOD_TIMEOUT_SECONDS = 1
        super().short_timeouts(settings)

    def inject(self, kind: str, *, on: Call, count: int = 1) -> None:
        path = "journal_entries$" if on == "create" else "attachments"
        self.sandbox.inject({"kind": kind, "path": path, "method": "POST", "count": count})

    def without_rate_limit(self) -> None:
        self.sandbox.configure(rate_limit_per_minute=0)

    def without_attachments(self) -> None:
        """A tenant on the bare public API: it takes no files."""
        self.sandbox.configure(bare=True)

    def held_entries(self) -> list[HeldEntry]:
        held = []
        for entry in self.sandbox.journal_entries():
            lines = [
                HeldLine(
                    str(line["account_id"]),
                    side,
                    Decimal(str(line["amount"])),
                    str(line.get("comment") or ""),
                )
                for side, key in (("debit", "debit_amounts"), ("credit", "credit_amounts"))
                for line in entry[key]
            ]
            files = [
                HeldFile(a["filename"], a["content_type"], int(a["size"]))
                for a in entry.get("attachments", [])
            ]
            held.append(
                HeldEntry(
                    id=str(entry["id"]),
                    reference=entry["description"].split("]")[0].lstrip("["),
                    date=datetime.date.fromisoformat(entry["date"]),
                    status=entry.get("status", ""),
                    lines=tuple(lines),
                    files=tuple(files),
                    description=entry["description"],
                )
            )
        return held

    def delete_entry(self, entry_id: str) -> None:
        self.sandbox.delete_entry(int(entry_id))

    def change_amount(self, entry_id: str, amount: Decimal) -> None:
        self.sandbox.change_entry(
            int(entry_id),
            debit_amounts=[{"account_id": int(self.expense_account), "amount": f"{amount:.2f}"}],
            credit_amounts=[{"account_id": int(self.wallet_account), "amount": f"{amount:.2f}"}],
        )


class OdooHarness(SandboxHarness):
    key = "odoo"
    name = "Odoo"
    expense_account = "1026"  # 521001 · Marketing Expenses in the sandbox's demo database
    wallet_account = "1001"  # 111001 · Al Rajhi Bank - SiFi Wallet
    input_vat_account = "1007"  # 114001 · VAT Input
    chart: ClassVar[dict[str, tuple[str, str]]] = {
        "1001": ("111001", "Wallet"),
        "1026": ("521001", "Marketing"),
        "1007": ("114001", "VAT Input"),
    }
    journal = "4"  # the demo company's Miscellaneous Operations journal
    draft_status = "draft"
    # Deprecated in the demo database: Odoo refuses entries on it, naming it.
    refused_account = RefusedAccount("1034", "511099", "Old", ("511099", "deprecated"))
    refused_credentials_words = ("Odoo refused this login and API key",)
    fault_kinds = (
        "500",
        "502",
        "drop",
        "500_after_commit",
        "502_after_commit",
        "drop_after_commit",
        "timeout_after_commit",
        "429",
    )
    stored_then_lost = "502_after_commit"

    def session(self, *, valid: bool = True) -> ProviderSession:
        credentials = dict(self.sandbox.credentials)
        if not valid:
            credentials["api_key"] = "not-a-key-0000"
        return provider_for(self.key).open_session(credentials)

    def connection_fields(self) -> dict[str, Any]:
        return {
            "secrets": {"api_key": self.sandbox.api_key},
            "location": {
                "url": self.sandbox.url,
                "database": self.sandbox.database,
                "username": self.sandbox.login,
                "company_id": "1",
            },
            "journals": [{"id": self.journal, "code": "MISC", "name": "Miscellaneous Operations"}],
            "journal_external_id": self.journal,
        }

    def entry_link(self, entry_id: str) -> str:
        return html.escape(f"{self.sandbox.url}/web#id={entry_id}&model=account.move")

    def short_timeouts(self, settings: Any) -> None:
        settings.ODOO_TIMEOUT_SECONDS = 1
        super().short_timeouts(settings)

    def inject(self, kind: str, *, on: Call, count: int = 1) -> None:
        model = "account.move" if on == "create" else "ir.attachment"
        self.sandbox.inject({"kind": kind, "model": model, "method": "create", "count": count})

    def without_attachments(self) -> None:
        """Odoo always takes files; a user without the right to attach them is the case where
        our entries must carry the receipts as links."""
        self.sandbox.configure(attachments_forbidden=True)

    def held_entries(self) -> list[HeldEntry]:
        held = []
        for move in self.sandbox.moves():
            lines = [
                HeldLine(
                    str(line["account_id"]),
                    side,
                    Decimal(str(line[side])).quantize(CENT),
                    str(line.get("name") or ""),
                )
                for line in move["lines"]
                for side in ("debit", "credit")
                if line[side]
            ]
            files = [
                HeldFile(a["name"], a["mimetype"], int(a["file_size"])) for a in move["attachments"]
            ]
            held.append(
                HeldEntry(
                    id=str(move["id"]),
                    reference=str(move.get("ref") or ""),
                    date=datetime.date.fromisoformat(move["date"]),
                    status=move["state"],
                    lines=tuple(lines),
                    files=tuple(files),
                    description=str(move.get("narration") or ""),
                )
            )
        return held

    def delete_entry(self, entry_id: str) -> None:
        self.sandbox.delete_move(int(entry_id))

    other_expense_account = ("1022", "511004", "Office Supplies")

    def post_entry(self, entry_id: str) -> None:
        self.sandbox.change_move(int(entry_id), state="posted")

    def inject_on_update(self, kind: str, *, count: int = 1) -> None:
        self.sandbox.inject(
            {"kind": kind, "model": "account.move", "method": "write", "count": count}
        )

    def change_amount(self, entry_id: str, amount: Decimal) -> None:
        self.sandbox.change_move(
            int(entry_id),
            lines=[
                {"account_id": int(self.expense_account), "debit": float(amount)},
                {"account_id": int(self.wallet_account), "credit": float(amount)},
            ],
        )


class ZohoBooksHarness(SandboxHarness):
    key = "zoho_books"
    name = "Zoho Books"
    expense_account = zoho_seed.MARKETING  # 5201 · Marketing Expenses in the demo organization
    wallet_account = zoho_seed.WALLET  # 110101 · Al Rajhi Bank - SiFi Wallet
    input_vat_account = zoho_seed.INPUT_VAT  # 1104 · Input VAT
    chart: ClassVar[dict[str, tuple[str, str]]] = {
        zoho_seed.WALLET: ("110101", "Wallet"),
        zoho_seed.MARKETING: ("5201", "Marketing Expenses"),
        zoho_seed.INPUT_VAT: ("1104", "Input VAT"),
    }
    draft_status = "draft"
    # Inactive in the demo organization: Zoho refuses journals on it, naming it.
    refused_account = RefusedAccount(
        zoho_seed.INACTIVE, "5999", "Old Travel Expenses", ("inactive", "Old Travel Expenses")
    )
    refused_credentials_words = ("Zoho refused SiFi's saved authorization",)
    fault_kinds = (
        "500",
        "502",
        "drop",
        "500_after_commit",
        "502_after_commit",
        "drop_after_commit",
        "timeout_after_commit",
        "429",
    )
    stored_then_lost = "502_after_commit"
    every_account_has_a_code = False  # Accounts Receivable, Undeposited Funds, ...
    # Zoho allows 100 requests a minute; the suites run at 20 a second on both sides (the
    # sandbox and the product's budget), so that their hundreds of entries take seconds.
    # tests/providers/zoho_books/ holds the tests at Zoho's own limits.
    per_minute = 1200

    def __init__(self, sandbox: Any) -> None:
        super().__init__(sandbox)
        sandbox.configure(rate_limit_per_minute=self.per_minute)

    def session(self, *, valid: bool = True) -> ProviderSession:
        credentials = dict(self.sandbox.credentials)
        if not valid:
            credentials["refresh_token"] = "1000.not-a-grant-of-this-zoho"
        return provider_for(self.key).open_session(credentials)

    def connection_fields(self) -> dict[str, Any]:
        credentials = dict(self.sandbox.credentials)
        return {
            "secrets": {"refresh_token": credentials.pop("refresh_token")},
            "location": credentials,
        }

    def product_settings(self) -> dict[str, Any]:
        return {"ZOHO_RATE_LIMIT_PER_MINUTE": self.per_minute}

    def entry_link(self, entry_id: str) -> str:
        organization = self.sandbox.organization_id
        return html.escape(
            f"{self.sandbox.root}/_sandbox/journals/{entry_id}?organization_id={organization}"
        )

    def short_timeouts(self, settings: Any) -> None:
        settings.ZOHO_TIMEOUT_SECONDS = 1
        super().short_timeouts(settings)

    def inject(self, kind: str, *, on: Call, count: int = 1) -> None:
        path = "journals$" if on == "create" else "/attachment"
        self.sandbox.inject({"kind": kind, "path": path, "method": "POST", "count": count})

    def without_rate_limit(self) -> None:
        self.sandbox.configure(rate_limit_per_minute=0, daily_quota=0)

    def without_attachments(self) -> None:
        """Zoho always takes files; a Zoho user whose role may not attach them (HTTP 403) is
        the case where our journals must carry the receipts as links."""
        self.sandbox.configure(attachments_forbidden=True)

    other_expense_account = (zoho_seed.account_id(26), "5301", "Travel Expenses")

    def post_entry(self, entry_id: str) -> None:
        self.sandbox.change_journal(entry_id, status="published")

    def inject_on_update(self, kind: str, *, count: int = 1) -> None:
        self.sandbox.inject({"kind": kind, "path": "journals/", "method": "PUT", "count": count})

    def held_entries(self) -> list[HeldEntry]:
        held = []
        for journal in self.sandbox.journals():
            lines = [
                HeldLine(
                    str(line["account_id"]),
                    str(line["debit_or_credit"]),
                    Decimal(str(line["amount"])).quantize(CENT),
                    str(line.get("description") or ""),
                )
                for line in journal["line_items"]
            ]
            files = [
                HeldFile(d["file_name"], d["file_type"], int(d["file_size"]))
                for d in journal["documents"]
            ]
            held.append(
                HeldEntry(
                    id=str(journal["journal_id"]),
                    reference=str(journal.get("reference_number") or ""),
                    date=datetime.date.fromisoformat(journal["journal_date"]),
                    status=str(journal["status"]),
                    lines=tuple(lines),
                    files=tuple(files),
                    description=str(journal.get("notes") or ""),
                )
            )
        return held

    def delete_entry(self, entry_id: str) -> None:
        self.sandbox.delete_journal(entry_id)

    def change_amount(self, entry_id: str, amount: Decimal) -> None:
        self.sandbox.change_journal(
            entry_id,
            line_items=[
                {
                    "account_id": self.expense_account,
                    "debit_or_credit": "debit",
                    "amount": str(amount),
                },
                {
                    "account_id": self.wallet_account,
                    "debit_or_credit": "credit",
                    "amount": str(amount),
                },
            ],
        )


class WafeqHarness(SandboxHarness):
    key = "wafeq"
    name = "Wafeq"
    expense_account = "acc_5101"  # 5101 · Marketing Expenses in the sandbox's demo chart
    wallet_account = "acc_1101"  # 1101 · Al Rajhi Bank - SiFi Wallet (payment-enabled)
    input_vat_account = "tax_InputVat15"  # Wafeq takes VAT as a tax rate: its id names the line
    chart: ClassVar[dict[str, tuple[str, str]]] = {
        "acc_1101": ("1101", "Wallet"),
        "acc_5101": ("5101", "Marketing Expenses"),
    }
    unknown_entry = "exp_S9999999"
    draft_status = "DRAFT"
    # A heading in the demo chart: Wafeq refuses postings on it, naming it.
    refused_account = RefusedAccount(
        "acc_5000", "5000", "Operating Expenses", ("5000", "not a posting account")
    )
    refused_credentials_words = ("Wafeq refused this API key",)
    fault_kinds = (
        "500",
        "502",
        "drop",
        "500_after_commit",
        "502_after_commit",
        "drop_after_commit",
        "timeout_after_commit",
        "429",
    )
    stored_then_lost = "502_after_commit"
    splits_a_side = False
    replays_keyed_creates = True

    def session(self, *, valid: bool = True) -> ProviderSession:
        key = self.sandbox.api_key if valid else "not-a-key-0000"
        return provider_for(self.key).open_session({"api_key": key})

    def connect(
        self, org: Organization | None = None, *, vat: bool = False
    ) -> tuple[Organization, Account]:
        """Refunds allowed as manual journals; VAT as the sandbox's 15 % input tax rate."""
        org = org or make_org()
        accounts = {
            external_id: make_account(
                org, provider=self.key, external_id=external_id, code=code, name_en=name
            )
            for external_id, (code, name) in self.chart.items()
        }
        options: dict[str, Any] = {"post_credits_as_manual_journals": True}
        if vat:
            options["input_vat_tax_rate"] = self.input_vat_account
        Integration.objects.create(
            organization=org,
            provider=self.key,
            status=ConnectionStatus.CONNECTED,
            source_account=accounts[self.wallet_account],
            secrets={"api_key": self.sandbox.api_key},
            options=options,
        )
        return org, accounts[self.expense_account]

    def connection_fields(self) -> dict[str, Any]:
        return {"secrets": {"api_key": self.sandbox.api_key}}

    def synced_status(self, direction: str) -> str:
        return "POSTED" if direction == "credit" else self.draft_status  # a manual journal

    def product_settings(self) -> dict[str, Any]:
        return {"WAFEQ_ENTRY_URL": f"{self.sandbox.root}/_sandbox/{{kind}}/{{id}}"}

    def entry_link(self, entry_id: str) -> str:
        kind = "manual-journals" if entry_id.startswith("jou_") else "expenses"
        return html.escape(f"{self.sandbox.root}/_sandbox/{kind}/{entry_id}")

    def short_timeouts(self, settings: Any) -> None:
        settings.WAFEQ_TIMEOUT_SECONDS = 1
        super().short_timeouts(settings)

    def inject(self, kind: str, *, on: Call, count: int = 1) -> None:
        path = "^expenses/$" if on == "create" else "^files/$"
        self.sandbox.inject({"kind": kind, "path": path, "method": "POST", "count": count})

    def without_attachments(self) -> None:
        self.sandbox.configure(files_unsupported=True)

    other_expense_account = ("acc_5102", "5102", "Travel")

    def post_entry(self, entry_id: str) -> None:
        self.sandbox.change_entry(entry_id, status="POSTED")

    def inject_on_update(self, kind: str, *, count: int = 1) -> None:
        self.sandbox.inject({"kind": kind, "path": "expenses/", "method": "PATCH", "count": count})

    def held_entries(self) -> list[HeldEntry]:
        held = []
        books = self.sandbox.entries()
        files = {row["id"]: row for row in books["files"]}

        def held_files(ids: list[str]) -> tuple[HeldFile, ...]:
            return tuple(
                HeldFile(
                    files[i]["original_filename"], files[i]["mime_type"], files[i]["file_size"]
                )
                for i in ids
            )

        for expense in books["expenses"]:
            amount = Decimal(expense["amount"])
            tax = Decimal(expense.get("tax_amount") or "0")
            lines = [HeldLine(expense["account"], "debit", amount - tax, expense["description"])]
            if tax:
                lines.append(HeldLine(expense["tax_rate"], "debit", tax))
            lines.append(HeldLine(expense["paid_through_account"], "credit", amount))
            held.append(
                HeldEntry(
                    id=expense["id"],
                    reference=expense["external_id"],
                    date=datetime.date.fromisoformat(expense["date"]),
                    status=expense["status"],
                    lines=tuple(lines),
                    files=held_files(expense["attachments"]),
                    description=expense["description"],
                )
            )
        for manual in books["manual_journals"]:
            lines = [
                HeldLine(
                    line["account"],
                    "debit" if Decimal(line["amount"]) > 0 else "credit",
                    abs(Decimal(line["amount"])),
                    line["description"],
                )
                for line in manual["line_items"]
            ]
            held.append(
                HeldEntry(
                    id=manual["id"],
                    reference=manual["external_id"],
                    date=datetime.date.fromisoformat(manual["date"]),
                    status="POSTED",
                    lines=tuple(lines),
                    files=held_files(manual["attachments"]),
                    description=manual["notes"],
                )
            )
        return held

    def delete_entry(self, entry_id: str) -> None:
        self.sandbox.delete_entry(entry_id)

    def change_amount(self, entry_id: str, amount: Decimal) -> None:
        self.sandbox.change_entry(entry_id, amount=f"{amount:.2f}", tax_amount="0.00")


HARNESSES: dict[str, type[SandboxHarness]] = {
    "qoyod": QoyodHarness,
    "odoo": OdooHarness,
    "zoho_books": ZohoBooksHarness,
    "wafeq": WafeqHarness,
}
