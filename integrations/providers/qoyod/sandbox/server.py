"""The sandbox's HTTP server: Qoyod's /2.0 API as our client uses it, plus /_sandbox/ controls.

API (header `API-KEY`): GET /2.0/accounts, GET /2.0/vendors, GET /2.0/journal_entries
(Ransack `q[date_eq]`, `q[date_gteq]`, `q[date_lteq]`, `q[description_cont]`,
`page`, `per_page`), GET /2.0/journal_entries/{id},
POST /2.0/journal_entries, POST /2.0/journal_entries/{id}/attachments (multipart `file`).

Controls (no auth, for tests and demos): GET/PATCH /_sandbox/config, POST /_sandbox/faults,
POST /_sandbox/tenants, POST /_sandbox/tenants/{key}/revoke|restore,
PATCH /_sandbox/tenants/{key}/accounts, GET /_sandbox/journal_entries?api_key=,
GET|DELETE|PATCH /_sandbox/journal_entries/{id}?api_key= (see it; an accountant's edits),
GET /_sandbox/stats?api_key= (requests served and refused), POST /_sandbox/reset,
GET /_sandbox/health.
"""

import datetime
import json
import logging
import random
import re
import threading
import time
from collections import Counter, defaultdict, deque
from dataclasses import asdict, dataclass, field
from decimal import Decimal, InvalidOperation
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from integrations.providers.qoyod.sandbox import seed
from integrations.providers.qoyod.sandbox.store import Store

logger = logging.getLogger("qoyod_sandbox")

FAULT_KINDS = (
    "500",
    "429",
    "drop",
    "500_after_commit",
    "timeout_after_commit",
    "drop_after_commit",
)
AFTER_COMMIT = {"500_after_commit", "timeout_after_commit", "drop_after_commit"}


@dataclass
class Config:
    latency_ms: int = 0
    rate_limit_per_minute: int = 300
    fault_rate: float = 0.0
    bare: bool = False  # behave like the bare public API: no draft status, no attachments
    timeout_sleep_s: float = 30.0
    faults: list[dict[str, Any]] = field(default_factory=list)


def _path_matches(fault: dict[str, Any], path: str) -> bool:
    """A fault's "path" matches anywhere in the request path; ending it with "$" anchors it
    to the end ("journal_entries$" is the create call, not an entry's attachments)."""
    pattern = str(fault.get("path", ""))
    if pattern.endswith("$"):
        return path.endswith(pattern[:-1])
    return pattern in path


class DropConnection(Exception):
    """Close the socket without answering (what a crashed proxy or a cut network does)."""


