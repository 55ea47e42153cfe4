"""The Wafeq sandbox's HTTP server: Wafeq's REST API v1 as our client uses it (providers-api.md
§3), on the sandbox kit (the HTTP skeleton, knobs, faults, controls, inspection page).

API under `/v1/`, `Authorization: Api-Key <key>` (401 without a known key):
- `GET organization/`; `GET accounts/`, `GET tax-rates/` (pages: `{count, next, previous,
  results}` with `?page=&page_size=`, at most 100 a page);
- `POST files/` (multipart part `file`) → 201 `{id: "att_…", …}`; 404 with `files_unsupported`;
- `POST expenses/` → 201, DRAFT (every `posted_every`-th one POSTED, as Wafeq may answer);
  `GET expenses/?external_id=&date_after=&date_before=`; `GET/PATCH expenses/{id}/`;
  `POST expenses/{id}/mark-as-draft/` (400 for one that is a draft already);
- `POST manual-journals/` → 201 (no status: posted), lines signed and summing to zero;
  `GET manual-journals/?…`, `GET/PATCH manual-journals/{id}/`.
Writes are checked as Wafeq checks them: accounts exist and take postings, the paid-through
account is payment-enabled, tax rates and files exist, the currency is the base currency, and
the date is after the lock date (400 "Your books up to … are closed."). An
`X-Wafeq-Idempotency-Key` (a UUID, else 400) on a POST makes the same request within
`idempotency_window_s` answer the original again (`X-Wafeq-Idempotent-Replayed: true`); the
same key with another body is a 409. Unknown query parameters are ignored, as Wafeq does.

Controls of its own (`api_key` names the organization, the demo one by default):
POST /_sandbox/organizations `{api_key, name, currency, accounts}`,
POST /_sandbox/organizations/{key}/revoke|restore, GET /_sandbox/entries?api_key=,
DELETE|PATCH /_sandbox/entries/{id}?api_key=, GET /_sandbox/expenses/{id} and
/_sandbox/manual-journals/{id} (an entry's page: where the product's links point in the demo).
"""

import email.parser
import email.policy
import hashlib
import html
import json
import re
import time
import uuid
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from integrations.providers.wafeq.sandbox import seed
from integrations.providers.wafeq.sandbox.store import Store
from integrations.sandbox_kit.server import (
    AFTER_COMMIT_FAULTS,
    Inspection,
    Sandbox,
    SandboxConfig,
    SandboxHandler,
    SandboxState,
)

CENT = Decimal("0.01")
MAX_PAGE_SIZE = 100
KEY_HEADER = "X-Wafeq-Idempotency-Key"
REPLAYED_HEADER = "X-Wafeq-Idempotent-Replayed"
KINDS = {"expenses": "expense", "manual-journals": "journal"}


@dataclass
class Config(SandboxConfig):
    rate_limit_per_minute: int = field(
        default=60,
        metadata={"help": "Per API key, sliding minute; 429 past it (0: no limit)."},
    )
    posted_every: int = field(
        default=0,
        metadata={
            "help": "Every n-th expense created answers POSTED (then needs mark-as-draft; 0: "
            "never)."
        },
    )
    lock_date: str = field(
        default="", metadata={"help": "Books closed up to this day (YYYY-MM-DD; empty: none)."}
    )
    idempotency_window_s: float = field(
        default=3600.0, metadata={"help": "How long an idempotency key is replayed."}
    )
    files_unsupported: bool = field(
        default=False, metadata={"help": "POST /files/ answers 404 (no uploads)."}
    )

    def rate_limit(self) -> tuple[int, float]:
        return self.rate_limit_per_minute, 60.0


# The fields of an expense a correction changes (a PATCH of only attachments or a description
# is taken whatever the status, as a late receipt is).
EXPENSE_FIELDS = frozenset(
    {"account", "paid_through_account", "amount", "currency", "tax_rate", "tax_amount_type"}
)


class Refused(Exception):
    def __init__(self, status: int, body: dict[str, Any]) -> None:
        super().__init__(status)
        self.status = status
        self.body = body


def _amount(value: Any, name: str) -> Decimal:
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise Refused(400, {name: ["A valid number is required."]}) from None
    if amount != amount.quantize(CENT):
        raise Refused(400, {name: ["Ensure that there are no more than 2 decimal places."]})
    return amount


