"""The Odoo sandbox as a pytest fixture: a real server process spoken to over real HTTP.

One sandbox process per test session (started on a free port); each test that asks for
`odoo_sandbox` gets it reset to the demo database and default knobs, and may call private
addresses over plain HTTP (ALLOW_PRIVATE_PROVIDER_URLS, as in development).
"""

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from integrations.providers.odoo.sandbox.seed import DEMO_DATABASE, DEMO_KEY, DEMO_LOGIN
from tests.fakes.sandbox import free_port

ROOT = Path(__file__).resolve().parents[2]


class OdooSandbox:
    database = DEMO_DATABASE
    login = DEMO_LOGIN
    api_key = DEMO_KEY

    def __init__(self, port: int, data: Path) -> None:
        self.port = port
        self.data = data
        self.url = f"http://127.0.0.1:{port}"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def credentials(self) -> dict[str, str]:
        return {
            "url": self.url,
            "database": self.database,
            "username": self.login,
            "api_key": self.api_key,
        }

    # --- process -----------------------------------------------------------------------

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                sys.executable,
                "manage.py",
                "odoo_sandbox",
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
                httpx.get(f"{self.url}/_sandbox/health", timeout=0.5)
                return
            except httpx.HTTPError:
                time.sleep(0.1)
        raise RuntimeError("the Odoo sandbox did not start")

    def stop(self) -> None:
        if self.process:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None

    # --- controls ----------------------------------------------------------------------

    def _control(self, method: str, path: str, **kwargs: Any) -> Any:
        response = httpx.request(method, f"{self.url}/_sandbox/{path}", timeout=10, **kwargs)
        response.raise_for_status()
        return response.json()

    def reset(self) -> None:
        self._control("POST", "reset")

    def configure(self, **knobs: Any) -> dict[str, Any]:
        return dict(self._control("PATCH", "config", json=knobs))

    def inject(self, *faults: dict[str, Any]) -> None:
        """Faults consumed in order by matching calls, e.g.
        {"kind": "502_after_commit", "model": "account.move", "method": "create"}."""
        self._control("POST", "faults", json={"faults": list(faults)})

    def moves(self, database: str = DEMO_DATABASE) -> list[dict[str, Any]]:
        return list(self._control("GET", "moves", params={"database": database})["moves"])

    def delete_move(self, move_id: int, database: str = DEMO_DATABASE) -> None:
        self._control("DELETE", f"moves/{move_id}", params={"database": database})

    def change_move(self, move_id: int, database: str = DEMO_DATABASE, **changes: Any) -> None:
        self._control("PATCH", f"moves/{move_id}", params={"database": database}, json=changes)

    def revoke(self, login: str = DEMO_LOGIN, database: str = DEMO_DATABASE) -> None:
        self._control("POST", f"databases/{database}/users/{login}/revoke")

    def restore(self, login: str = DEMO_LOGIN, database: str = DEMO_DATABASE) -> None:
        self._control("POST", f"databases/{database}/users/{login}/restore")

    def add_database(self, name: str, **options: Any) -> None:
        self._control("POST", "databases", json={"name": name, **options})

    def change_accounts(self, database: str = DEMO_DATABASE, **changes: Any) -> None:
        self._control("PATCH", f"databases/{database}/accounts", json=changes)

    def stats(self, database: str = DEMO_DATABASE) -> dict[str, Any]:
        return dict(self._control("GET", "stats", params={"database": database}))


@pytest.fixture(scope="session")
def _odoo_sandbox_process(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OdooSandbox]:
    sandbox = OdooSandbox(free_port(), tmp_path_factory.mktemp("odoo") / "odoo.sqlite3")
    sandbox.start()
    yield sandbox
    sandbox.stop()


@pytest.fixture
def odoo_sandbox(_odoo_sandbox_process: OdooSandbox, settings: Any) -> OdooSandbox:
    """A fresh Odoo sandbox; its address (http://127.0.0.1) may be called, as in development."""
    sandbox = _odoo_sandbox_process
    if sandbox.process is None or sandbox.process.poll() is not None:
        sandbox.start()
    sandbox.reset()
    settings.ALLOW_PRIVATE_PROVIDER_URLS = True
    return sandbox
