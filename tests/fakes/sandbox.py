"""The Qoyod sandbox as a pytest fixture: a real server process spoken to over real HTTP.

One sandbox process per test session (started on a free port); each test that asks for
`qoyod_sandbox` gets it reset to the two seeded tenants and default knobs.
"""

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from integrations.providers.qoyod.sandbox.seed import DEMO_KEY, SECOND_KEY

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Sandbox:
    demo_key = DEMO_KEY
    second_key = SECOND_KEY

    def __init__(self, port: int, data: Path) -> None:
        self.port = port
        self.data = data
        self.root = f"http://127.0.0.1:{port}"
        self.base_url = f"{self.root}/2.0"
        self.process: subprocess.Popen[bytes] | None = None

    # --- process -----------------------------------------------------------------------

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                sys.executable,
                "manage.py",
                "qoyod_sandbox",
                "--port",
                str(self.port),
                "--data",
                str(self.data),
            ],
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
        raise RuntimeError("the Qoyod sandbox did not start")

    def stop(self) -> None:
        if self.process:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None

    def restart(self) -> None:
        self.stop()
        self.start()

    # --- controls ----------------------------------------------------------------------

    def _control(self, method: str, path: str, **kwargs: Any) -> Any:
        response = httpx.request(method, f"{self.root}/_sandbox/{path}", timeout=10, **kwargs)
        response.raise_for_status()
        return response.json()

    def reset(self) -> None:
        self._control("POST", "reset")

    def configure(self, **knobs: Any) -> dict[str, Any]:
        return dict(self._control("PATCH", "config", json=knobs))

    def inject(self, *faults: dict[str, Any]) -> None:
        """Faults consumed in order by matching requests, e.g.
        {"kind": "500_after_commit", "path": "journal_entries", "method": "POST", "count": 1}."""
        self._control("POST", "faults", json={"faults": list(faults)})

    def journal_entries(self, api_key: str = DEMO_KEY) -> list[dict[str, Any]]:
        return list(
            self._control("GET", "journal_entries", params={"api_key": api_key})["journal_entries"]
        )

    def delete_entry(self, entry_id: int, api_key: str = DEMO_KEY) -> None:
        """An accountant deletes the entry in Qoyod."""
        self._control("DELETE", f"journal_entries/{entry_id}", params={"api_key": api_key})

    def change_entry(self, entry_id: int, api_key: str = DEMO_KEY, **changes: Any) -> None:
        """An accountant edits the entry in Qoyod (date, description, debit/credit lines)."""
        self._control(
            "PATCH", f"journal_entries/{entry_id}", params={"api_key": api_key}, json=changes
        )

    def stats(self, api_key: str = DEMO_KEY) -> dict[str, int]:
        """Requests the tenant was served and refused (429) since the reset."""
        return dict(self._control("GET", "stats", params={"api_key": api_key}))

    def revoke(self, api_key: str = DEMO_KEY) -> None:
        self._control("POST", f"tenants/{api_key}/revoke")

    def restore(self, api_key: str = DEMO_KEY) -> None:
        self._control("POST", f"tenants/{api_key}/restore")

    def change_accounts(
        self,
        api_key: str = DEMO_KEY,
        *,
        rename: dict[int, dict[str, str]] | None = None,
        add: list[dict[str, Any]] | None = None,
        remove: list[int] | None = None,
    ) -> None:
        self._control(
            "PATCH",
            f"tenants/{api_key}/accounts",
            json={
                "rename": {str(k): v for k, v in (rename or {}).items()},
                "add": add or [],
                "remove": remove or [],
            },
        )

    def add_tenant(self, api_key: str, *, accounts: int = 0, name: str = "") -> None:
        self._control(
            "POST", "tenants", json={"api_key": api_key, "name": name, "accounts": accounts}
        )


@pytest.fixture(scope="session")
def _sandbox_process(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    sandbox = Sandbox(free_port(), tmp_path_factory.mktemp("sandbox") / "qoyod.sqlite3")
    sandbox.start()
    yield sandbox
    sandbox.stop()


@pytest.fixture
def qoyod_sandbox(_sandbox_process: Sandbox, settings: Any) -> Sandbox:
    """A fresh sandbox, and the product's QOYOD_BASE_URL pointing at it."""
    if _sandbox_process.process is None or _sandbox_process.process.poll() is not None:
        _sandbox_process.start()
    _sandbox_process.reset()
    settings.QOYOD_BASE_URL = _sandbox_process.base_url
    return _sandbox_process
