"""`manage.py qoyod_sandbox --port 8765`: the Qoyod look-alike for the demo and tests."""

import logging
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from integrations.providers.qoyod.sandbox.seed import DEMO_KEY, SECOND_KEY
from integrations.providers.qoyod.sandbox.server import Config, make_server
from integrations.providers.qoyod.sandbox.store import Store


class Command(BaseCommand):
    help = "Start the Qoyod sandbox (Qoyod's /2.0 API for demos and end-to-end tests)."
    requires_system_checks: list[str] = []  # it needs neither the database nor the apps

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8765)
        parser.add_argument(
            "--data",
            default=str(settings.BASE_DIR / "var" / "qoyod_sandbox.sqlite3"),
            help="SQLite file the sandbox keeps its data in (kept across restarts).",
        )
        parser.add_argument("--latency-ms", type=int, default=0)
        parser.add_argument("--rate-limit-per-minute", type=int, default=300)
        parser.add_argument("--fault-rate", type=float, default=0.0)
        parser.add_argument(
            "--bare",
            action="store_true",
            help="Behave like the bare public API: no draft status, no attachments.",
        )
        parser.add_argument("--reset", action="store_true", help="Start from a fresh sandbox.")

    def handle(self, *args: Any, **options: Any) -> None:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s sandbox %(message)s")
        store = Store(options["data"])
        if options["reset"]:
            store.reset()
        config = Config(
            latency_ms=options["latency_ms"],
            rate_limit_per_minute=options["rate_limit_per_minute"],
            fault_rate=options["fault_rate"],
            bare=options["bare"],
        )
        server = make_server(options["host"], options["port"], store, config)
        host, port = str(server.server_address[0]), server.server_address[1]
        self.stdout.write(
            f"Qoyod sandbox on http://{host}:{port}/2.0 "
            f"(demo key {DEMO_KEY}, second key {SECOND_KEY}, data {options['data']})",
        )
        self.stdout.flush()
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.server_close()
