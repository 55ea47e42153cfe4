"""The HTTP skeleton every sandbox shares: a threaded server, the knobs, and the controls under
`/_sandbox/` (for tests and demos, no auth):

GET /_sandbox/ (the inspection page), GET /_sandbox/health, GET/PATCH /_sandbox/config,
POST /_sandbox/faults, GET /_sandbox/stats?<books>=, POST /_sandbox/reset.

`<books>` is the query parameter a provider names its sets of books by (a tenant's
`api_key`, a `database`). A provider's handler adds its API (`serve`), its own controls
(`control`) and what its inspection page lists (`inspection`); it runs each API call through
`admit` (the rate limit and the counts), `wait_latency`, `next_fault`/`answer_fault` and, once a
write is stored, `lose_answer`.
"""

import html
import json
import logging
import random
import threading
import time
from collections import Counter, defaultdict, deque
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, fields, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar, Generic, TypeVar
from urllib.parse import parse_qs, quote, urlsplit

from integrations.sandbox_kit.storage import SqliteStore

# Faults answered instead of the call, and faults that let the write be stored, then lose the
# answer (the cases that make a client look an entry up before sending it again).
BEFORE_CALL_FAULTS = ("500", "502", "429", "drop")
AFTER_COMMIT_FAULTS: tuple[str, ...] = ("500_after_commit", "502_after_commit")
AFTER_COMMIT_FAULTS += ("timeout_after_commit", "drop_after_commit")
FAULT_KINDS = (*BEFORE_CALL_FAULTS, *AFTER_COMMIT_FAULTS)


LATEST = 200  # journal entries on the inspection page


class DropConnection(Exception):
    """Close the socket without answering (what a crashed proxy or a cut network does)."""


@dataclass
class SandboxConfig:
    """The knobs every sandbox has (GET/PATCH /_sandbox/config, and the commands' options); a
    provider's sandbox adds its own fields and says what its rate limit is."""

    latency_ms: int = field(default=0, metadata={"help": "Sleep this long before each answer."})
    fault_rate: float = field(
        default=0.0, metadata={"help": "A share of API calls that fail at random (0 to 1)."}
    )
    timeout_sleep_s: float = field(
        default=30.0, metadata={"help": "How long a timeout_after_commit fault hangs."}
    )
    faults: list[dict[str, Any]] = field(default_factory=list)

    def rate_limit(self) -> tuple[int, float]:
        """(requests, window in seconds) one set of books may make; 0 requests: no limit."""
        return 0, 1.0


StoreT = TypeVar("StoreT", bound=SqliteStore)
ConfigT = TypeVar("ConfigT", bound=SandboxConfig)


class SandboxState(Generic[StoreT, ConfigT]):
    """What a running sandbox holds besides its store: the knobs, the queued faults, and per set
    of books its rate window and request counts."""

    def __init__(self, store: StoreT, config: ConfigT) -> None:
        self.store = store
        self.config = config
        self.defaults = replace(config, faults=[])
        self.lock = threading.Lock()
        self.calls: dict[str, deque[float]] = defaultdict(deque)  # admitted, in the window
        self.recent: dict[str, deque[float]] = defaultdict(deque)  # arrived, last second
        self.stats: dict[str, Counter[str]] = defaultdict(Counter)

    def admit(self, books: str, arrived: float) -> float:
        """Count one API request of `books` that arrived at `arrived` (monotonic): 0 if it may
        go on, else the seconds until the sliding window frees a slot (refused: a 429)."""
        limit, window_s = self.config.rate_limit()
        wait = 0.0
        with self.lock:
            if limit > 0:
                window = self.calls[books]
                while window and arrived - window[0] >= window_s:
                    window.popleft()
                if len(window) >= limit:
                    wait = window_s - (arrived - window[0])
                else:
                    window.append(arrived)
            counted = self.stats[books]
            counted["rate_limited" if wait else "served"] += 1
            recent = self.recent[books]
            recent.append(arrived)
            while recent and arrived - recent[0] >= 1.0:
                recent.popleft()
            counted["peak_per_second"] = max(counted["peak_per_second"], len(recent))
        return wait

    def next_fault(
        self, matches: Callable[[dict[str, Any]], bool], *, write: bool, kinds: Sequence[str]
    ) -> str | None:
        """The first queued fault `matches` accepts (consumed), else a random one at
        `fault_rate` (after-commit kinds only for writes), else None."""
        with self.lock:
            for fault in self.config.faults:
                if matches(fault):
                    fault["count"] = int(fault.get("count", 1)) - 1
                    if fault["count"] <= 0:
                        self.config.faults.remove(fault)
                    return str(fault["kind"])
        if self.config.fault_rate and random.random() < self.config.fault_rate:  # noqa: S311
            candidates = [kind for kind in kinds if write or kind not in AFTER_COMMIT_FAULTS]
            return random.choice(candidates)  # noqa: S311
        return None

    def change_config(self, changes: dict[str, Any]) -> None:
        """Set the knobs named in `changes`, each read as its default's type."""
        for name, value in changes.items():
            if hasattr(self.config, name) and name != "faults":
                setattr(self.config, name, type(getattr(self.defaults, name))(value))

    def reset(self) -> None:
        self.store.reset()
        with self.lock:
            self.config = replace(self.defaults, faults=[])
            self.calls.clear()
            self.recent.clear()
            self.stats.clear()


