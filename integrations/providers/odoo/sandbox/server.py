"""The Odoo sandbox's HTTP server: Odoo 17's external JSON-RPC API as our client uses it, plus
/_sandbox/ controls and an inspection page.

API: `POST /jsonrpc` with `{"jsonrpc": "2.0", "method": "call", "params": {"service",
"method", "args"}, "id"}`:
- `common.version`, `common.authenticate(db, login, key, {})` (uid, or false), `common.login`;
- `object.execute_kw(db, uid, key, model, method, args, kwargs)` with `search_read`,
  `search`, `search_count`, `read` on res.users, res.company, res.lang, account.account,
  account.group, account.journal, account.move, account.move.line, ir.attachment; `create` on
  account.move (a journal entry with all its lines, left in draft, checked like Odoo:
  balanced, accounts exist and are not deprecated, lines as `(0, 0, values)` commands) and
  ir.attachment (base64 `datas`, `res_model`/`res_id`, `image_no_postprocess` noted).
Errors come back as Odoo's do: HTTP 200 with `error.data.name` the exception's class
(odoo.exceptions.AccessDenied, AccessError, UserError, ValidationError, MissingError,
builtins.ValueError, psycopg2.OperationalError); 413 past `max_request_bytes`.

Controls (no auth, for tests and demos): GET /_sandbox/ (inspection page), GET/PATCH
/_sandbox/config, POST /_sandbox/faults, POST /_sandbox/databases, PATCH
/_sandbox/databases/{db}/accounts, POST /_sandbox/databases/{db}/users/{login}/revoke|restore,
GET /_sandbox/moves?database=, DELETE|PATCH /_sandbox/moves/{id}?database=,
GET /_sandbox/stats?database=, POST /_sandbox/reset, GET /_sandbox/health.
"""

import base64
import binascii
import datetime
import hashlib
import html
import json
import logging
import random
import re
import threading
import time
from collections import Counter, defaultdict, deque
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from integrations.providers.odoo.sandbox import seed
from integrations.providers.odoo.sandbox.store import Store

logger = logging.getLogger("odoo_sandbox")

FAULT_KINDS = (
    "500",
    "502",
    "429",
    "drop",
    "500_after_commit",
    "502_after_commit",
    "timeout_after_commit",
    "drop_after_commit",
)
AFTER_COMMIT = {"500_after_commit", "502_after_commit", "timeout_after_commit", "drop_after_commit"}
WRITES = {"create"}


@dataclass
class Config:
    latency_ms: int = 0
    rate_limit_per_second: int = 0  # per database; 0 = none (Odoo documents none)
    fault_rate: float = 0.0
    server_version: str = "17.0"  # what common.version reports; the shapes stay 17's
    attachments_forbidden: bool = False  # the user may not create ir.attachment records
    max_request_bytes: int = 128 * 1024 * 1024  # werkzeug's default in Odoo
    timeout_sleep_s: float = 30.0
    faults: list[dict[str, Any]] = field(default_factory=list)


