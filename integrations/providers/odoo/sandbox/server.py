"""The Odoo sandbox's HTTP server: Odoo 17's external JSON-RPC API as our client uses it, on the
sandbox kit (`integrations.sandbox_kit`: the HTTP skeleton, knobs, faults, the shared controls
and the inspection page). The models it serves are `orm.py`'s.

API: `POST /jsonrpc` with `{"jsonrpc": "2.0", "method": "call", "params": {"service",
"method", "args"}, "id"}`:
- `common.version`, `common.authenticate(db, login, key, {})` (uid, or false), `common.login`;
- `object.execute_kw(db, uid, key, model, method, args, kwargs)` with `search_read`,
  `search`, `search_count`, `read` on res.users, res.company, res.lang, account.account,
  account.group, account.journal, account.tax, account.move, account.move.line,
  ir.attachment; `create` on
  account.move (a journal entry with all its lines, left in draft, checked like Odoo:
  balanced, accounts exist and are not deprecated, lines as `(0, 0, values)` commands) and
  ir.attachment (base64 `datas`, `res_model`/`res_id`, `image_no_postprocess` noted).
Errors come back as Odoo's do: HTTP 200 with `error.data.name` the exception's class
(odoo.exceptions.AccessDenied, AccessError, UserError, ValidationError, MissingError,
builtins.ValueError, psycopg2.OperationalError); 413 past `max_request_bytes`.

Controls of its own (no auth, for tests and demos; `database` names the database, `demo` by
default): POST /_sandbox/databases, PATCH /_sandbox/databases/{db}/accounts,
POST /_sandbox/databases/{db}/users/{login}/revoke|restore, GET /_sandbox/moves?database=,
DELETE|PATCH /_sandbox/moves/{id}?database=. The kit adds GET /_sandbox/ (inspection page),
GET/PATCH /_sandbox/config, POST /_sandbox/faults, GET /_sandbox/stats?database=,
POST /_sandbox/reset and GET /_sandbox/health.
"""

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from integrations.providers.odoo.sandbox import seed
from integrations.providers.odoo.sandbox.orm import (
    FIELDS,
    Books,
    RpcError,
    access_denied,
    check_fields,
    create_attachment,
    create_move,
    missing,
    write_move,
)
from integrations.providers.odoo.sandbox.store import Store
from integrations.sandbox_kit.server import (
    AFTER_COMMIT_FAULTS,
    Inspection,
    Sandbox,
    SandboxConfig,
    SandboxHandler,
    SandboxState,
)

WRITES = {"create", "write"}


@dataclass
class Config(SandboxConfig):
    rate_limit_per_second: int = field(
        default=0,
        metadata={
            "help": "Refuse (429) more requests than this per database and second (0: no limit; "
            "Odoo documents none)."
        },
    )
    server_version: str = field(
        default="17.0", metadata={"help": "What common.version reports; the shapes stay 17's."}
    )
    attachments_forbidden: bool = field(
        default=False, metadata={"help": "The user may not create ir.attachment records."}
    )
    lock_date: str = field(
        default="",
        metadata={
            "help": "The company's fiscal year lock date (YYYY-MM-DD; empty: none): read on "
            "res.company, and no entry dated on or before it is created (UserError)."
        },
    )
    max_request_bytes: int = field(
        default=128 * 1024 * 1024, metadata={"help": "HTTP 413 past it (werkzeug's default)."}
    )

    def rate_limit(self) -> tuple[int, float]:
        return self.rate_limit_per_second, 1.0


