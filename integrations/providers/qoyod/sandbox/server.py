"""The Qoyod sandbox's HTTP server: Qoyod's /2.0 API as our client uses it, on the sandbox kit
(`integrations.sandbox_kit`: the HTTP skeleton, knobs, faults and the shared controls).

API (header `API-KEY`): GET /2.0/accounts, GET /2.0/vendors, GET /2.0/journal_entries
(Ransack `q[date_eq]`, `q[date_gteq]`, `q[date_lteq]`, `q[description_cont]`,
`page`, `per_page`), GET /2.0/journal_entries/{id},
POST /2.0/journal_entries, POST /2.0/journal_entries/{id}/attachments (multipart `file`).

Controls of its own (no auth, for tests and demos; `api_key` names the tenant, the demo one by
default): POST /_sandbox/tenants, POST /_sandbox/tenants/{key}/revoke|restore,
PATCH /_sandbox/tenants/{key}/accounts, GET /_sandbox/journal_entries?api_key=,
GET|DELETE|PATCH /_sandbox/journal_entries/{id}?api_key= (see it; an accountant's edits). The
kit adds GET /_sandbox/ (inspection page), GET/PATCH /_sandbox/config, POST /_sandbox/faults,
GET /_sandbox/stats?api_key=, POST /_sandbox/reset and GET /_sandbox/health.
"""

import datetime
import re
import time
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any

from integrations.providers.qoyod.sandbox import seed
from integrations.providers.qoyod.sandbox.store import Store
from integrations.sandbox_kit.server import (
    AFTER_COMMIT_FAULTS,
    FAULT_KINDS,
    Inspection,
    Sandbox,
    SandboxConfig,
    SandboxHandler,
    SandboxState,
)


@dataclass
class Config(SandboxConfig):
    rate_limit_per_minute: int = field(
        default=300, metadata={"help": "Per tenant, sliding minute; 429 past it (0: no limit)."}
    )
    bare: bool = field(
        default=False,
        metadata={"help": "Behave like the bare public API: no draft status, no attachments."},
    )

    lock_date: str = field(
        default="",
        metadata={
            "help": "Books closed up to this day (YYYY-MM-DD; empty: none): no entry dated on or "
            "before it (422 on `date`; the sandbox's wording, Qoyod documents none)."
        },
    )

    def rate_limit(self) -> tuple[int, float]:
        return self.rate_limit_per_minute, 60.0


def _path_matches(fault: dict[str, Any], path: str) -> bool:
    """A fault's "path" matches anywhere in the request path; ending it with "$" anchors it
    to the end ("journal_entries$" is the create call, not an entry's attachments)."""
    pattern = str(fault.get("path", ""))
    if pattern.endswith("$"):
        return path.endswith(pattern[:-1])
    return pattern in path


def _money(value: Any) -> Decimal | None:
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    if not amount.is_finite() or amount <= 0 or amount != amount.quantize(Decimal("0.01")):
        return None
    return amount


def validate_entry(
    body: Any, active_accounts: set[int]
) -> tuple[dict[str, Any] | None, dict[str, list[str]]]:
    """What Qoyod checks on a manual journal entry; Qoyod-style field errors otherwise."""
    errors: dict[str, list[str]] = defaultdict(list)
    entry = body.get("journal_entry") if isinstance(body, dict) else None
    if not isinstance(entry, dict):
        return None, {"journal_entry": ["can't be blank"]}
    description = str(entry.get("description") or "").strip()
    if not description:
        errors["description"].append("can't be blank")
    try:
        date = datetime.date.fromisoformat(str(entry.get("date") or ""))
    except ValueError:
        errors["date"].append("is not a valid date (YYYY-MM-DD)")
        date = None
    totals = {}
    lines: dict[str, list[dict[str, Any]]] = {}
    for side in ("debit_amounts", "credit_amounts"):
        raw_lines = entry.get(side)
        if not isinstance(raw_lines, list) or not raw_lines:
            errors[side].append("must have at least one line")
            raw_lines = []
        total = Decimal("0")
        lines[side] = []
        for index, line in enumerate(raw_lines):
            line = line if isinstance(line, dict) else {}
            amount = _money(line.get("amount"))
            if amount is None:
                errors[f"{side}.{index}.amount"].append("must be a positive amount (2 decimals)")
            else:
                total += amount
            try:
                account_id = int(line.get("account_id"))  # type: ignore[arg-type]
            except (TypeError, ValueError):
                account_id = -1
            if account_id not in active_accounts:
                errors[f"{side}.{index}.account_id"].append(
                    f"Account {line.get('account_id')} does not exist"
                )
            lines[side].append(
                {
                    "account_id": account_id,
                    "amount": f"{amount:.2f}" if amount else str(line.get("amount")),
                    "comment": str(line.get("comment") or ""),
                }
            )
        totals[side] = total
    if not errors and totals["debit_amounts"] != totals["credit_amounts"]:
        errors["base"].append("Debit and credit totals must be equal")
    if errors or date is None:
        return None, dict(errors)
    status = str(entry.get("status") or "Approved")
    if status not in ("Draft", "Approved"):
        return None, {"status": ["is not included in the list"]}
    return {
        "date": date.isoformat(),
        "description": description,
        "status": status,
        "total_debit": f"{totals['debit_amounts']:.2f}",
        "total_credit": f"{totals['credit_amounts']:.2f}",
        **lines,
    }, {}