class RpcError(Exception):
    """An exception Odoo would raise: `name` is its class as Odoo reports it."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__(message)
        self.name = name
        self.message = message


def access_denied() -> RpcError:
    return RpcError("odoo.exceptions.AccessDenied", "Access Denied")


def missing(model: str, ids: list[Any], uid: int) -> RpcError:
    return RpcError(
        "odoo.exceptions.MissingError",
        "Record does not exist or has been deleted.\n"
        f"(Record: {model}({', '.join(map(str, ids))},), User: {uid})",
    )


class DropConnection(Exception):
    """Close the socket without answering (what a crashed proxy or a cut network does)."""


# --- the models, as far as we use them -----------------------------------------------------------

# field → kind; "m2o:<model>" reads as [id, display name], "translated" by the context's lang.
FIELDS: dict[str, dict[str, str]] = {
    "res.users": {"id": "int", "login": "char", "name": "char", "company_id": "m2o:res.company"},
    "res.company": {"id": "int", "name": "char", "currency_id": "m2o:res.currency"},
    "res.lang": {"id": "int", "code": "char", "name": "char", "active": "bool"},
    "account.account": {
        "id": "int",
        "code": "char",
        "name": "translated",
        "account_type": "char",
        "internal_group": "char",
        "group_id": "m2o:account.group",
        "deprecated": "bool",
        "company_id": "m2o:res.company",
        "currency_id": "m2o:res.currency",
    },
    "account.group": {
        "id": "int",
        "name": "translated",
        "code_prefix_start": "char",
        "code_prefix_end": "char",
        "parent_id": "m2o:account.group",
        "company_id": "m2o:res.company",
    },
    "account.journal": {
        "id": "int",
        "code": "char",
        "name": "char",
        "type": "char",
        "sequence": "int",
        "active": "bool",
        "company_id": "m2o:res.company",
    },
    "account.move": {
        "id": "int",
        "name": "char",
        "ref": "char",
        "date": "char",
        "state": "char",
        "move_type": "char",
        "narration": "char",
        "journal_id": "m2o:account.journal",
        "company_id": "m2o:res.company",
        "line_ids": "o2m",
        "amount_total": "float",
    },
    "account.move.line": {
        "id": "int",
        "move_id": "m2o:account.move",
        "account_id": "m2o:account.account",
        "name": "char",
        "debit": "float",
        "credit": "float",
        "balance": "float",
        "company_id": "m2o:res.company",
    },
    "ir.attachment": {
        "id": "int",
        "name": "char",
        "res_model": "char",
        "res_id": "int",
        "mimetype": "char",
        "file_size": "int",
        "checksum": "char",
        "company_id": "m2o:res.company",
    },
}
STORED = {
    "account.account",
    "account.group",
    "account.journal",
    "account.move",
    "account.move.line",
    "ir.attachment",
}


def _check_fields(model: str, names: list[str]) -> None:
    for name in names:
        if name not in FIELDS[model]:
            raise RpcError("builtins.ValueError", f"Invalid field {name!r} on model {model!r}")


def _compare(actual: Any, op: str, value: Any) -> bool:
    if op in ("=", "=="):
        return bool(actual == value or (value is False and actual in (None, False, "")))
    if op in ("!=", "<>"):
        return not _compare(actual, "=", value)
    if op == "in":
        return actual in (value or [])
    if op == "not in":
        return actual not in (value or [])
    if op in ("=like", "=ilike"):
        pattern = "^" + re.escape(str(value)).replace("%", ".*").replace("_", ".") + "$"
        return bool(re.match(pattern, str(actual or ""), re.IGNORECASE if "i" in op else 0))
    if op in ("like", "ilike"):
        haystack, needle = str(actual or ""), str(value)
        return needle.lower() in haystack.lower() if op == "ilike" else needle in haystack
    if actual in (None, False):
        return False
    return {
        ">": lambda: actual > value,
        ">=": lambda: actual >= value,
        "<": lambda: actual < value,
        "<=": lambda: actual <= value,
    }.get(op, lambda: False)()


OPERATORS: tuple[str, ...] = ("=", "==", "!=", "<>", "in", "not in", "=like", "=ilike")
OPERATORS += ("like", "ilike", ">", ">=", "<", "<=")


def matches(model: str, record: dict[str, Any], domain: Any) -> bool:
    """Odoo's domains as we use them: leaves [field, operator, value], implicitly and-ed."""
    for term in domain or []:
        if term == "&":
            continue
        if not isinstance(term, list | tuple) or len(term) != 3:
            raise RpcError("builtins.ValueError", f"Invalid leaf {term!r}")
        name, op, value = term
        _check_fields(model, [name])
        if op not in OPERATORS:
            raise RpcError("builtins.ValueError", f"Invalid operator {op!r}")
        if not _compare(record.get(name), op, value):
            return False
    return True


