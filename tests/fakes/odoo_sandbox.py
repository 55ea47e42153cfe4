"""The Odoo sandbox as a pytest fixture: a real server process spoken to over real HTTP.

One sandbox process per test session (started on a free port); each test that asks for
`odoo_sandbox` gets it reset to the demo database and default knobs, and may call private
addresses over plain HTTP (ALLOW_PRIVATE_PROVIDER_URLS, as in development).
"""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from integrations.providers.odoo.sandbox.seed import DEMO_DATABASE, DEMO_KEY, DEMO_LOGIN
from tests.fakes.sandbox_process import SandboxProcess


class OdooSandbox(SandboxProcess):
    key = "odoo"
    books_param = "database"
    default_books = DEMO_DATABASE
    database = DEMO_DATABASE
    login = DEMO_LOGIN
    api_key = DEMO_KEY

    def __init__(self, port: int, data: Path) -> None:
        super().__init__(port, data)
        self.url = self.root  # the instance URL a connection names

    @property
    def credentials(self) -> dict[str, str]:
        return {
            "url": self.url,
            "database": self.database,
            "username": self.login,
            "api_key": self.api_key,
        }

    def inject(self, *faults: dict[str, Any]) -> None:
        """Faults consumed in order by matching calls, e.g.
        {"kind": "502_after_commit", "model": "account.move", "method": "create"}."""
        super().inject(*faults)

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


@pytest.fixture(scope="session")
def _odoo_sandbox_process(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OdooSandbox]:
    with OdooSandbox.running(tmp_path_factory.mktemp("odoo") / "odoo.sqlite3") as sandbox:
        yield sandbox


@pytest.fixture
def odoo_sandbox(_odoo_sandbox_process: OdooSandbox, settings: Any) -> OdooSandbox:
    """A fresh Odoo sandbox; its address (http://127.0.0.1) may be called, as in development."""
    _odoo_sandbox_process.fresh()
    settings.ALLOW_PRIVATE_PROVIDER_URLS = True
    return _odoo_sandbox_process
