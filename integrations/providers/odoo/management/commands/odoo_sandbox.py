"""`manage.py odoo_sandbox --port 8769`: the Odoo look-alike for the demo and tests."""

import logging
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from integrations.providers.odoo.sandbox.seed import DEMO_DATABASE, DEMO_KEY, DEMO_LOGIN
from integrations.providers.odoo.sandbox.server import Config, make_server
from integrations.providers.odoo.sandbox.store import Store


class Command(BaseCommand):
    help = "Start the Odoo sandbox (Odoo 17's external JSON-RPC API for demos and tests)."
    requires_system_checks: list[str] = []  # it needs neither the database nor the apps

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8769)
        parser.add_argument(
            "--data",
            default=str(settings.BASE_DIR / "var" / "odoo_sandbox.sqlite3"),
            help="SQLite file the sandbox keeps its data in (kept across restarts).",
        )
        parser.add_argument("--latency-ms", type=int, default=0)
        parser.add_argument(
            "--rate-limit-per-second",
            type=int,
            default=0,
            help="Refuse (429) more requests than this per database and second (0: no limit).",
        )
        parser.add_argument("--fault-rate", type=float, default=0.0)
        parser.add_argument("--reset", action="store_true", help="Start from a fresh sandbox.")

    def handle(self, *args: Any, **options: Any) -> None:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s odoo-sandbox %(message)s")
        store = Store(options["data"])
        if options["reset"]:
            store.reset()
        config = Config(
            latency_ms=options["latency_ms"],
            rate_limit_per_second=options["rate_limit_per_second"],
            fault_rate=options["fault_rate"],
        )
        server = make_server(options["host"], options["port"], store, config)
        host, port = str(server.server_address[0]), server.server_address[1]
        self.stdout.write(
            f"Odoo sandbox on http://{host}:{port} (JSON-RPC at /jsonrpc; database "
            f"{DEMO_DATABASE}, login {DEMO_LOGIN}, API key {DEMO_KEY}; inspect at "
            f"http://{host}:{port}/_sandbox/; data {options['data']})",
        )
        self.stdout.flush()
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.server_close()