def _path_matches(fault: dict[str, Any], path: str) -> bool:
    """A fault's "path" is found anywhere in the API path ("expenses/$" anchors the end)."""
    return re.search(str(fault.get("path", "")), path) is not None


class Handler(SandboxHandler):
    server_version = "nginx"
    title = "Wafeq sandbox"
    books_param = "api_key"
    books_label = "organization"
    default_books = seed.DEMO_KEY
    too_many_requests = {"detail": "Request was throttled."}
    state: SandboxState[Store, Config]

    def server_error(self, status: int, *, after_commit: bool) -> None:
        if status == 502:
            self.send_html(502, "<html><body><h1>502 Bad Gateway</h1></body></html>")
        else:
            self.send_json(500, {"detail": "A server error occurred."})

    # --- the API ------------------------------------------------------------------------------

    def serve(self, method: str, path: str, query: dict[str, list[str]]) -> str | None:
        arrived = time.monotonic()
        if not path.startswith("/v1/"):
            self.send_json(404, {"detail": "Not found."})
            return None
        api_path = path[len("/v1/") :]
        raw = self.read_body()
        api_key = self._api_key()
        wait = self.admit(api_key or "-", arrived)
        self.wait_latency()
        if wait:
            self.refuse(wait)
            return path
        write = method in ("POST", "PATCH")
        fault = self.next_fault(
            lambda f: f.get("method", method) == method and _path_matches(f, api_path),
            write=write,
        )
        if self.answer_fault(fault):
            return path
        organization = self.state.store.organization(api_key) if api_key else None
        if organization is None or organization["revoked"]:
            self.send_json(401, {"detail": "Invalid API key."})
            return path
        try:
            status, body, headers = self._route(method, api_path, query, api_key, raw)
        except Refused as refused:
            self.send_json(refused.status, refused.body)
            return path
        if fault in AFTER_COMMIT_FAULTS and write:
            self.lose_answer(fault)
            return path
        self.send_json(status, body, headers)
        return path

    def _api_key(self) -> str:
        header = self.headers.get("Authorization") or ""
        scheme, _, key = header.partition(" ")
        return key.strip() if scheme == "Api-Key" else ""

    def _route(
        self, method: str, path: str, query: dict[str, list[str]], api_key: str, raw: bytes
    ) -> tuple[int, Any, dict[str, str]]:
        store = self.state.store
        if path == "organization/" and method == "GET":
            organization = store.organization(api_key) or {}
            organization.pop("revoked", None)
            return 200, organization, {}
        if path in ("accounts/", "tax-rates/") and method == "GET":
            kind = "account" if path == "accounts/" else "tax_rate"
            return 200, self._page(store.records(api_key, kind), query, path), {}
        if path == "files/" and method == "POST":
            if self.state.config.files_unsupported:
                raise Refused(404, {"detail": "Not found."})
            return self._keyed(
                api_key, method, path, raw, lambda key: self._file(api_key, raw, key)
            )
        if match := re.fullmatch(r"(expenses|manual-journals)/", path):
            kind = KINDS[match.group(1)]
            if method == "GET":
                if "external_id" in query:
                    with self.state.lock:
                        self.state.stats[api_key]["looked_up"] += 1
                rows = [r for r in store.records(api_key, kind) if _listed(r, query)]
                return 200, self._page(rows, query, path), {}
            if method == "POST":
                body = self._json(raw)
                return self._keyed(
                    api_key, method, path, raw, lambda key: self._create(api_key, kind, body, key)
                )
        if match := re.fullmatch(r"(expenses|manual-journals)/([^/]+)/", path):
            kind, record_id = KINDS[match.group(1)], match.group(2)
            record = store.record(api_key, kind, record_id)
            if record is None:
                raise Refused(404, {"detail": "Not found."})
            if method == "GET":
                return 200, record, {}
            if method == "PATCH" and kind == "expense" and set(self._json(raw)) & EXPENSE_FIELDS:
                return 200, self._change_expense(api_key, record, self._json(raw)), {}
            if method == "PATCH":
                changes = self._json(raw)
                attachments = changes.get("attachments", record.get("attachments", []))
                self._check_files(api_key, attachments)
                self._check_open(str(changes.get("date") or record["date"]))
                allowed = {k: v for k, v in changes.items() if k in ("attachments", "description")}
                return 200, store.update(api_key, kind, record_id, allowed), {}
        match = re.fullmatch(r"expenses/([^/]+)/mark-as-draft/", path)
        if match and method == "POST":
            return 200, self._mark_as_draft(api_key, match.group(1)), {}
        raise Refused(404 if method == "GET" else 405, {"detail": "Not found."})

    # --- writes ------------------------------------------------------------------------------

    def _keyed(
        self, api_key: str, method: str, path: str, raw: bytes, write: Any
    ) -> tuple[int, Any, dict[str, str]]:
        """A write with or without an idempotency key: within the window, the same key and
        request answer the original (replayed), another request with it is a 409."""
        key = self.headers.get(KEY_HEADER)
        if key is None:
            return 201, write(None), {}
        try:
            uuid.UUID(key)
        except ValueError:
            raise Refused(
                400, {"detail": "X-Wafeq-Idempotency-Key must be a valid UUID."}
            ) from None
        scope = f"{method} {path}"
        digest = hashlib.sha256(raw).hexdigest()
        window = self.state.config.idempotency_window_s
        remembered = self.state.store.remembered(api_key, key, window_s=window)
        if remembered is not None:
            sent_scope, sent_digest, status, body = remembered
            if (sent_scope, sent_digest) != (scope, digest):
                raise Refused(
                    409, {"detail": "This idempotency key was used with a different request."}
                )
            with self.state.lock:
                self.state.stats[api_key]["replayed"] += 1
            return status, body, {REPLAYED_HEADER: "true"}
        return 201, write((key, scope, digest)), {}

    def _file(self, api_key: str, raw: bytes, key: tuple[str, str, str] | None) -> dict[str, Any]:
        content_type = self.headers.get("Content-Type") or ""
        message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
            f"Content-Type: {content_type}\r\n\r\n".encode() + raw
        )
        parts = (
            [
                p
                for p in message.iter_parts()
                if p.get_param("name", header="content-disposition") == "file"
            ]
            if message.is_multipart()
            else []
        )
        if not parts:
            raise Refused(400, {"file": ["No file was submitted."]})
        part = parts[0]
        content = part.get_payload(decode=True) or b""
        if not content:
            raise Refused(400, {"file": ["The submitted file is empty."]})
        body = {
            "file": "",
            "file_size": len(content),
            "mime_type": part.get_content_type(),
            "original_filename": part.get_filename() or "file",
        }
        with self.state.lock:
            self.state.stats[api_key]["files_uploaded"] += 1
        record = self.state.store.insert(api_key, "file", body, key=key)
        url = f"https://cdn.wafeq.sandbox/attachments/{record['id']}"
        return self.state.store.update(api_key, "file", record["id"], {"file": url}) or record

    def _create(
        self, api_key: str, kind: str, body: dict[str, Any], key: tuple[str, str, str] | None
    ) -> dict[str, Any]:
        record = self._expense(api_key, body) if kind == "expense" else self._journal(api_key, body)
        return self.state.store.insert(api_key, kind, record, key=key)

    def _change_expense(
        self, api_key: str, record: dict[str, Any], changes: dict[str, Any]
    ) -> dict[str, Any]:
        """A PATCH of a draft expense's accounts, amount or tax, checked as a create is.
        Whether Wafeq refuses it for a POSTED expense is not documented (its app asks to mark
        it as draft first): the sandbox refuses, in its own words."""
        if record["status"] != "DRAFT":
            raise Refused(
                400,
                {"detail": "A posted expense cannot be edited. Mark it as draft first."},
            )
        merged = {**record, **changes}
        checked = self._expense(api_key, merged, counted=False)
        kept = {"status": record["status"], "attachments": record.get("attachments", [])}
        changed = self.state.store.update(api_key, "expense", record["id"], {**checked, **kept})
        return changed or record

    def _expense(
        self, api_key: str, body: dict[str, Any], *, counted: bool = True
    ) -> dict[str, Any]:
        required = ("account", "paid_through_account", "amount", "currency", "date")
        missing = {name: ["This field is required."] for name in required if not body.get(name)}
        if missing:
            raise Refused(400, missing)
        self._check_open(str(body["date"]))
        self._check_currency(api_key, str(body["currency"]), "currency")
        self._posting_account(api_key, body["account"], "account")
        paid = self._posting_account(api_key, body["paid_through_account"], "paid_through_account")
        if not paid.get("is_payment_enabled"):
            raise Refused(
                400,
                {
                    "paid_through_account": [
                        f"Account {paid['account_code']} is not payment-enabled."
                    ]
                },
            )
        amount = _amount(body["amount"], "amount")
        if amount <= 0:
            raise Refused(400, {"amount": ["Ensure this value is greater than 0."]})
        tax_amount = Decimal("0.00")
        if body.get("tax_rate"):
            rate = self._tax_rate(api_key, body["tax_rate"], "tax_rate")
            percent = Decimal(str(rate["rate"]))
            if body.get("tax_amount_type", "TAX_INCLUSIVE") == "TAX_INCLUSIVE":
                tax_amount = amount * percent / (100 + percent)
            else:
                tax_amount = amount * percent / 100
            tax_amount = tax_amount.quantize(CENT, rounding=ROUND_HALF_UP)
        self._check_files(api_key, body.get("attachments", []))
        self._check_external_id(body)
        posted = False
        if counted:
            with self.state.lock:
                stats = self.state.stats[api_key]
                stats["expenses_created"] += 1
                every = self.state.config.posted_every
                posted = bool(every) and stats["expenses_created"] % every == 0
        return {
            "status": "POSTED" if posted else "DRAFT",
            "account": body["account"],
            "paid_through_account": body["paid_through_account"],
            "amount": f"{amount:.2f}",
            "currency": body["currency"],
            "date": body["date"],
            "description": str(body.get("description") or ""),
            "reference": str(body.get("reference") or ""),
            "external_id": str(body.get("external_id") or ""),
            "tax_rate": body.get("tax_rate"),
            "tax_amount": f"{tax_amount:.2f}",
            "tax_amount_type": body.get("tax_amount_type", "TAX_INCLUSIVE"),
            "attachments": list(body.get("attachments") or []),
        }

    def _journal(self, api_key: str, body: dict[str, Any]) -> dict[str, Any]:
        if not body.get("date"):
            raise Refused(400, {"date": ["This field is required."]})
        self._check_open(str(body["date"]))
        lines = body.get("line_items")
        if not isinstance(lines, list) or len(lines) < 2:
            raise Refused(400, {"line_items": ["A manual journal needs at least two lines."]})
        kept, total = [], Decimal("0.00")
        for index, line in enumerate(lines):
            where = f"line_items.{index}"
            if not isinstance(line, dict):
                raise Refused(400, {where: ["Invalid line."]})
            self._posting_account(api_key, line.get("account"), f"{where}.account")
            self._check_currency(api_key, str(line.get("currency") or ""), f"{where}.currency")
            amount = _amount(line.get("amount"), f"{where}.amount")
            to_bcy = _amount(line.get("amount_to_bcy"), f"{where}.amount_to_bcy")
            if line.get("tax_rate"):
                self._tax_rate(api_key, line["tax_rate"], f"{where}.tax_rate")
            total += to_bcy
            kept.append(
                {
                    "id": f"jli_{index + 1}",
                    "account": line["account"],
                    "description": str(line.get("description") or ""),
                    "amount": f"{amount:.2f}",
                    "amount_to_bcy": f"{to_bcy:.2f}",
                    "currency": line.get("currency"),
                    "tax_rate": line.get("tax_rate"),
                    "exchange_rate": "1.0000",
                }
            )
        if total != 0:
            raise Refused(
                400, {"detail": "The journal is not balanced: debits must equal credits."}
            )
        self._check_files(api_key, body.get("attachments", []))
        self._check_external_id(body)
        return {
            "serial_number": "",
            "date": body["date"],
            "reference": str(body.get("reference") or ""),
            "external_id": str(body.get("external_id") or ""),
            "notes": str(body.get("notes") or ""),
            "tax_amount_type": body.get("tax_amount_type", "TAX_EXCLUSIVE"),
            "attachments": list(body.get("attachments") or []),
            "line_items": kept,
        }

    def _mark_as_draft(self, api_key: str, expense_id: str) -> dict[str, Any]:
        store = self.state.store
        expense = store.record(api_key, "expense", expense_id)
        if expense is None:
            raise Refused(404, {"detail": "Not found."})
        self._check_open(str(expense["date"]))
        if expense["status"] != "POSTED":
            raise Refused(400, {"detail": "Only a posted expense can be marked as draft."})
        with self.state.lock:
            self.state.stats[api_key]["marked_as_draft"] += 1
        return store.update(api_key, "expense", expense_id, {"status": "DRAFT"}) or expense

    # --- checks ------------------------------------------------------------------------------

    def _check_open(self, date: str) -> None:
        lock = self.state.config.lock_date
        if lock and date[:10] <= lock:
            raise Refused(
                400,
                {
                    "detail": f"Your books up to {lock} are closed. To make changes, remove or "
                    "change the lock date from the settings."
                },
            )

    def _check_currency(self, api_key: str, currency: str, where: str) -> None:
        organization = self.state.store.organization(api_key) or {}
        base = organization.get("financial_settings", {}).get("base_currency")
        if currency != base:
            raise Refused(400, {where: [f"Only {base} is enabled for this organization."]})

    def _posting_account(self, api_key: str, account_id: Any, where: str) -> dict[str, Any]:
        account = self.state.store.record(api_key, "account", str(account_id))
        if account is None:
            raise Refused(400, {where: [f'Invalid pk "{account_id}" - object does not exist.']})
        if not account.get("is_posting", True):
            raise Refused(
                400,
                {
                    where: [
                        f"Account {account['account_code']} · {account['name_en']} is not a "
                        "posting account."
                    ]
                },
            )
        return account

    def _tax_rate(self, api_key: str, tax_rate_id: Any, where: str) -> dict[str, Any]:
        rate = self.state.store.record(api_key, "tax_rate", str(tax_rate_id))
        if rate is None:
            raise Refused(400, {where: [f'Invalid pk "{tax_rate_id}" - object does not exist.']})
        return rate

    def _check_files(self, api_key: str, file_ids: Any) -> None:
        for file_id in file_ids if isinstance(file_ids, list) else []:
            if self.state.store.record(api_key, "file", str(file_id)) is None:
                raise Refused(
                    400, {"attachments": [f'Invalid pk "{file_id}" - object does not exist.']}
                )

    @staticmethod
    def _check_external_id(body: dict[str, Any]) -> None:
        if len(str(body.get("external_id") or "")) > 255:
            raise Refused(
                400, {"external_id": ["Ensure this field has no more than 255 characters."]}
            )

    # --- plumbing ----------------------------------------------------------------------------

    @staticmethod
    def _json(raw: bytes) -> dict[str, Any]:
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            raise Refused(400, {"detail": "JSON parse error."}) from None
        if not isinstance(body, dict):
            raise Refused(400, {"non_field_errors": ["Invalid data. Expected a dictionary."]})
        return body

    def _page(
        self, rows: list[dict[str, Any]], query: dict[str, list[str]], path: str
    ) -> dict[str, Any]:
        page = _int(query, "page", 1)
        size = min(MAX_PAGE_SIZE, _int(query, "page_size", MAX_PAGE_SIZE))
        start = (page - 1) * size
        more = start + size < len(rows)
        host = self.headers.get("Host") or "127.0.0.1"
        return {
            "count": len(rows),
            "next": f"http://{host}/v1/{path}?page={page + 1}&page_size={size}" if more else None,
            "previous": None if page == 1 else f"http://{host}/v1/{path}?page={page - 1}",
            "results": rows[start : start + size],
        }

    # --- controls of its own -------------------------------------------------------------------

    def control(self, method: str, path: str, books: str, body: dict[str, Any]) -> bool:
        store = self.state.store
        if path == "/_sandbox/organizations" and method == "POST":
            api_key = str(body["api_key"])
            count = int(body.get("accounts") or 0)
            store.create_organization(
                api_key,
                org_id=str(
                    body.get("id") or f"org_{hashlib.sha256(api_key.encode()).hexdigest()[:10]}"
                ),
                name=str(body.get("name") or api_key),
                currency=str(body.get("currency") or seed.DEMO_CURRENCY),
                accounts=seed.generated_accounts(count) if count else seed.demo_accounts(),
            )
            self.send_json(201, {"api_key": api_key})
        elif match := re.fullmatch(r"/_sandbox/organizations/([^/]+)/(revoke|restore)", path):
            found = store.set_revoked(match.group(1), match.group(2) == "revoke")
            self.send_json(200 if found else 404, {"ok": found})
        elif path == "/_sandbox/entries" and method == "GET":
            self.send_json(
                200,
                {
                    "expenses": store.records(books, "expense"),
                    "manual_journals": store.records(books, "journal"),
                    "files": store.records(books, "file"),
                },
            )
        elif match := re.fullmatch(r"/_sandbox/entries/([^/]+)", path):
            entry_id = match.group(1)
            if method == "DELETE":
                found = store.delete(books, entry_id)
                self.send_json(200 if found else 404, {"ok": found})
            elif method == "PATCH":
                kind = "journal" if entry_id.startswith("jou_") else "expense"
                record = store.update(books, kind, entry_id, body)
                self.send_json(200 if record else 404, record or {"ok": False})
            else:
                self.send_json(405, {"error": "Method Not Allowed"})
        elif match := re.fullmatch(r"/_sandbox/(expenses|manual-journals)/([^/]+)", path):
            record = store.record(books, KINDS[match.group(1)], match.group(2))
            if record is None:
                self.send_html(404, "<h1>Not found</h1>")
            else:
                text = html.escape(json.dumps(record, indent=1, ensure_ascii=False))
                self.send_html(
                    200, f"<!doctype html><h1>{html.escape(record['id'])}</h1><pre>{text}</pre>"
                )
        else:
            return False
        return True

    def inspection(self, books: str) -> Inspection:
        store = self.state.store
        accounts = {
            a["id"]: f"{a['account_code']} {a['name_en']}" for a in store.records(books, "account")
        }
        files = {
            f["id"]: f"{f['original_filename']} ({f['file_size']} bytes, {f['mime_type']})"
            for f in store.records(books, "file")
        }
        rows: list[tuple[str, str, str, str, str, list[str], list[str]]] = []
        for e in store.records(books, "expense"):
            account, paid = e["account"], e["paid_through_account"]
            lines = [
                f"{accounts.get(account, account)}: {e['amount']} (VAT {e['tax_amount']})",
                f"paid through {accounts.get(paid, paid)}",
            ]
            rows.append(
                (
                    e["id"],
                    e["external_id"],
                    e["date"],
                    e["status"],
                    e["description"],
                    lines,
                    [files.get(i, i) for i in e["attachments"]],
                )
            )
        for j in store.records(books, "journal"):
            lines = [
                f"{accounts.get(x['account'], x['account'])}: {x['amount']}"
                for x in j["line_items"]
            ]
            rows.append(
                (
                    j["id"],
                    j["external_id"],
                    j["date"],
                    "POSTED (manual journal)",
                    j["notes"],
                    lines,
                    [files.get(i, i) for i in j["attachments"]],
                )
            )
        rows.sort(key=lambda row: row[0][4:])
        return Inspection(
            summary="REST API at /v1/ (Wafeq's shapes): expenses (drafts) and manual journals.",
            columns=("id", "external_id", "date", "status", "description", "lines", "attachments"),
            rows=list(rows),
            books=store.api_keys(),
        )


def _listed(row: dict[str, Any], query: dict[str, list[str]]) -> bool:
    """The list filters Wafeq honours (others are ignored, as Wafeq ignores them)."""
    external_id, after, before = (
        _first(query, name) for name in ("external_id", "date_after", "date_before")
    )
    if external_id is not None and row.get("external_id") != external_id:
        return False
    if after and str(row.get("date")) < after:
        return False
    return not (before and str(row.get("date")) > before)


def _first(query: dict[str, list[str]], name: str) -> str | None:
    values = query.get(name)
    return values[0] if values else None


def _int(query: dict[str, list[str]], name: str, default: int) -> int:
    try:
        return max(1, int(_first(query, name) or default))
    except ValueError:
        return default


SANDBOX = Sandbox(
    Handler,
    Store,
    Config,
    port=8773,
    about=f"REST API at {{url}}/v1; API key {seed.DEMO_KEY}, organization {seed.DEMO_NAME} (SAR)",
)
