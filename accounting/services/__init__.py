"""Writes of the ledger, one module per concept: ingestion, verification (assign, unverify,
bulk assign), chart (mirror the provider's chart), runs (start a sync run) and the engine
that pushes entries: push (one transaction, exactly once), turns (the fair scheduler's unit
of work) and run_lifecycle (a run running, stopped, finished, stalled). Import from the
module: this package re-exports nothing, so importing one concept never drags in the others
(or the tasks that `runs` queues)."""
