"""`manage.py sandbox <provider key>` starts whichever registered provider's sandbox it is told
to, and `qoyod_sandbox` / `odoo_sandbox` (SPEC §9) are the same command with the key fixed."""

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from django.core.management import CommandError, call_command

from integrations.providers.odoo.sandbox.seed import DEMO_DATABASE
from integrations.providers.qoyod.sandbox.seed import DEMO_KEY
from integrations.providers.zoho_books.sandbox import seed as zoho_seed
from tests.fakes.sandbox_process import ROOT, free_port

pytestmark = pytest.mark.slow


def serves_qoyod(url: str) -> None:
    response = httpx.get(f"{url}/2.0/accounts", headers={"API-KEY": DEMO_KEY}, timeout=5)
    assert response.status_code == 200
    assert len(response.json()["accounts"]) >= 250
    assert httpx.get(f"{url}/2.0/accounts", timeout=5).status_code == 401


def serves_odoo(url: str) -> None:
    call = {"service": "common", "method": "version", "args": []}
    body = {"jsonrpc": "2.0", "method": "call", "params": call, "id": 1}
    answer = httpx.post(f"{url}/jsonrpc", json=body, timeout=5).json()
    assert answer["result"]["server_serie"] == "17.0"
    assert httpx.get(f"{url}/_sandbox/moves", params={"database": DEMO_DATABASE}).json() == {
        "moves": []
    }


def serves_zoho_books(url: str) -> None:
    assert httpx.get(f"{url}/books/v3/organizations", timeout=5).status_code == 401
    form = {
        "grant_type": "refresh_token",
        "refresh_token": zoho_seed.DEMO_REFRESH_TOKEN,
        "client_id": zoho_seed.CLIENT_ID,
        "client_secret": zoho_seed.CLIENT_SECRET,
    }
    access = httpx.post(f"{url}/oauth/v2/token", data=form, timeout=5).json()["access_token"]
    answer = httpx.get(
        f"{url}/books/v3/organizations",
        headers={"Authorization": f"Zoho-oauthtoken {access}"},
        timeout=5,
    ).json()
    assert [o["organization_id"] for o in answer["organizations"]] == [
        zoho_seed.DEMO_ORGANIZATION_ID
    ]


@pytest.fixture
def started(tmp_path: Path) -> Iterator[Callable[..., str]]:
    """Start `manage.py <arguments>` on a free port; its URL once it answers."""
    processes: list[subprocess.Popen[bytes]] = []

    def start(*arguments: str) -> str:
        port = free_port()
        data = tmp_path / f"{port}.sqlite3"
        process = subprocess.Popen(
            [sys.executable, "manage.py", *arguments, "--port", str(port), "--data", str(data)],
            cwd=ROOT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        processes.append(process)
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and process.poll() is None:
            try:
                httpx.get(f"{url}/_sandbox/health", timeout=0.5).raise_for_status()
                return url
            except httpx.HTTPError:
                time.sleep(0.1)
        raise AssertionError(f"manage.py {' '.join(arguments)} did not start")

    yield start
    for process in processes:
        process.terminate()
        process.wait(timeout=10)


@pytest.mark.parametrize(
    ("arguments", "serves"),
    [
        (("sandbox", "qoyod"), serves_qoyod),
        (("sandbox", "odoo"), serves_odoo),
        (("qoyod_sandbox",), serves_qoyod),
        (("odoo_sandbox",), serves_odoo),
        (("sandbox", "zoho_books"), serves_zoho_books),
        (("zoho_books_sandbox",), serves_zoho_books),
    ],
)
def test_the_sandbox_command_starts_the_sandbox_of_the_provider_it_is_given(
    started, arguments, serves
):
    serves(started(*arguments))


def test_the_sandbox_commands_take_the_providers_knobs_as_options(started):
    qoyod = started("sandbox", "qoyod", "--rate-limit-per-minute", "7", "--bare")
    config = httpx.get(f"{qoyod}/_sandbox/config").json()
    assert (config["rate_limit_per_minute"], config["bare"], config["latency_ms"]) == (7, True, 0)

    odoo = started("odoo_sandbox", "--server-version", "16.0", "--latency-ms", "5")
    config = httpx.get(f"{odoo}/_sandbox/config").json()
    assert (config["server_version"], config["latency_ms"], config["rate_limit_per_second"]) == (
        "16.0",
        5,
        0,
    )


def test_an_unknown_provider_is_a_clear_command_error():
    with pytest.raises(CommandError, match="No accounting system 'zoho'; registered: qoyod, odoo"):
        call_command("sandbox", "zoho")


def test_a_knob_of_another_providers_sandbox_is_refused():
    with pytest.raises(CommandError, match="The Odoo sandbox has no --bare"):
        call_command("sandbox", "odoo", "--bare")


def test_the_inspection_page_shows_what_each_sandbox_received(qoyod_sandbox, odoo_sandbox):
    """One page for a person, whichever system it imitates: the knobs, the books, the counts
    and the latest entries."""
    entry = {
        "description": "[SIFI-TXN-7] Jarir Bookstore",
        "date": "2025-03-10",
        "status": "Draft",
        "debit_amounts": [{"account_id": 1038, "amount": "10.00"}],
        "credit_amounts": [{"account_id": 1003, "amount": "10.00"}],
    }
    created = httpx.post(
        f"{qoyod_sandbox.base_url}/journal_entries",
        json={"journal_entry": entry},
        headers={"API-KEY": qoyod_sandbox.demo_key},
    )
    assert created.status_code == 201
    qoyod_page = httpx.get(f"{qoyod_sandbox.root}/_sandbox/").text
    assert "Qoyod sandbox · tenant sandbox-demo-key" in qoyod_page
    assert "sandbox-second-key" in qoyod_page and "rate_limit_per_minute" in qoyod_page
    assert "[SIFI-TXN-7] Jarir Bookstore" in qoyod_page and "Requests served: 1" in qoyod_page
    odoo_page = httpx.get(f"{odoo_sandbox.url}/_sandbox/", params={"database": "demo"}).text
    assert "Odoo sandbox · database demo" in odoo_page and "server_version" in odoo_page
