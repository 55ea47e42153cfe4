"""Writes of the ledger: ingestion, verification (assign, unverify, bulk assign), sync runs."""

from accounting.services.ingestion import IngestResult, ingest_transactions
from accounting.services.sync import retry_failed, start_sync_run
from accounting.services.verification import (
    BulkAssignResult,
    assign_account,
    bulk_assign,
    unverify_on_inactive_accounts,
    unverify_transaction,
)

__all__ = [
    "BulkAssignResult",
    "IngestResult",
    "assign_account",
    "bulk_assign",
    "ingest_transactions",
    "retry_failed",
    "start_sync_run",
    "unverify_on_inactive_accounts",
    "unverify_transaction",
]
