"""Writes of the ledger, one module per concept: ingestion, verification (assign, unverify,
bulk assign), chart (mirror the provider's chart), runs (start a sync run) and sync (the
engine that pushes entries). Import from the module: this package re-exports nothing, so
importing one concept never drags in the others (or the tasks that `runs` queues)."""