@dataclass
class Inspection:
    """What a sandbox's inspection page lists for one set of books: its journal entries, oldest
    first, one row each (a cell is a text, or lines of text); the page shows the latest 200."""

    summary: str
    columns: Sequence[str]
    rows: list[Sequence[str | Sequence[str]]]
    books: list[str]  # every set of books the sandbox holds, to switch to


class SandboxHandler(BaseHTTPRequestHandler):
    """One request. A provider's subclass sets the class attributes and the hooks below."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # no 40 ms wait for an ACK between two segments
    # Status line, headers and body collect here and leave in one write (`send_bytes` flushes);
    # only a body larger than this goes out in a second one.
    wbufsize = 256 * 1024
    state: SandboxState[Any, Any]  # set on the subclass by `Sandbox.server`

    title: ClassVar[str] = "Sandbox"
    books_param: ClassVar[str] = "books"  # the query parameter naming a set of books
    books_label: ClassVar[str] = ""  # what the page calls a set of books ("": books_param)
    default_books: ClassVar[str] = ""
    fault_kinds: ClassVar[Sequence[str]] = FAULT_KINDS  # the ones POST /_sandbox/faults takes
    json_type: ClassVar[str] = "application/json"
    too_many_requests: ClassVar[dict[str, Any]] = {"message": "Too Many Requests"}
    _status: int = 0

    # --- hooks ---------------------------------------------------------------------------------

    def serve(self, method: str, path: str, query: dict[str, list[str]]) -> str | None:
        """Answer an API request; what to log for it (None: the path)."""
        self.send_json(404, {"message": "Not Found"})
        return None

    def control(self, method: str, path: str, books: str, body: dict[str, Any]) -> bool:
        """Answer one of the provider's own controls; False if `path` is none of them."""
        return False

    def inspection(self, books: str) -> Inspection:
        return Inspection(summary="", columns=(), rows=[], books=[books])

    def server_error(self, status: int, *, after_commit: bool) -> None:
        """A 500 or 502, as the provider's server (or the proxy in front of it) answers it."""
        self.send_json(status, {"message": "Internal Server Error"})

    # --- answering -----------------------------------------------------------------------------

    def log_message(self, format: str, *args: Any) -> None:
        return  # one line per request is logged by _dispatch, without headers or bodies

    def send_bytes(
        self, status: int, payload: bytes, content_type: str, headers: dict[str, str] | None = None
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)
        self.wfile.flush()
        self._status = status

    def send_json(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        payload = json.dumps(body, ensure_ascii=False).encode()
        self.send_bytes(status, payload, self.json_type, headers)

    def send_html(self, status: int, text: str, headers: dict[str, str] | None = None) -> None:
        self.send_bytes(status, text.encode(), "text/html; charset=utf-8", headers)

    def read_body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    @staticmethod
    def parse_json(raw: bytes) -> Any:
        """The body as JSON (an empty body is `{}`), None if it is not JSON."""
        try:
            return json.loads(raw or b"{}")
        except ValueError:
            return None

    # --- one API call: rate limit, latency, faults ----------------------------------------------

    def admit(self, books: str, arrived: float) -> float:
        return self.state.admit(books, arrived)

    def wait_latency(self) -> None:
        if self.state.config.latency_ms:
            time.sleep(self.state.config.latency_ms / 1000)

    def refuse(self, wait: float) -> None:
        """Over the rate limit: a 429 saying when to come back."""
        retry_after = str(max(1, round(wait)))
        self.send_json(429, self.too_many_requests, {"Retry-After": retry_after})

    def next_fault(self, matches: Callable[[dict[str, Any]], bool], *, write: bool) -> str | None:
        return self.state.next_fault(matches, write=write, kinds=self.fault_kinds)

    def answer_fault(self, fault: str | None) -> bool:
        """Answer (or drop) the call instead of serving it if `fault` strikes before the call;
        False if the call goes on (no fault, or one that strikes after the write)."""
        if fault in ("500", "502"):
            self.server_error(int(fault), after_commit=False)
        elif fault == "429":
            self.send_json(429, self.too_many_requests, {"Retry-After": "1"})
        elif fault == "drop":
            raise DropConnection
        else:
            return False
        return True

    def lose_answer(self, fault: str) -> None:
        """The write is stored; the after-commit `fault` now loses its answer."""
        if fault in ("500_after_commit", "502_after_commit"):
            self.server_error(int(fault[:3]), after_commit=True)
            return
        if fault == "timeout_after_commit":
            time.sleep(self.state.config.timeout_sleep_s)
        raise DropConnection

    # --- dispatch --------------------------------------------------------------------------------

    def _dispatch(self, method: str) -> None:
        started = time.monotonic()
        self._status = 0
        url = urlsplit(self.path)
        what: str | None = url.path
        try:
            if url.path == "/_sandbox" or url.path.startswith("/_sandbox/"):
                self._control(method, url.path, parse_qs(url.query))
            else:
                what = self.serve(method, url.path, parse_qs(url.query)) or url.path
        except (DropConnection, BrokenPipeError, ConnectionResetError):
            self.close_connection = True
            self._status = 0
        logging.getLogger(self.title.lower().replace(" ", "_")).info(  # "<key>_sandbox"
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

    def do_PUT(self) -> None:
        self._dispatch("PUT")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    # --- the shared controls ---------------------------------------------------------------------

    def _control(self, method: str, path: str, query: dict[str, list[str]]) -> None:
        state = self.state
        body = self.parse_json(self.read_body())
        body = body if isinstance(body, dict) else {}
        books = (query.get(self.books_param) or [self.default_books])[0]
        if path in ("/_sandbox", "/_sandbox/"):
            self.send_html(200, self._inspection_page(books))
        elif path == "/_sandbox/health":
            self.send_json(200, {"ok": True})
        elif path == "/_sandbox/config" and method in ("GET", "PATCH"):
            if method == "PATCH":
                state.change_config(body)
            self.send_json(200, asdict(state.config))
        elif path == "/_sandbox/faults" and method == "POST":
            faults = body.get("faults", [])
            unknown = [f.get("kind") for f in faults if f.get("kind") not in self.fault_kinds]
            if unknown:
                kinds = ", ".join(self.fault_kinds)
                self.send_json(400, {"error": f"unknown fault kinds {unknown}; use {kinds}"})
                return
            with state.lock:
                state.config.faults.extend(faults)
            self.send_json(200, asdict(state.config))
        elif path == "/_sandbox/stats":
            with state.lock:
                counted = dict(state.stats[books])
            self.send_json(200, {"served": counted.get("served", 0), **counted})
        elif path == "/_sandbox/reset" and method == "POST":
            state.reset()
            self.send_json(200, {"ok": True})
        elif not self.control(method, path, books, body):
            self.send_json(404, {"error": "Not Found"})

    def _inspection_page(self, books: str) -> str:
        """What the sandbox holds, for a person: its knobs, its books, its counts and the latest
        entries of one set of books."""
        esc = html.escape
        shown = self.inspection(books)
        label = self.books_label or self.books_param
        with self.state.lock:
            counted = dict(self.state.stats[books])
        config = esc(json.dumps(asdict(self.state.config), indent=1))
        switch = "".join(
            f'<li><a href="/_sandbox/?{self.books_param}={quote(name)}">{esc(name)}</a></li>'
            for name in shown.books
        )
        head = "".join(f"<th>{esc(column)}</th>" for column in shown.columns)
        rows = "".join(
            "<tr>"
            + "".join(
                f"<td>{esc(cell) if isinstance(cell, str) else '<br>'.join(map(esc, cell))}</td>"
                for cell in row
            )
            + "</tr>"
            for row in reversed(shown.rows[-LATEST:])
        )
        return (
            f"<!doctype html><html><head><meta charset='utf-8'><title>{esc(self.title)}</title>"
            f"</head><body><h1>{esc(self.title)} · {esc(label)} {esc(books)}</h1>"
            f"<p>{esc(shown.summary)} Requests served: {counted.get('served', 0)}, refused "
            f"(429): {counted.get('rate_limited', 0)}, most in one second: "
            f"{counted.get('peak_per_second', 0)}.</p>"
            f"<h2>{esc(label.capitalize())}s</h2><ul>{switch}</ul>"
            f"<h2>Knobs</h2><pre>{config}</pre>"
            f"<h2>Journal entries ({min(len(shown.rows), LATEST)} latest)</h2><table border='1'>"
            f"<tr>{head}</tr>{rows}</table></body></html>"
        )


@dataclass(frozen=True)
class Sandbox:
    """A provider's look-alike, as the sandbox commands start it: its handler (the API), store
    and config, the port it usually listens on (docs, bin/start, docker-compose), and what
    its banner tells a person (`{url}` is where it listens)."""

    handler: type[SandboxHandler]
    store: Callable[[str], SqliteStore]  # opens the data file
    config: type[SandboxConfig]
    port: int
    about: str

    @property
    def title(self) -> str:
        return self.handler.title

    def banner(self, url: str, data: str) -> str:
        about = self.about.format(url=url)
        return f"{self.title} on {url} ({about}; inspect at {url}/_sandbox/; data {data})"

    def knob_names(self) -> list[str]:
        return [knob.name for knob in fields(self.config) if knob.name != "faults"]

    def server(
        self, host: str, port: int, store: SqliteStore, config: SandboxConfig
    ) -> ThreadingHTTPServer:
        state: SandboxState[Any, Any] = SandboxState(store, config)
        handler = type(self.handler.__name__, (self.handler,), {"state": state})
        server = ThreadingHTTPServer((host, port), handler)
        server.daemon_threads = True
        return server