class Handler(SandboxHandler):
    server_version = "QoyodSandbox/1.0"
    title = "Qoyod sandbox"
    books_param = "api_key"
    books_label = "tenant"
    default_books = seed.DEMO_KEY
    fault_kinds = [kind for kind in FAULT_KINDS if not kind.startswith("502")]  # no proxy
    json_type = "application/json; charset=utf-8"
    too_many_requests = {"message": "Too many requests"}
    state: SandboxState[Store, Config]
    _after_commit_fault: str | None = None

    # --- the Qoyod API ----------------------------------------------------------------------

    def serve(self, method: str, path: str, query: dict[str, list[str]]) -> str | None:
        if not path.startswith("/2.0/"):
            self.send_json(404, {"message": "Not Found"})
            return None
        path = path[len("/2.0/") :].rstrip("/")
        raw = self.read_body()
        self.wait_latency()
        api_key = self.headers.get("API-KEY", "")
        tenant = self.state.store.tenant(api_key) if api_key else None
        if tenant is None or tenant["revoked"]:
            self.send_json(401, {"message": "unauthorized"})
            return None
        wait = self.admit(api_key, time.monotonic())
        if wait:
            self.refuse(wait)
            return None
        fault = self.next_fault(
            lambda f: f.get("method", method) == method and _path_matches(f, path),
            write=method == "POST",
        )
        if self.answer_fault(fault):
            return None
        self._after_commit_fault = fault if fault in AFTER_COMMIT_FAULTS else None
        self._route(method, path, query, raw, api_key)
        return None

    def _route(
        self, method: str, path: str, query: dict[str, list[str]], raw: bytes, api_key: str
    ) -> None:
        store = self.state.store
        if method == "GET" and path == "accounts":
            self.send_json(200, {"accounts": store.accounts(api_key)})
        elif method == "GET" and path == "vendors":
            self.send_json(200, {"vendors": store.vendors(api_key)})
        elif method == "GET" and path == "journal_entries":
            self._list_entries(query, api_key)
        elif method == "GET" and (match := re.fullmatch(r"journal_entries/(\d+)", path)):
            entry = store.entry(api_key, int(match.group(1)))
            if entry is None:
                self.send_json(404, {"message": "Not Found"})
            else:
                self.send_json(200, {"journal_entry": self._public(entry)})
        elif method == "GET" and (
            match := re.fullmatch(r"journal_entries/(\d+)/attachments", path)
        ):
            self._list_attachments(int(match.group(1)), api_key)
        elif method == "POST" and path == "journal_entries":
            self._create_entry(raw, api_key)
        elif method == "POST" and (
            match := re.fullmatch(r"journal_entries/(\d+)/attachments", path)
        ):
            self._attach(int(match.group(1)), raw, api_key)
        else:
            self.send_json(404, {"message": "Not Found"})

    def _list_attachments(self, entry_id: int, api_key: str) -> None:
        if self.state.config.bare or self.state.store.entry(api_key, entry_id) is None:
            self.send_json(404, {"message": "Not Found"})
            return
        held = [a for a in self.state.store.attachments(api_key) if a["entry_id"] == entry_id]
        self.send_json(
            200, {"attachments": [{k: v for k, v in a.items() if k != "sha256"} for a in held]}
        )

    def _public(self, entry: dict[str, Any]) -> dict[str, Any]:
        if self.state.config.bare:
            return {k: v for k, v in entry.items() if k != "status"}
        return entry

    def _list_entries(self, query: dict[str, list[str]], api_key: str) -> None:
        filters = {
            "date": (query.get("q[date_eq]") or [""])[0],
            "description_contains": (query.get("q[description_cont]") or [""])[0],
            "date_from": (query.get("q[date_gteq]") or [""])[0],
            "date_to": (query.get("q[date_lteq]") or [""])[0],
        }
        total = self.state.store.count_entries(api_key, **filters)
        filtered = any(key.startswith("q[") for key in query)
        if filtered and not total:
            self.send_json(404, {"message": "found nothing"})
            return
        per_page = max(1, int((query.get("per_page") or ["100"])[0]))
        page = max(1, int((query.get("page") or ["1"])[0]))
        total_pages = max(1, -(-total // per_page))
        chunk = self.state.store.entries(
            api_key, **filters, limit=per_page, offset=(page - 1) * per_page
        )
        self.send_json(
            200,
            {
                "journal_entries": [self._public(row) for row in chunk],
                "pagination": {"currentPage": page, "totalPages": total_pages},
            },
        )

    def _create_entry(self, raw: bytes, api_key: str) -> None:
        body = self.parse_json(raw)
        entry, errors = validate_entry(body, self.state.store.active_account_ids(api_key))
        lock = self.state.config.lock_date
        if entry is not None and not errors and lock and str(entry["date"])[:10] <= lock:
            errors = {"date": [f"is in a closed period: the books are closed up to {lock}"]}
        if errors or entry is None:
            self.send_json(422, {"errors": errors})
            return
        if self.state.config.bare:
            entry["status"] = "Approved"  # the public API posts entries at once
        created = self.state.store.create_entry(api_key, entry)
        self._answer_after_commit(201, {"journal_entry": self._public(created)})

    def _attach(self, entry_id: int, raw: bytes, api_key: str) -> None:
        if self.state.config.bare or self.state.store.entry(api_key, entry_id) is None:
            self.send_json(404, {"message": "Not Found"})
            return
        content_type = self.headers.get("Content-Type", "")
        message = BytesParser(policy=HTTP).parsebytes(
            b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + raw
        )
        for part in message.iter_parts() if message.is_multipart() else []:
            if part.get_param("name", header="content-disposition") == "file":
                content = part.get_payload(decode=True)
                if not isinstance(content, bytes) or not content:
                    break
                attachment = self.state.store.add_attachment(
                    api_key,
                    entry_id,
                    filename=part.get_filename() or "file",
                    content_type=part.get_content_type(),
                    content=content,
                )
                self._answer_after_commit(201, {"attachment": attachment})
                return
        self.send_json(422, {"errors": {"file": ["can't be blank"]}})

    def _answer_after_commit(self, status: int, body: Any) -> None:
        """The write is stored; an injected after-commit fault now loses the answer."""
        if self._after_commit_fault:
            self.lose_answer(self._after_commit_fault)
        else:
            self.send_json(status, body)

    # --- controls of its own ------------------------------------------------------------------

    def control(self, method: str, path: str, books: str, body: dict[str, Any]) -> bool:
        store = self.state.store
        if path == "/_sandbox/tenants" and method == "POST":
            count = int(body.get("accounts") or 0)
            chart = seed.generated_chart(count) if count else seed.demo_chart()
            store.create_tenant(
                body["api_key"], body.get("name", body["api_key"]), chart, seed.vendors()
            )
            self.send_json(201, {"api_key": body["api_key"], "accounts": len(chart)})
        elif match := re.fullmatch(r"/_sandbox/tenants/([^/]+)/(revoke|restore)", path):
            found = store.set_revoked(match.group(1), match.group(2) == "revoke")
            self.send_json(200 if found else 404, {"ok": found})
        elif match := re.fullmatch(r"/_sandbox/tenants/([^/]+)/accounts", path):
            store.change_accounts(
                match.group(1),
                rename=body.get("rename", {}),
                add=body.get("add", []),
                remove=body.get("remove", []),
            )
            self.send_json(200, {"accounts": len(store.accounts(match.group(1)))})
        elif path == "/_sandbox/journal_entries":
            self.send_json(200, {"journal_entries": self._entries(books)})
        elif match := re.fullmatch(r"/_sandbox/journal_entries/(\d+)", path):
            entry_id = int(match.group(1))
            if method == "GET":
                held = store.entry(books, entry_id)
                self.send_json(200 if held else 404, {"journal_entry": held})
            elif method == "DELETE":
                found = store.delete_entry(books, entry_id)
                self.send_json(200 if found else 404, {"ok": found})
            elif method == "PATCH":
                changed = store.change_entry(books, entry_id, body)
                self.send_json(200 if changed else 404, {"journal_entry": changed})
            else:
                self.send_json(405, {"message": "Method Not Allowed"})
        else:
            return False
        return True

    def _entries(self, api_key: str) -> list[dict[str, Any]]:
        """Every entry of the tenant, with its attachments."""
        attachments = self.state.store.attachments(api_key)
        entries = self.state.store.entries(api_key)
        for entry in entries:
            entry["attachments"] = [a for a in attachments if a["entry_id"] == entry["id"]]
        return entries

    def inspection(self, books: str) -> Inspection:
        store = self.state.store
        accounts = {row["id"]: f"{row['code']} {row['name_en']}" for row in store.accounts(books)}

        def row(entry: dict[str, Any]) -> list[Any]:
            lines = [
                f"{side} {accounts.get(line['account_id'], line['account_id'])}: {line['amount']}"
                for side, key in (("Dr", "debit_amounts"), ("Cr", "credit_amounts"))
                for line in entry.get(key, [])
            ]
            files = [f"{a['filename']} ({a['size']} bytes)" for a in entry["attachments"]]
            head = [str(entry["id"]), entry["date"], entry.get("status", ""), entry["description"]]
            return [*head, lines, files]

        return Inspection(
            summary="Qoyod's API at /2.0 (header API-KEY).",
            columns=("id", "date", "status", "description", "lines", "attachments"),
            rows=[row(entry) for entry in self._entries(books)],
            books=store.tenant_keys(),
        )


SANDBOX = Sandbox(
    Handler,
    Store,
    Config,
    port=8765,
    about=f"API at {{url}}/2.0, demo key {seed.DEMO_KEY}, second key {seed.SECOND_KEY}",
)
