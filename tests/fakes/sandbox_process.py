"""A sandbox (`manage.py sandbox <key>`) as a real server process the tests speak to over real
HTTP: started on a free port, waited for, stopped, restarted, and driven through the kit's
controls (reset, configure, inject, stats). A provider's fake adds its own controls."""

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, ClassVar, Self

import httpx

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class SandboxProcess:
    key: ClassVar[str]  # the provider's key in settings.ACCOUNTING_PROVIDERS
    books_param: ClassVar[str]  # how the controls name a set of books (tenant, database)
    default_books: ClassVar[str]

    def __init__(self, port: int, data: Path) -> None:
        self.port = port
        self.data = data
        self.root = f"http://127.0.0.1:{port}"
        self.process: subprocess.Popen[bytes] | None = None

    # --- process -----------------------------------------------------------------------

    @classmethod
    @contextmanager
    def running(cls, data: Path) -> Iterator[Self]:
        """A sandbox on a free port keeping its data in `data`, stopped on the way out."""
        sandbox = cls(free_port(), data)
        sandbox.start()
        try:
            yield sandbox
        finally:
            sandbox.stop()

    def start(self) -> None:
        command = ["sandbox", self.key, "--port", str(self.port), "--data", str(self.data)]
        self.process = subprocess.Popen(
            [sys.executable, "manage.py", *command],
            cwd=ROOT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                httpx.get(f"{self.root}/_sandbox/health", timeout=0.5)
                return
            except httpx.HTTPError:
                time.sleep(0.1)
        raise RuntimeError(f"the {self.key} sandbox did not start")

    def stop(self) -> None:
        if self.process:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def fresh(self) -> None:
        """Running (started again if a test stopped or killed it) and reset."""
        if self.process is None or self.process.poll() is not None:
            self.start()
        self.reset()

    # --- the kit's controls ------------------------------------------------------------

    def _control(self, method: str, path: str, **kwargs: Any) -> Any:
        response = httpx.request(method, f"{self.root}/_sandbox/{path}", timeout=10, **kwargs)
        response.raise_for_status()
        return response.json()

    def reset(self) -> None:
        """Back to the seeded books, no entries, default knobs."""
        self._control("POST", "reset")

    def configure(self, **knobs: Any) -> dict[str, Any]:
        return dict(self._control("PATCH", "config", json=knobs))

    def inject(self, *faults: dict[str, Any]) -> None:
        """Faults consumed in order by the calls they match (see the provider's fake)."""
        self._control("POST", "faults", json={"faults": list(faults)})

    def stats(self, books: str | None = None) -> dict[str, Any]:
        """Requests a set of books was served and refused (429) since the reset, and the most
        that arrived in one second."""
        params = {self.books_param: books or self.default_books}
        return dict(self._control("GET", "stats", params=params))
