"""How the provider contract suite drives each provider's sandbox.

Every provider registered in settings.ACCOUNTING_PROVIDERS has a harness here: a way to open
sessions against its sandbox over real HTTP (through the registry, as the product does), to
inject faults, and to read back what the sandbox holds, in the ledger's words (ids as the
strings the ledger keeps, whatever the provider's wire type). A provider
package adds its row to HARNESSES when it is registered; the suite fails for one without.
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

from accounting.providers import ProviderSession, provider_for

CENT = Decimal("0.01")

FaultKind = Literal["server_error", "rate_limited", "stored_then_lost"]


@dataclass(frozen=True)
class HeldLine:
    account: str
    side: str
    amount: Decimal


@dataclass(frozen=True)
class HeldEntry:
    """A journal entry as the provider's sandbox holds it."""

    id: str
    reference: str
    date: datetime.date
    status: str
    lines: tuple[HeldLine, ...]
    attachments: int


class QoyodHarness:
    key = "qoyod"
    expense_account = "1038"  # 5201 · Marketing Expenses in the sandbox's demo chart
    wallet_account = "1003"  # 110101 · Al Rajhi Bank - SiFi Wallet
    unknown_account = "424242"
    unknown_entry = "987654321"
    draft_status = "Draft"

    def __init__(self, sandbox: Any) -> None:
        self.sandbox = sandbox

    def session(self, *, valid: bool = True) -> ProviderSession:
        key = self.sandbox.demo_key if valid else "not-a-key-0000"
        return provider_for(self.key).open_session({"api_key": key})

    def fault(self, kind: FaultKind, *, on: Literal["create", "attach"], count: int = 1) -> None:
        sandbox_kind = {
            "server_error": "500",
            "rate_limited": "429",
            "stored_then_lost": "drop_after_commit",
        }[kind]
        path = "journal_entries$" if on == "create" else "attachments"
        self.sandbox.inject({"kind": sandbox_kind, "path": path, "method": "POST", "count": count})

    def without_attachments(self) -> None:
        self.sandbox.configure(bare=True)

    def revoke(self) -> None:
        self.sandbox.revoke()

    def held_entries(self) -> list[HeldEntry]:
        held = []
        for entry in self.sandbox.journal_entries():
            lines = [
                HeldLine(str(line["account_id"]), side, Decimal(str(line["amount"])))
                for side, key in (("debit", "debit_amounts"), ("credit", "credit_amounts"))
                for line in entry[key]
            ]
            held.append(
                HeldEntry(
                    id=str(entry["id"]),
                    reference=entry["description"].split("]")[0].lstrip("["),
                    date=datetime.date.fromisoformat(entry["date"]),
                    status=entry.get("status", ""),
                    lines=tuple(lines),
                    attachments=len(entry.get("attachments", [])),
                )
            )
        return held


class OdooHarness:
    key = "odoo"
    expense_account = "1026"  # 521001 · Marketing Expenses in the sandbox's demo database
    wallet_account = "1001"  # 111001 · Al Rajhi Bank - SiFi Wallet
    unknown_account = "424242"
    unknown_entry = "987654321"
    draft_status = "draft"

    def __init__(self, sandbox: Any) -> None:
        self.sandbox = sandbox

    def session(self, *, valid: bool = True) -> ProviderSession:
        credentials = dict(self.sandbox.credentials)
        if not valid:
            credentials["api_key"] = "not-a-key-0000"
        return provider_for(self.key).open_session(credentials)

    def fault(self, kind: FaultKind, *, on: Literal["create", "attach"], count: int = 1) -> None:
        sandbox_kind = {
            "server_error": "500",
            "rate_limited": "429",
            "stored_then_lost": "502_after_commit",
        }[kind]
        model = "account.move" if on == "create" else "ir.attachment"
        self.sandbox.inject(
            {"kind": sandbox_kind, "model": model, "method": "create", "count": count}
        )

    def without_attachments(self) -> None:
        """Odoo always takes files; a user without the right to attach them is the case where
        our entries must carry the receipts as links."""
        self.sandbox.configure(attachments_forbidden=True)

    def revoke(self) -> None:
        self.sandbox.revoke()

    def held_entries(self) -> list[HeldEntry]:
        held = []
        for move in self.sandbox.moves():
            lines = [
                HeldLine(str(line["account_id"]), side, Decimal(str(line[side])).quantize(CENT))
                for line in move["lines"]
                for side in ("debit", "credit")
                if line[side]
            ]
            held.append(
                HeldEntry(
                    id=str(move["id"]),
                    reference=str(move.get("ref") or ""),
                    date=datetime.date.fromisoformat(move["date"]),
                    status=move["state"],
                    lines=tuple(lines),
                    attachments=len(move["attachments"]),
                )
            )
        return held


HARNESSES = {"qoyod": QoyodHarness, "odoo": OdooHarness}
