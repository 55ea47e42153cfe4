"""`manage.py sandbox <provider key> --port N`: a registered accounting system's look-alike, for
the demo and tests (`manage.py sandbox --help` lists every option)."""

from integrations.sandbox_kit.command import SandboxCommand


class Command(SandboxCommand):
    help = (
        "Start the sandbox of an accounting system (a key of settings.ACCOUNTING_PROVIDERS), "
        "e.g. `sandbox <key> --port 8765`."
    )
