"""The Wafeq sandbox as a pytest fixture: a real server process spoken to over real HTTP.

One sandbox process per test session (started on a free port); each test that asks for
`wafeq_sandbox` gets it reset to the demo organization with no limit on its side (a test of the
limit turns it on), and the product's WAFEQ_BASE_URL pointing at it.
"""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from integrations.providers.wafeq.sandbox.seed import DEMO_KEY
from tests.fakes.sandbox_process import SandboxProcess


class WafeqSandbox(SandboxProcess):
    key = "wafeq"
    books_param = "api_key"
    default_books = DEMO_KEY
    api_key = DEMO_KEY

    def __init__(self, port: int, data: Path) -> None:
        super().__init__(port, data)
        self.base_url = f"{self.root}/v1"

    def fresh(self) -> None:
        super().fresh()
        self.configure(rate_limit_per_minute=0)

    def inject(self, *faults: dict[str, Any]) -> None:
        """Faults consumed in order by matching requests, e.g.
        {"kind": "500_after_commit", "path": "^expenses/$", "method": "POST"}."""
        super().inject(*faults)

    def entries(self, api_key: str = DEMO_KEY) -> dict[str, list[dict[str, Any]]]:
        """What the organization holds: `expenses`, `manual_journals`, `files`."""
        return dict(self._control("GET", "entries", params={"api_key": api_key}))

    def delete_entry(self, entry_id: str, api_key: str = DEMO_KEY) -> None:
        self._control("DELETE", f"entries/{entry_id}", params={"api_key": api_key})

    def change_entry(self, entry_id: str, api_key: str = DEMO_KEY, **changes: Any) -> None:
        self._control("PATCH", f"entries/{entry_id}", params={"api_key": api_key}, json=changes)

    def revoke(self, api_key: str = DEMO_KEY) -> None:
        self._control("POST", f"organizations/{api_key}/revoke")

    def restore(self, api_key: str = DEMO_KEY) -> None:
        self._control("POST", f"organizations/{api_key}/restore")

    def add_organization(self, api_key: str, **options: Any) -> None:
        self._control("POST", "organizations", json={"api_key": api_key, **options})


@pytest.fixture(scope="session")
def _wafeq_sandbox_process(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WafeqSandbox]:
    with WafeqSandbox.running(tmp_path_factory.mktemp("wafeq") / "wafeq.sqlite3") as sandbox:
        yield sandbox


@pytest.fixture
def wafeq_sandbox(_wafeq_sandbox_process: WafeqSandbox, settings: Any) -> WafeqSandbox:
    """A fresh Wafeq sandbox; the product talks to it (plain HTTP on 127.0.0.1, as in
    development) with no limit of ours in the way (a test of the limit sets one)."""
    _wafeq_sandbox_process.fresh()
    settings.ALLOW_PRIVATE_PROVIDER_URLS = True
    settings.WAFEQ_BASE_URL = _wafeq_sandbox_process.base_url
    settings.WAFEQ_RATE_LIMIT_PER_MINUTE = 100_000
    settings.WAFEQ_RETRY_BASE_SECONDS = 0.05
    return _wafeq_sandbox_process