class Books:
    """One call's view of a database: its records, read the way Odoo reads them."""

    def __init__(self, store: Store, database: str, uid: int, context: dict[str, Any]) -> None:
        self.store = store
        self.database = database
        self.uid = uid
        self.context = context if isinstance(context, dict) else {}
        self.info = store.database(database) or {}
        self._cache: dict[str, list[dict[str, Any]]] = {}

    def records(self, model: str) -> list[dict[str, Any]]:
        if model not in self._cache:
            if model == "res.users":
                user = self.store.user(self.database, uid=self.uid) or {}
                rows = [{"id": self.uid, "login": user.get("login"), "name": user.get("login")}]
                rows[0]["company_id"] = 1
            elif model == "res.company":
                rows = [
                    {
                        "id": 1,
                        "name": self.info.get("company"),
                        "currency_id": self.info.get("currency_id"),
                    }
                ]
            elif model == "res.lang":
                rows = [
                    {"id": n, "code": code, "name": name, "active": True}
                    for n, (code, name) in enumerate(seed.LANGUAGES, 1)
                ]
            else:
                rows = self.store.records(self.database, model)
                if model == "account.journal":  # archived journals are hidden, as in Odoo
                    rows = [row for row in rows if row.get("active", True)]
            self._cache[model] = rows
        return self._cache[model]

    def display_name(self, model: str, record_id: int) -> str:
        if model == "res.currency":
            return str(self.info.get("currency"))
        found = next((r for r in self.records(model) if r["id"] == record_id), None)
        if found is None:
            return ""
        if model == "account.account":
            return f"{found['code']} {self.translated(found['name'])}"
        if model == "account.group":
            return f"{found.get('code_prefix_start', '')} {self.translated(found['name'])}"
        if model == "account.move":
            return str(found.get("name") or "/")
        return str(found.get("name") or found.get("login") or record_id)

    def translated(self, value: Any) -> str:
        if isinstance(value, dict):
            lang = str(self.context.get("lang") or "en_US")
            return str(value.get(lang) or value.get("en_US") or "")
        return str(value or "")

    def read(self, model: str, record: dict[str, Any], names: list[str]) -> dict[str, Any]:
        out: dict[str, Any] = {"id": record["id"]}
        for name in names or list(FIELDS[model]):
            kind = FIELDS[model][name]
            value = record.get(name)
            if kind.startswith("m2o:"):
                target = kind[4:]
                out[name] = [value, self.display_name(target, value)] if value else False
            elif kind == "translated":
                out[name] = self.translated(value)
            elif kind == "o2m":
                out[name] = list(value or [])
            else:
                out[name] = value if value is not None else False
        return out

    def search(self, model: str, domain: Any, kwargs: dict[str, Any]) -> list[dict[str, Any]]:
        rows = [row for row in self.records(model) if matches(model, row, domain)]
        order = str(kwargs.get("order") or "id")
        keys = [part.split()[0] for part in order.split(",") if part.strip()]
        _check_fields(model, keys)
        rows.sort(key=lambda row: tuple(row.get(key) or 0 for key in keys))
        if "desc" in order.lower():
            rows.reverse()
        offset = int(kwargs.get("offset") or 0)
        limit = kwargs.get("limit")
        return rows[offset : offset + int(limit)] if limit else rows[offset:]


