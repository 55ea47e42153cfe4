"""A Qoyod look-alike server for the demo and end-to-end tests (SPEC §6).

Same paths, JSON shapes, `API-KEY` header, Ransack filters, pagination and error formats as
the decisions table of shared/qoyod-api.md; data kept in SQLite across restarts; knobs for
latency, rate limit and injected faults. Standard library only: it must start anywhere.
"""

from integrations.providers.qoyod.sandbox.server import SANDBOX

__all__ = ["SANDBOX"]
