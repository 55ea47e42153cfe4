"""`manage.py qoyod_sandbox --port 8765`: the Qoyod look-alike for the demo and tests (the same
as `manage.py sandbox qoyod`; options: `--help`)."""

from integrations.sandbox_kit.command import SandboxCommand


class Command(SandboxCommand):
    help = "Start the Qoyod sandbox (Qoyod's /2.0 API for demos and end-to-end tests)."
    key = "qoyod"