class SandboxState:
    def __init__(self, store: Store, config: Config) -> None:
        self.store = store
        self.config = config
        self.defaults = Config(**{k: v for k, v in asdict(config).items() if k != "faults"})
        self.lock = threading.Lock()
        self.calls: dict[str, deque[float]] = defaultdict(deque)
        # Requests per tenant: served, or refused with a 429 (benchmarks read them).
        self.stats: dict[str, Counter[str]] = defaultdict(Counter)

    def count(self, api_key: str, outcome: str) -> None:
        with self.lock:
            self.stats[api_key][outcome] += 1

    def take_rate_slot(self, api_key: str) -> float:
        """0 if the request may go on, else the seconds until a slot frees (sliding minute)."""
        limit = self.config.rate_limit_per_minute
        if limit <= 0:
            return 0.0
        now = time.monotonic()
        with self.lock:
            window = self.calls[api_key]
            while window and now - window[0] >= 60:
                window.popleft()
            if len(window) >= limit:
                return 60 - (now - window[0])
            window.append(now)
        return 0.0

    def next_fault(self, method: str, path: str) -> str | None:
        with self.lock:
            for fault in self.config.faults:
                if fault.get("method", method) == method and _path_matches(fault, path):
                    fault["count"] = int(fault.get("count", 1)) - 1
                    if fault["count"] <= 0:
                        self.config.faults.remove(fault)
                    return str(fault["kind"])
        if self.config.fault_rate and random.random() < self.config.fault_rate:  # noqa: S311
            kinds = FAULT_KINDS if method == "POST" else ("500", "429", "drop")
            return random.choice(kinds)  # noqa: S311
        return None


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


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body leave at once, no 40 ms ACK stall
    server_version = "QoyodSandbox/1.0"
    state: SandboxState  # set on the subclass by make_server
    _after_commit_fault: str | None = None
    _status: int = 0

    # --- plumbing -------------------------------------------------------------------------

    def log_message(self, format: str, *args: Any) -> None:
        return  # we log one line per request ourselves, without headers

    def _send(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        payload = json.dumps(body, ensure_ascii=False).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(payload)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)
        self._status = status

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _json(self, raw: bytes) -> Any:
        try:
            return json.loads(raw or b"{}")
        except ValueError:
            return None

    def _drop(self) -> None:
        self.close_connection = True
        self._status = 0

    def _dispatch(self, method: str) -> None:
        started = time.monotonic()
        self._status = 0
        url = urlsplit(self.path)
        try:
            if url.path.startswith("/_sandbox/"):
                self._control(method, url.path, parse_qs(url.query))
            elif url.path.startswith("/2.0/"):
                self._api(method, url.path[len("/2.0/") :].rstrip("/"), parse_qs(url.query))
            else:
                self._send(404, {"message": "Not Found"})
        except DropConnection:
            self._drop()
        except BrokenPipeError:
            self._drop()
        logger.info(
            "%s %s -> %s in %.0f ms",
            method,
            url.path,
            self._status or "dropped",
            (time.monotonic() - started) * 1000,
        )

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_PATCH(self) -> None:
        self._dispatch("PATCH")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    # --- the Qoyod API ----------------------------------------------------------------------

    def _api(self, method: str, path: str, query: dict[str, list[str]]) -> None:
        raw = self._body()
        state = self.state
        if state.config.latency_ms:
            time.sleep(state.config.latency_ms / 1000)
        api_key = self.headers.get("API-KEY", "")
        tenant = state.store.tenant(api_key) if api_key else None
        if tenant is None or tenant["revoked"]:
            self._send(401, {"message": "unauthorized"})
            return
        wait = state.take_rate_slot(api_key)
        state.count(api_key, "rate_limited" if wait else "served")
        if wait:
            self._send(
                429, {"message": "Too many requests"}, {"Retry-After": str(max(1, round(wait)))}
            )
            return
        fault = state.next_fault(method, path)
        if fault == "500":
            self._send(500, {"message": "Internal Server Error"})
            return
        if fault == "429":
            self._send(429, {"message": "Too many requests"}, {"Retry-After": "1"})
            return
        if fault == "drop":
            raise DropConnection
        self._after_commit_fault = fault if fault in AFTER_COMMIT else None
        self._route(method, path, query, raw, api_key)

    def _route(
        self, method: str, path: str, query: dict[str, list[str]], raw: bytes, api_key: str
    ) -> None:
        store = self.state.store
        if method == "GET" and path == "accounts":
            self._send(200, {"accounts": store.accounts(api_key)})
        elif method == "GET" and path == "vendors":
            self._send(200, {"vendors": store.vendors(api_key)})
        elif method == "GET" and path == "journal_entries":
            self._list_entries(query, api_key)
        elif method == "GET" and (match := re.fullmatch(r"journal_entries/(\d+)", path)):
            entry = store.entry(api_key, int(match.group(1)))
            if entry is None:
                self._send(404, {"message": "Not Found"})
            else:
                self._send(200, {"journal_entry": self._public(entry)})
        elif method == "POST" and path == "journal_entries":
            self._create_entry(raw, api_key)
        elif method == "POST" and (
            match := re.fullmatch(r"journal_entries/(\d+)/attachments", path)
        ):
            self._attach(int(match.group(1)), raw, api_key)
        else:
            self._send(404, {"message": "Not Found"})

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
            self._send(404, {"message": "found nothing"})
            return
        per_page = max(1, int((query.get("per_page") or ["100"])[0]))
        page = max(1, int((query.get("page") or ["1"])[0]))
        total_pages = max(1, -(-total // per_page))
        chunk = self.state.store.entries(
            api_key, **filters, limit=per_page, offset=(page - 1) * per_page
        )
        self._send(
            200,
            {
                "journal_entries": [self._public(row) for row in chunk],
                "pagination": {"currentPage": page, "totalPages": total_pages},
            },
        )

    def _create_entry(self, raw: bytes, api_key: str) -> None:
        body = self._json(raw)
        entry, errors = validate_entry(body, self.state.store.active_account_ids(api_key))
        if errors or entry is None:
            self._send(422, {"errors": errors})
            return
        if self.state.config.bare:
            entry["status"] = "Approved"  # the public API posts entries at once
        created = self.state.store.create_entry(api_key, entry)
        self._answer_after_commit(201, {"journal_entry": self._public(created)})

    def _attach(self, entry_id: int, raw: bytes, api_key: str) -> None:
        if self.state.config.bare or self.state.store.entry(api_key, entry_id) is None:
            self._send(404, {"message": "Not Found"})
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
        self._send(422, {"errors": {"file": ["can't be blank"]}})

    def _answer_after_commit(self, status: int, body: Any) -> None:
        """The write is stored; an injected after-commit fault now loses the answer."""
        fault = self._after_commit_fault
        if fault == "500_after_commit":
            self._send(500, {"message": "Internal Server Error"})
        elif fault == "timeout_after_commit":
            time.sleep(self.state.config.timeout_sleep_s)
            raise DropConnection
        elif fault == "drop_after_commit":
            raise DropConnection
        else:
            self._send(status, body)

    # --- controls ---------------------------------------------------------------------------

    def _control(self, method: str, path: str, query: dict[str, list[str]]) -> None:
        state = self.state
        body = self._json(self._body()) or {}
        if path == "/_sandbox/health":
            self._send(200, {"ok": True})
        elif path == "/_sandbox/config" and method == "GET":
            self._send(200, asdict(state.config))
        elif path == "/_sandbox/config" and method == "PATCH":
            for name, value in body.items():
                if hasattr(state.config, name) and name != "faults":
                    setattr(state.config, name, type(getattr(state.defaults, name))(value))
            self._send(200, asdict(state.config))
        elif path == "/_sandbox/faults" and method == "POST":
            faults = body.get("faults", [])
            unknown = [f.get("kind") for f in faults if f.get("kind") not in FAULT_KINDS]
            if unknown:
                self._send(400, {"errors": {"kind": [f"unknown fault {unknown}"]}})
                return
            with state.lock:
                state.config.faults.extend(faults)
            self._send(200, asdict(state.config))
        elif path == "/_sandbox/tenants" and method == "POST":
            count = int(body.get("accounts") or 0)
            chart = seed.generated_chart(count) if count else seed.demo_chart()
            state.store.create_tenant(
                body["api_key"], body.get("name", body["api_key"]), chart, seed.vendors()
            )
            self._send(201, {"api_key": body["api_key"], "accounts": len(chart)})
        elif match := re.fullmatch(r"/_sandbox/tenants/([^/]+)/(revoke|restore)", path):
            found = state.store.set_revoked(match.group(1), match.group(2) == "revoke")
            self._send(200 if found else 404, {"ok": found})
        elif match := re.fullmatch(r"/_sandbox/tenants/([^/]+)/accounts", path):
            state.store.change_accounts(
                match.group(1),
                rename=body.get("rename", {}),
                add=body.get("add", []),
                remove=body.get("remove", []),
            )
            self._send(200, {"accounts": len(state.store.accounts(match.group(1)))})
        elif path == "/_sandbox/journal_entries":
            api_key = (query.get("api_key") or [seed.DEMO_KEY])[0]
            attachments = state.store.attachments(api_key)
            entries = state.store.entries(api_key)
            for entry in entries:
                entry["attachments"] = [a for a in attachments if a["entry_id"] == entry["id"]]
            self._send(200, {"journal_entries": entries})
        elif match := re.fullmatch(r"/_sandbox/journal_entries/(\d+)", path):
            api_key = (query.get("api_key") or [seed.DEMO_KEY])[0]
            entry_id = int(match.group(1))
            if method == "GET":
                held = state.store.entry(api_key, entry_id)
                self._send(200 if held else 404, {"journal_entry": held})
            elif method == "DELETE":
                found = state.store.delete_entry(api_key, entry_id)
                self._send(200 if found else 404, {"ok": found})
            elif method == "PATCH":
                changed = state.store.change_entry(api_key, entry_id, body)
                self._send(200 if changed else 404, {"journal_entry": changed})
            else:
                self._send(405, {"message": "Method Not Allowed"})
        elif path == "/_sandbox/stats":
            api_key = (query.get("api_key") or [seed.DEMO_KEY])[0]
            with state.lock:
                counted = dict(state.stats[api_key])
            self._send(200, {"served": counted.get("served", 0), **counted})
        elif path == "/_sandbox/reset" and method == "POST":
            state.store.reset()
            with state.lock:
                state.config = Config(**asdict(state.defaults))
                state.calls.clear()
                state.stats.clear()
            self._send(200, {"ok": True})
        else:
            self._send(404, {"message": "Not Found"})


def make_server(host: str, port: int, store: Store, config: Config) -> ThreadingHTTPServer:
    state = SandboxState(store, config)
    handler = type("BoundHandler", (Handler,), {"state": state})
    server = ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    return server