class Handler(SandboxHandler):
    server_version = "Werkzeug/3.0.1 Python/3.11 (OdooSandbox)"
    title = "Odoo sandbox"
    books_param = "database"
    default_books = seed.DEMO_DATABASE
    state: SandboxState[Store, Config]

    def serve(self, method: str, path: str, query: dict[str, list[str]]) -> str | None:
        if path == "/jsonrpc" and method == "POST":
            return self._jsonrpc()
        self.send_html(404, "<h1>Not Found</h1>")
        return None

    def server_error(self, status: int, *, after_commit: bool) -> None:
        if not after_commit:
            self.send_html(status, f"<h1>{status} Server Error</h1>")
        elif status == 502:  # the write went through; the proxy in front gave up on it
            self.send_html(502, "<html><body><h1>502 Bad Gateway</h1></body></html>")
        else:
            self.send_html(500, "<h1>Internal Server Error</h1>")

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
        self.send_json(200, envelope)

    def _jsonrpc(self) -> str:
        config = self.state.config
        arrived = time.monotonic()
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        if length > config.max_request_bytes:
            self.send_html(
                413,
                "<h1>Request Entity Too Large</h1><p>The data value transmitted exceeds the "
                "capacity limit.</p>",
            )
            return "/jsonrpc (too large)"
        body = self.parse_json(raw)
        params = body.get("params") if isinstance(body, dict) else None
        request_id = body.get("id") if isinstance(body, dict) else None
        if not isinstance(params, dict):
            self.wait_latency()
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
        wait = self.admit(database or "-", arrived)
        self.wait_latency()  # counted on arrival, answered after the latency
        if wait:
            self.refuse(wait)
            return what
        fault = self.next_fault(
            lambda f: f.get("model", model) == model and f.get("method", call) == call,
            write=call in WRITES,
        )
        if self.answer_fault(fault):
            return what
        try:
            result = self._call(service, method, args)
        except RpcError as error:
            self._answer(request_id, error=error)
            return what
        if fault in AFTER_COMMIT_FAULTS:
            self.lose_answer(fault)
            return what
        self._answer(request_id, result=result)
        return what

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
            books.lock_date = self.state.config.lock_date
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
            check_fields(model, names)
            return [books.read(model, row, names) for row in rows]
        if call == "read":
            ids = args[0] if args else kwargs.get("ids", [])
            names = kwargs.get("fields") or (args[1] if len(args) > 1 else [])
            check_fields(model, names)
            by_id = {row["id"]: row for row in books.records(model)}
            absent = [i for i in ids if i not in by_id]
            if absent:
                raise missing(model, absent, books.uid)
            return [books.read(model, by_id[i], names) for i in ids]
        if call == "create" and model in ("account.move", "ir.attachment"):
            values = args[0] if args else kwargs.get("vals_list")
            single = isinstance(values, dict)
            forbidden = self.state.config.attachments_forbidden
            creator: Callable[[Any], dict[str, Any]] = (
                (lambda v: create_move(books, v))
                if model == "account.move"
                else (lambda v: create_attachment(books, v, forbidden=forbidden))
            )
            created = [creator(v) for v in ([values] if single else list(values or []))]
            return created[0]["id"] if single else [row["id"] for row in created]
        if call == "write" and model == "account.move":
            ids = args[0] if args else kwargs.get("ids")
            values = args[1] if len(args) > 1 else kwargs.get("vals")
            return write_move(books, ids, values)
        if call in ("create", "write"):
            raise RpcError(
                "odoo.exceptions.AccessError",
                f"You are not allowed to {call} '{model}' records.",
            )
        raise RpcError(
            "builtins.AttributeError", f"The method '{call}' does not exist on the model '{model}'"
        )

    # --- controls -----------------------------------------------------------------------------

    # --- controls of its own ----------------------------------------------------------------------

    def control(self, method: str, path: str, books: str, body: dict[str, Any]) -> bool:
        store = self.state.store
        if path == "/_sandbox/databases" and method == "POST":
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
            self.send_json(201, {"name": name})
        elif match := re.fullmatch(
            r"/_sandbox/databases/([^/]+)/users/([^/]+)/(revoke|restore)", path
        ):
            found = store.set_revoked(match.group(1), match.group(2), match.group(3) == "revoke")
            self.send_json(200 if found else 404, {"ok": found})
        elif match := re.fullmatch(r"/_sandbox/databases/([^/]+)/accounts", path):
            self.send_json(200, {"accounts": store.change_accounts(match.group(1), body)})
        elif path == "/_sandbox/moves" and method == "GET":
            self.send_json(200, {"moves": store.moves(books)})
        elif match := re.fullmatch(r"/_sandbox/moves/(\d+)", path):
            move_id = int(match.group(1))
            if method == "DELETE":
                found = store.delete_move(books, move_id)
                self.send_json(200 if found else 404, {"ok": found})
            elif method == "PATCH":
                move = store.change_move(books, move_id, body)
                self.send_json(200 if move else 404, {"move": move} if move else {"ok": False})
            else:
                self.send_json(405, {"error": "Method Not Allowed"})
        else:
            return False
        return True

    def inspection(self, books: str) -> Inspection:
        """Its journal entries, with their lines (debit / credit) and attachments."""
        store = self.state.store
        accounts = {
            row["id"]: f"{row['code']} {row['name'].get('en_US', '')}"
            for row in store.records(books, "account.account")
        }

        def account(line: dict[str, Any]) -> str:
            return accounts.get(line["account_id"], str(line["account_id"]))

        def attachment(a: dict[str, Any]) -> str:
            note = ", not resized" if a.get("image_no_postprocess") else ""
            return f"{a['name']} ({a['file_size']} bytes, {a['mimetype']}{note})"

        return Inspection(
            summary="JSON-RPC at /jsonrpc (Odoo 17 shapes).",
            columns=("id", "ref", "date", "state", "narration", "lines", "attachments"),
            rows=[
                (
                    str(move["id"]),
                    str(move.get("ref") or ""),
                    move["date"],
                    move["state"],
                    str(move.get("narration") or ""),
                    [f"{account(x)}: {x['debit']:.2f} / {x['credit']:.2f}" for x in move["lines"]],
                    [attachment(a) for a in move["attachments"]],
                )
                for move in store.moves(books)
            ],
            books=store.databases(),
        )


SANDBOX = Sandbox(
    Handler,
    Store,
    Config,
    port=8769,
    about=f"JSON-RPC at {{url}}/jsonrpc; database {seed.DEMO_DATABASE}, login "
    f"{seed.DEMO_LOGIN}, API key {seed.DEMO_KEY}",
)
