"""`manage.py wafeq_sandbox --port 8773`: the Wafeq look-alike for the demo and tests (the same as
`manage.py sandbox wafeq`; options: `--help`)."""

from integrations.sandbox_kit.command import SandboxCommand


class Command(SandboxCommand):
    help = "Start the Wafeq sandbox (Wafeq's REST API v1 as SiFi uses it, for demos and tests)."
    key = "wafeq"
