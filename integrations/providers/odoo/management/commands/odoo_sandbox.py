"""`manage.py odoo_sandbox --port 8769`: the Odoo look-alike for the demo and tests (the same as
`manage.py sandbox odoo`; options: `--help`)."""

from integrations.sandbox_kit.command import SandboxCommand


class Command(SandboxCommand):
    help = "Start the Odoo sandbox (Odoo 17's external JSON-RPC API for demos and tests)."
    key = "odoo"
