"""A Wafeq look-alike for the demo and end-to-end tests: Wafeq's REST API v1 as SiFi uses it
(organization, accounts, tax rates, files, expenses with mark-as-draft, manual journals), its
idempotency keys replayed for an hour, a lock date, a rate limit per API key, latency, faults and
an inspection page, on the sandbox kit. Data kept in SQLite across restarts. Standard library
only."""

from integrations.providers.wafeq.sandbox.server import SANDBOX

__all__ = ["SANDBOX"]
