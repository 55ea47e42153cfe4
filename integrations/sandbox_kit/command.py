"""Starting a sandbox from the command line: `manage.py sandbox <provider key>` finds the
provider's sandbox through the registry; a provider's own `<key>_sandbox` command is the same
command with the provider fixed. Every knob of the sandbox's config is an option
(`latency_ms` is `--latency-ms`), with the config's default."""

import logging
from dataclasses import MISSING, fields
from importlib import import_module
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from integrations.sandbox_kit.server import Sandbox


def sandbox_for(key: str) -> Sandbox:
    """The sandbox of registered provider `key`: `SANDBOX` in the `sandbox` module of the
    provider's package (the app holding its Provider class). LookupError if there is none."""
    if key not in settings.ACCOUNTING_PROVIDERS:
        raise LookupError(f"No accounting system {key!r}; registered: {_registered()}.")
    package = apps.get_containing_app_config(settings.ACCOUNTING_PROVIDERS[key])
    try:
        module = import_module(f"{package.name}.sandbox") if package else None
    except ModuleNotFoundError:
        module = None
    sandbox = getattr(module, "SANDBOX", None)
    if not isinstance(sandbox, Sandbox):
        raise LookupError(f"The accounting system {key!r} has no sandbox.")
    return sandbox


def _registered() -> str:
    return ", ".join(settings.ACCOUNTING_PROVIDERS)


def registered_sandboxes() -> dict[str, Sandbox]:
    found = {}
    for key in settings.ACCOUNTING_PROVIDERS:
        try:
            found[key] = sandbox_for(key)
        except LookupError:
            continue
    return found


class SandboxCommand(BaseCommand):
    """Start a sandbox and serve until interrupted. `key` fixes the provider (its own
    `<key>_sandbox` command); None: the first argument names it."""

    key: str | None = None  # a key of settings.ACCOUNTING_PROVIDERS
    requires_system_checks: list[str] = []  # it needs neither the database nor the apps' checks

    def add_arguments(self, parser: CommandParser) -> None:
        if self.key is None:
            parser.add_argument("provider", help=f"The accounting system: {_registered()}.")
            sandboxes = list(registered_sandboxes().values())
            port_default = None
        else:
            sandboxes = [sandbox_for(self.key)]
            port_default = sandboxes[0].port
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument(
            "--port", type=int, default=port_default, help="Default: the sandbox's usual port."
        )
        parser.add_argument(
            "--data",
            help="SQLite file the sandbox keeps its data in, across restarts "
            "(default: var/<provider>_sandbox.sqlite3).",
        )
        parser.add_argument("--reset", action="store_true", help="Start from a fresh sandbox.")
        self._add_knobs(parser, sandboxes)

    @staticmethod
    def _add_knobs(parser: CommandParser, sandboxes: list[Sandbox]) -> None:
        """One option per knob of any of `sandboxes` (given: None, so the config's default)."""
        added = set()
        for sandbox in sandboxes:
            for knob in fields(sandbox.config):
                if knob.name == "faults" or knob.name in added:
                    continue
                added.add(knob.name)
                flag = "--" + knob.name.replace("_", "-")
                help_text = knob.metadata.get("help", "")
                if knob.default is not MISSING and knob.default is not None:
                    help_text += f" Default: {knob.default}."
                if isinstance(knob.default, bool):
                    parser.add_argument(flag, action="store_true", default=None, help=help_text)
                else:
                    parser.add_argument(flag, type=type(knob.default), help=help_text)

    def handle(self, *args: Any, **options: Any) -> None:
        key = self.key or options["provider"]
        try:
            sandbox = sandbox_for(key)
        except LookupError as error:
            raise CommandError(str(error)) from None
        given = {  # a knob not given keeps the config's default
            name
            for other in registered_sandboxes().values()
            for name in other.knob_names()
            if options.get(name) is not None
        }
        knobs = {name: options[name] for name in given & set(sandbox.knob_names())}
        foreign = sorted(given - set(knobs))
        if foreign:
            flags = ", ".join("--" + name.replace("_", "-") for name in foreign)
            raise CommandError(f"The {sandbox.title} has no {flags}.")
        data = options["data"] or str(settings.BASE_DIR / "var" / f"{key}_sandbox.sqlite3")
        port = sandbox.port if options["port"] is None else options["port"]
        self.serve(sandbox, key, options["host"], port, data, options["reset"], knobs)

    def serve(
        self,
        sandbox: Sandbox,
        key: str,
        host: str,
        port: int,
        data: str,
        reset: bool,
        knobs: dict[str, Any],
    ) -> None:
        logging.basicConfig(level=logging.INFO, format=f"%(asctime)s {key}-sandbox %(message)s")
        store = sandbox.store(data)
        if reset:
            store.reset()
        config = sandbox.config(**knobs)
        server = sandbox.server(host, port, store, config)
        bound_host, bound_port = str(server.server_address[0]), server.server_address[1]
        self.stdout.write(sandbox.banner(f"http://{bound_host}:{bound_port}", data))
        self.stdout.flush()
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.server_close()
