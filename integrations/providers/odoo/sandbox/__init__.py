"""An Odoo look-alike for the demo and end-to-end tests: JSON-RPC at /jsonrpc in Odoo 17's
shapes (common.version / authenticate, object.execute_kw on the models we use), its
exceptions in Odoo's error envelope, data kept in SQLite across restarts, knobs for latency,
faults (incl. stored-then-502) and an inspection page. Standard library only."""

from integrations.providers.odoo.sandbox.server import SANDBOX

__all__ = ["SANDBOX"]