def _amount(value: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise RpcError("builtins.ValueError", f"Wrong value for {what}: {value!r}")
    try:
        return float(value)
    except ValueError:
        raise RpcError("builtins.ValueError", f"Wrong value for {what}: {value!r}") from None


def create_move(books: Books, values: Any) -> dict[str, Any]:
    """What Odoo checks when a journal entry is created over the API."""
    if not isinstance(values, dict):
        raise RpcError("builtins.TypeError", "create() takes a dictionary of values")
    unknown = set(values) - {*FIELDS["account.move"], "auto_post", "checked", "to_check"}
    if unknown:
        raise RpcError(
            "builtins.ValueError", f"Invalid field {sorted(unknown)[0]!r} on model 'account.move'"
        )
    move_type = values.get("move_type", "entry")
    if move_type != "entry":
        raise RpcError("odoo.exceptions.UserError", "The sandbox keeps journal entries only.")
    journal_id = values.get("journal_id")
    journals = {row["id"]: row for row in books.records("account.journal")}
    if journal_id not in journals:
        raise missing("account.journal", [journal_id], books.uid)
    try:
        date = datetime.date.fromisoformat(str(values.get("date") or ""))
    except ValueError:
        raise RpcError(
            "builtins.ValueError", f"time data {values.get('date')!r} does not match format"
        ) from None
    accounts = {row["id"]: row for row in books.records("account.account")}
    lines: list[dict[str, Any]] = []
    for command in values.get("line_ids") or []:
        if isinstance(command, dict):
            raise RpcError("psycopg2.ProgrammingError", "can't adapt type 'dict'")
        if not isinstance(command, list | tuple) or len(command) != 3 or command[0] != 0:
            raise RpcError("builtins.ValueError", f"Invalid command {command!r} for line_ids")
        line = command[2] if isinstance(command[2], dict) else {}
        account_id = line.get("account_id")
        if account_id not in accounts:
            raise missing("account.account", [account_id], books.uid)
        account = accounts[account_id]
        if account.get("deprecated"):
            raise RpcError(
                "odoo.exceptions.UserError",
                f"The account {account['code']} ({books.translated(account['name'])}) is "
                "deprecated.",
            )
        debit = _amount(line.get("debit", 0.0), "debit")
        credit = _amount(line.get("credit", 0.0), "credit")
        if debit < 0 or credit < 0 or (debit and credit):
            raise RpcError(
                "odoo.exceptions.ValidationError",
                "Wrong credit or debit value in accounting entry!",
            )
        lines.append(
            {
                "account_id": account_id,
                "name": str(line.get("name") or ""),
                "debit": round(debit, 2),
                "credit": round(credit, 2),
                "balance": round(debit - credit, 2),
                "company_id": 1,
            }
        )
    types = {accounts[line["account_id"]]["account_type"] == "off_balance" for line in lines}
    if len(types) > 1:
        raise RpcError(
            "odoo.exceptions.UserError",
            'If you want to use "Off-Balance Sheet" accounts, all the accounts of the journal '
            "entry must be of this type",
        )
    difference = round(sum(line["balance"] for line in lines), 2)
    if not lines or difference:
        raise RpcError(
            "odoo.exceptions.UserError",
            f"Cannot create unbalanced journal entry.\nDifferences debit - credit: [{difference}]",
        )
    move = {
        "name": "/",
        "ref": str(values.get("ref") or "") or False,
        "date": date.isoformat(),
        "state": "draft",  # created over the API, an entry stays a draft until posted
        "move_type": "entry",
        "narration": str(values.get("narration") or "") or False,
        "journal_id": journal_id,
        "company_id": 1,
        "amount_total": round(sum(line["debit"] for line in lines), 2),
    }
    return books.store.create_move(books.database, move, lines)


def create_attachment(books: Books, values: Any, config: Config) -> dict[str, Any]:
    if config.attachments_forbidden:
        raise RpcError(
            "odoo.exceptions.AccessError",
            "You are not allowed to create 'Attachment' (ir.attachment) records.",
        )
    if not isinstance(values, dict):
        raise RpcError("builtins.TypeError", "create() takes a dictionary of values")
    try:
        content = base64.b64decode(str(values.get("datas") or ""), validate=True)
    except (binascii.Error, ValueError):
        raise RpcError("binascii.Error", "Incorrect padding") from None
    res_model, res_id = values.get("res_model"), values.get("res_id")
    if res_model == "account.move" and (
        not isinstance(res_id, int) or books.store.get(books.database, res_model, res_id) is None
    ):
        raise missing("account.move", [res_id], books.uid)
    body = {
        "name": str(values.get("name") or ""),
        "res_model": res_model,
        "res_id": res_id,
        "mimetype": str(values.get("mimetype") or "application/octet-stream"),
        "file_size": len(content),
        "checksum": hashlib.sha1(content).hexdigest(),  # noqa: S324 (Odoo's own checksum)
        "sha256": hashlib.sha256(content).hexdigest(),
        "image_no_postprocess": bool(books.context.get("image_no_postprocess")),
        "company_id": 1,
    }
    return books.store.insert(books.database, "ir.attachment", body)


class SandboxState:
    def __init__(self, store: Store, config: Config) -> None:
        self.store = store
        self.config = config
        self.defaults = Config(**{k: v for k, v in asdict(config).items() if k != "faults"})
        self.lock = threading.Lock()
        self.calls: dict[str, deque[float]] = defaultdict(deque)
        self.recent: dict[str, deque[float]] = defaultdict(deque)
        self.stats: dict[str, Counter[str]] = defaultdict(Counter)

    def count(self, database: str, outcome: str, arrived: float) -> None:
        """Requests per database: served or refused, and the most that arrived in any one
        second."""
        now = arrived
        with self.lock:
            self.stats[database][outcome] += 1
            window = self.recent[database]
            window.append(now)
            while window and now - window[0] >= 1.0:
                window.popleft()
            peak = self.stats[database]["peak_per_second"]
            self.stats[database]["peak_per_second"] = max(peak, len(window))

    def take_rate_slot(self, database: str, arrived: float) -> float:
        limit = self.config.rate_limit_per_second
        if limit <= 0:
            return 0.0
        now = arrived
        with self.lock:
            window = self.calls[database]
            while window and now - window[0] >= 1.0:
                window.popleft()
            if len(window) >= limit:
                return 1.0 - (now - window[0])
            window.append(now)
        return 0.0

    def next_fault(self, model: str, method: str) -> str | None:
        with self.lock:
            for fault in self.config.faults:
                if fault.get("model", model) == model and fault.get("method", method) == method:
                    fault["count"] = int(fault.get("count", 1)) - 1
                    if fault["count"] <= 0:
                        self.config.faults.remove(fault)
                    return str(fault["kind"])
        if self.config.fault_rate and random.random() < self.config.fault_rate:  # noqa: S311
            kinds = FAULT_KINDS if method in WRITES else ("500", "502", "429", "drop")
            return random.choice(kinds)  # noqa: S311
        return None


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "Werkzeug/3.0.1 Python/3.11 (OdooSandbox)"
    disable_nagle_algorithm = True  # headers and body leave at once, no 40 ms ACK stall
    state: SandboxState  # set on the subclass by make_server
    _status: int = 0

    def log_message(self, format: str, *args: Any) -> None:
        return  # we log one line per request ourselves, without bodies

    # --- plumbing -----------------------------------------------------------------------------

    def _send_bytes(
        self, status: int, payload: bytes, content_type: str, headers: dict[str, str] | None = None
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)
        self._status = status

    def _send(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        payload = json.dumps(body, ensure_ascii=False).encode()
        self._send_bytes(status, payload, "application/json", headers)

    def _send_html(self, status: int, text: str, headers: dict[str, str] | None = None) -> None:
        self._send_bytes(status, text.encode(), "text/html; charset=utf-8", headers)

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _dispatch(self, method: str) -> None:
        started = time.monotonic()
        self._status = 0
        url = urlsplit(self.path)
        what = url.path
        try:
            if url.path == "/_sandbox" or url.path.startswith("/_sandbox/"):
                self._control(method, url.path, parse_qs(url.query))
            elif url.path == "/jsonrpc" and method == "POST":
                what = self._jsonrpc()
            else:
                self._send_html(404, "<h1>Not Found</h1>")
        except (DropConnection, BrokenPipeError, ConnectionResetError):
            self.close_connection = True
            self._status = 0
        logger.info(
            "%s %s -> %s in %.0f ms",
            method,
            what,
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

    # --- JSON-RPC -----------------------------------------------------------------------------

    def _answer(
        self, request_id: Any, *, result: Any = None, error: RpcError | None = None
    ) -> None:
        envelope: dict[str, Any] = {"jsonrpc": "2.0", "id": request_id}
        if error is not None:
            envelope["error"] = {
                "code": 200,
                "message": "Odoo Server Error",
                "data": {
                    "name": error.name,
                    "debug": f"Traceback (most recent call last):\n  (sandbox)\n{error.name}: "
                    f"{error.message}\n",
                    "message": error.message,
                    "arguments": [error.message],
                    "context": {},
                },
            }
        else:
            envelope["result"] = result
        self._send(200, envelope)

    def _jsonrpc(self) -> str:
        state = self.state
        arrived = time.monotonic()
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        if length > state.config.max_request_bytes:
            self._send_html(
                413,
                "<h1>Request Entity Too Large</h1><p>The data value transmitted exceeds the "
                "capacity limit.</p>",
            )
            return "/jsonrpc (too large)"
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            body = None
        params = body.get("params") if isinstance(body, dict) else None
        request_id = body.get("id") if isinstance(body, dict) else None
        if not isinstance(params, dict):
            time.sleep(state.config.latency_ms / 1000)
            self._answer(
                request_id, error=RpcError("werkzeug.exceptions.BadRequest", "Bad Request")
            )
            return "/jsonrpc (bad request)"
        service, method = str(params.get("service")), str(params.get("method"))
        raw_args = params.get("args")
        args: list[Any] = raw_args if isinstance(raw_args, list) else []
        database = (
            str(args[0]) if args and service in ("common", "object") and method != "version" else ""
        )
        model, call = (
            (str(args[3]), str(args[4]))
            if service == "object" and len(args) >= 5
            else (service, method)
        )
        what = f"{model}.{call}"
        wait = state.take_rate_slot(database or "-", arrived)
        state.count(database or "-", "rate_limited" if wait else "served", arrived)
        if state.config.latency_ms:  # counted on arrival, answered after the latency
            time.sleep(state.config.latency_ms / 1000)
        if wait:
            self._send(
                429, {"message": "Too Many Requests"}, {"Retry-After": str(max(1, round(wait)))}
            )
            return what
        fault = state.next_fault(model, call)
        if fault in ("500", "502"):
            self._send_html(int(fault), f"<h1>{fault} Server Error</h1>")
            return what
        if fault == "429":
            self._send(429, {"message": "Too Many Requests"}, {"Retry-After": "1"})
            return what
        if fault == "drop":
            raise DropConnection
        after_commit = fault if fault in AFTER_COMMIT else None
        try:
            result = self._call(service, method, args)
        except RpcError as error:
            self._answer(request_id, error=error)
            return what
        if after_commit:
            self._lose_answer(after_commit)
            return what
        self._answer(request_id, result=result)
        return what

    def _lose_answer(self, fault: str) -> None:
        """The write is stored; the injected fault now loses the answer."""
        if fault == "500_after_commit":
            self._send_html(500, "<h1>Internal Server Error</h1>")
        elif fault == "502_after_commit":
            self._send_html(502, "<html><body><h1>502 Bad Gateway</h1></body></html>")
        elif fault == "timeout_after_commit":
            time.sleep(self.state.config.timeout_sleep_s)
            raise DropConnection
        else:
            raise DropConnection

    def _call(self, service: str, method: str, args: list[Any]) -> Any:
        store, config = self.state.store, self.state.config
        if service == "common" and method == "version":
            serie = config.server_version
            major = re.findall(r"\d+", serie)
            return {
                "server_version": serie,
                "server_version_info": [int(major[0]) if major else 0, 0, 0, "final", 0, ""],
                "server_serie": serie,
                "protocol_version": 1,
            }
        if service == "common" and method in ("authenticate", "login"):
            database, login, key = [*args, None, None, None][:3]
            self._database_or_error(str(database))
            user = store.user(str(database), login=str(login))
            if user is None or user["revoked"] or user["api_key"] != key:
                return False
            return user["uid"]
        if service == "object" and method == "execute_kw":
            if len(args) < 5:
                raise RpcError("builtins.TypeError", "execute_kw() missing arguments")
            database, uid, key, model, call = args[:5]
            call_args = args[5] if len(args) > 5 and isinstance(args[5], list) else []
            kwargs = args[6] if len(args) > 6 and isinstance(args[6], dict) else {}
            self._database_or_error(str(database))
            user = store.user(str(database), uid=uid if isinstance(uid, int) else -1)
            if user is None or user["revoked"] or user["api_key"] != key:
                raise access_denied()
            if model not in FIELDS:
                raise RpcError("builtins.KeyError", repr(model))
            books = Books(store, str(database), int(uid), kwargs.pop("context", {}) or {})
            return self._execute(books, str(model), str(call), call_args, kwargs)
        raise RpcError("builtins.KeyError", f"{service}.{method}")

    def _database_or_error(self, database: str) -> None:
        if self.state.store.database(database) is None:
            raise RpcError(
                "psycopg2.OperationalError",
                'connection to server on socket "/var/run/postgresql/.s.PGSQL.5432" failed: '
                f'FATAL:  database "{database}" does not exist',
            )

    def _execute(
        self, books: Books, model: str, call: str, args: list[Any], kwargs: dict[str, Any]
    ) -> Any:
        if call in ("search_read", "search", "search_count"):
            domain = args[0] if args else kwargs.get("domain", [])
            rows = books.search(model, domain, kwargs if call != "search_count" else {})
            if call == "search_count":
                return len(rows)
            if call == "search":
                return [row["id"] for row in rows]
            names = kwargs.get("fields") or (args[1] if len(args) > 1 else [])
            _check_fields(model, names)
            return [books.read(model, row, names) for row in rows]
        if call == "read":
            ids = args[0] if args else kwargs.get("ids", [])
            names = kwargs.get("fields") or (args[1] if len(args) > 1 else [])
            _check_fields(model, names)
            by_id = {row["id"]: row for row in books.records(model)}
            absent = [i for i in ids if i not in by_id]
            if absent:
                raise missing(model, absent, books.uid)
            return [books.read(model, by_id[i], names) for i in ids]
        if call == "create" and model in ("account.move", "ir.attachment"):
            values = args[0] if args else kwargs.get("vals_list")
            single = isinstance(values, dict)
            creator: Callable[[Any], dict[str, Any]] = (
                (lambda v: create_move(books, v))
                if model == "account.move"
                else (lambda v: create_attachment(books, v, self.state.config))
            )
            created = [creator(v) for v in ([values] if single else list(values or []))]
            return created[0]["id"] if single else [row["id"] for row in created]
        if call == "create":
            raise RpcError(
                "odoo.exceptions.AccessError",
                f"You are not allowed to create '{model}' records.",
            )
        raise RpcError(
            "builtins.AttributeError", f"The method '{call}' does not exist on the model '{model}'"
        )

    # --- controls -----------------------------------------------------------------------------

    def _moves(self, database: str) -> list[dict[str, Any]]:
        store = self.state.store
        lines = store.records(database, "account.move.line")
        attachments = store.records(database, "ir.attachment")
        moves = store.records(database, "account.move")
        for move in moves:
            move["lines"] = [line for line in lines if line["move_id"] == move["id"]]
            move["attachments"] = [
                a
                for a in attachments
                if a["res_model"] == "account.move" and a["res_id"] == move["id"]
            ]
        return moves

    def _control(self, method: str, path: str, query: dict[str, list[str]]) -> None:
        state = self.state
        store = state.store
        raw = self._body()
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            body = {}
        body = body if isinstance(body, dict) else {}
        database = (query.get("database") or [seed.DEMO_DATABASE])[0]
        if path in ("/_sandbox", "/_sandbox/"):
            self._send_html(200, self._inspection_page(database))
        elif path == "/_sandbox/health":
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
                self._send(400, {"error": f"unknown fault kinds {unknown}; use {FAULT_KINDS}"})
                return
            with state.lock:
                state.config.faults.extend(faults)
            self._send(200, asdict(state.config))
        elif path == "/_sandbox/databases" and method == "POST":
            count = int(body.get("accounts") or 0)
            name = str(body["name"])
            store.create_database(
                name,
                company=str(body.get("company") or name),
                login=str(body.get("login") or seed.DEMO_LOGIN),
                api_key=str(body.get("api_key") or seed.DEMO_KEY),
                accounts=seed.generated_accounts(count) if count else seed.demo_accounts(),
                currency=(int(body.get("currency_id") or 148), str(body.get("currency") or "SAR")),
            )
            self._send(201, {"name": name})
        elif match := re.fullmatch(
            r"/_sandbox/databases/([^/]+)/users/([^/]+)/(revoke|restore)", path
        ):
            found = store.set_revoked(match.group(1), match.group(2), match.group(3) == "revoke")
            self._send(200 if found else 404, {"ok": found})
        elif match := re.fullmatch(r"/_sandbox/databases/([^/]+)/accounts", path):
            self._change_accounts(match.group(1), body)
        elif path == "/_sandbox/moves" and method == "GET":
            self._send(200, {"moves": self._moves(database)})
        elif match := re.fullmatch(r"/_sandbox/moves/(\d+)", path):
            self._change_move(database, int(match.group(1)), method, body)
        elif path == "/_sandbox/stats":
            with state.lock:
                counted = dict(state.stats[database])
            self._send(200, {"served": counted.get("served", 0), **counted})
        elif path == "/_sandbox/reset" and method == "POST":
            store.reset()
            with state.lock:
                state.config = Config(**asdict(state.defaults))
                state.calls.clear()
                state.recent.clear()
                state.stats.clear()
            self._send(200, {"ok": True})
        else:
            self._send(404, {"error": "Not Found"})

    def _change_accounts(self, database: str, body: dict[str, Any]) -> None:
        """What an accountant does in Odoo: rename, add, deprecate and delete accounts."""
        store = self.state.store
        for account_id, changes in (body.get("rename") or {}).items():
            row = store.get(database, "account.account", int(account_id))
            if row:
                names = dict(row["name"])
                if "name" in changes:
                    names["en_US"] = changes["name"]
                if "name_ar" in changes:
                    names["ar_001"] = changes["name_ar"]
                store.write(database, "account.account", {**row, **changes, "name": names})
        for row in body.get("add") or []:
            store.write(
                database,
                "account.account",
                seed.account(
                    int(row["id"]),
                    str(row["code"]),
                    str(row.get("name") or ""),
                    str(row.get("name_ar") or ""),
                    str(row.get("account_type") or "expense"),
                    row.get("group_id"),
                ),
            )
        for account_id in body.get("deprecate") or []:
            row = store.get(database, "account.account", int(account_id))
            if row:
                store.write(database, "account.account", {**row, "deprecated": True})
        store.delete(database, "account.account", [int(i) for i in body.get("remove") or []])
        self._send(200, {"accounts": len(store.records(database, "account.account"))})

    def _change_move(self, database: str, move_id: int, method: str, body: dict[str, Any]) -> None:
        """What an accountant does to an entry in Odoo: delete it, or change its date,
        reference or lines (`lines`: [{"account_id", "debit", "credit"}])."""
        store = self.state.store
        move = store.get(database, "account.move", move_id)
        if move is None:
            self._send(404, {"ok": False})
            return
        if method == "DELETE":
            store.delete(database, "account.move.line", list(move.get("line_ids") or []))
            store.delete(database, "account.move", [move_id])
            self._send(200, {"ok": True})
            return
        if method != "PATCH":
            self._send(405, {"error": "Method Not Allowed"})
            return
        move.update({key: body[key] for key in ("date", "ref", "state") if key in body})
        if "lines" in body:
            store.delete(database, "account.move.line", list(move.get("line_ids") or []))
            new_ids = []
            for line in body["lines"]:
                stored = store.insert(
                    database,
                    "account.move.line",
                    {
                        "move_id": move_id,
                        "account_id": int(line["account_id"]),
                        "name": str(line.get("name") or ""),
                        "debit": float(line.get("debit") or 0),
                        "credit": float(line.get("credit") or 0),
                        "balance": float(line.get("debit") or 0) - float(line.get("credit") or 0),
                        "company_id": 1,
                    },
                )
                new_ids.append(stored["id"])
            move["line_ids"] = new_ids
        store.write(database, "account.move", move)
        self._send(200, {"move": move})

    def _inspection_page(self, database: str) -> str:
        """What the sandbox holds, for a person: its knobs, its databases, the latest
        journal entries with their lines and attachments."""
        state = self.state
        esc = html.escape
        with state.lock:
            counted = dict(state.stats[database])
        moves = self._moves(database)[-200:]
        accounts = {
            row["id"]: f"{row['code']} {row['name'].get('en_US', '')}"
            for row in state.store.records(database, "account.account")
        }
        rows = []
        for move in reversed(moves):
            lines = "<br>".join(
                f"{esc(accounts.get(line['account_id'], str(line['account_id'])))}: "
                f"{line['debit']:.2f} / {line['credit']:.2f}"
                for line in move["lines"]
            )
            files = "<br>".join(
                f"{esc(a['name'])} ({a['file_size']} bytes, {esc(a['mimetype'])}"
                f"{', not resized' if a.get('image_no_postprocess') else ''})"
                for a in move["attachments"]
            )
            rows.append(
                f"<tr><td>{move['id']}</td><td>{esc(str(move.get('ref') or ''))}</td>"
                f"<td>{esc(move['date'])}</td><td>{esc(move['state'])}</td>"
                f"<td>{esc(str(move.get('narration') or ''))}</td><td>{lines}</td>"
                f"<td>{files}</td></tr>"
            )
        databases = "".join(
            f'<li><a href="/_sandbox/?database={esc(name)}">{esc(name)}</a></li>'
            for name in state.store.databases()
        )
        config = esc(json.dumps(asdict(state.config), indent=1))
        return (
            "<!doctype html><html><head><meta charset='utf-8'><title>Odoo sandbox</title></head>"
            f"<body><h1>Odoo sandbox · database {esc(database)}</h1>"
            f"<p>JSON-RPC at /jsonrpc (Odoo 17 shapes). Requests served: "
            f"{counted.get('served', 0)}, refused (429): {counted.get('rate_limited', 0)}, "
            f"most in one second: {counted.get('peak_per_second', 0)}.</p>"
            f"<h2>Databases</h2><ul>{databases}</ul><h2>Knobs</h2><pre>{config}</pre>"
            f"<h2>Journal entries ({len(moves)} latest)</h2><table border='1'>"
            "<tr><th>id</th><th>ref</th><th>date</th><th>state</th><th>narration</th>"
            f"<th>lines (debit / credit)</th><th>attachments</th></tr>{''.join(rows)}</table>"
            "</body></html>"
        )


def make_server(host: str, port: int, store: Store, config: Config) -> ThreadingHTTPServer:
    state = SandboxState(store, config)
    handler = type("BoundHandler", (Handler,), {"state": state})
    server = ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    return server
