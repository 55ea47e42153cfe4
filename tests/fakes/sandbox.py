"""The Qoyod sandbox as a pytest fixture: a real server process spoken to over real HTTP.

One sandbox process per test session (started on a free port); each test that asks for
`qoyod_sandbox` gets it reset to the two seeded tenants and default knobs. `connected_org`
connects an organization to one of its tenants; `entries_by_reference` reads back what the
tenant holds, as Qoyod writes it (the provider contract suites read it through
tests/providers/harnesses.py instead).
"""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from integrations.models import ConnectionStatus, Integration
from integrations.providers.qoyod.sandbox.seed import DEMO_KEY, SECOND_KEY
from tests.factories import make_account, make_org
from tests.fakes.sandbox_process import SandboxProcess, free_port

__all__ = [
    "MARKETING",
    "WALLET",
    "Sandbox",
    "connected_org",
    "entries_by_reference",
    "free_port",
    "qoyod_sandbox",
]

MARKETING, WALLET = 1038, 1003  # the demo chart's ids (Qoyod's wire: integers)


class Sandbox(SandboxProcess):
    key = "qoyod"
    books_param = "api_key"
    default_books = DEMO_KEY
    demo_key = DEMO_KEY
    second_key = SECOND_KEY

    def __init__(self, port: int, data: Path) -> None:
        super().__init__(port, data)
        self.base_url = f"{self.root}/2.0"

    def inject(self, *faults: dict[str, Any]) -> None:
        """Faults consumed in order by matching requests, e.g.
        {"kind": "500_after_commit", "path": "journal_entries", "method": "POST", "count": 1}."""
        super().inject(*faults)

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
    with Sandbox.running(tmp_path_factory.mktemp("sandbox") / "qoyod.sqlite3") as sandbox:
        yield sandbox


@pytest.fixture
def qoyod_sandbox(_sandbox_process: Sandbox, settings: Any) -> Sandbox:
    """A fresh sandbox, and the product's QOYOD_BASE_URL pointing at it."""
    _sandbox_process.fresh()
    settings.QOYOD_BASE_URL = _sandbox_process.base_url
    return _sandbox_process


def connected_org(sandbox, org=None, *, api_key=None):
    """An organization connected to a sandbox tenant (the demo one unless `api_key`): its
    wallet as Source Account, and the Marketing Expenses account its transactions go to."""
    org = org or make_org()
    wallet = make_account(org, external_id=str(WALLET), code="110101", name_en="Wallet")
    marketing = make_account(
        org, external_id=str(MARKETING), code="5201", name_en="Marketing Expenses"
    )
    Integration.objects.create(
        provider="qoyod",
        organization=org,
        status=ConnectionStatus.CONNECTED,
        secrets={"api_key": api_key or sandbox.demo_key},
        source_account=wallet,
    )
    return org, marketing


def entries_by_reference(sandbox, api_key=None):
    """The tenant's journal entries as Qoyod returns them, by our reference."""
    found = {}
    for entry in sandbox.journal_entries(api_key or sandbox.demo_key):
        reference = entry["description"].split("]")[0].lstrip("[")
        found.setdefault(reference, []).append(entry)
    return found
