"""The ledger's models, a module per concept; Django and every caller find them here.

- `chart`: `Account`, the chart mirrored from the organization's accounting system;
- `wallet`: SiFi's side of the spending: `Employee`, `Budget`, `Card`;
- `transactions`: `Transaction`; its types, directions and tabs (`TYPE_RULES`), its statuses
  and the status groups the list indexes follow (`status_in`);
- `documents`: `Document` (a receipt) and `ReceiptLink`;
- `sync_runs`: `SyncRun` and `SyncRunItem`;
- `reconciliations`: `Reconciliation` and `ReconciliationItem`;
- `rules`: `Rule`, `PendingRule` (a rule waiting for its account) and `Suggestion` (the
  account proposed for a transaction);
- `corrections`: `Correction`, a synced transaction reassigned after its entry reached the books;
- `settings`: `AccountingSettings`, the organization's accounting choices (`VatReclaim`).
"""

from accounting.models.chart import EXTERNAL_ID_LENGTH, Account
from accounting.models.corrections import (
    OPEN_CORRECTION_STATES,
    Correction,
    CorrectionState,
)
from accounting.models.documents import Document, ReceiptLink, document_upload_to
from accounting.models.reconciliations import (
    Reconciliation,
    ReconciliationItem,
    ReconciliationProblem,
    ReconciliationStatus,
)
from accounting.models.rules import PendingRule, ReverseChargeMerchant, Rule, Suggestion
from accounting.models.settings import AccountingSettings, PostingDatePolicy, VatReclaim
from accounting.models.sync_runs import (
    ACTIVE_RUN_STATUSES,
    SyncRun,
    SyncRunItem,
    SyncRunItemOutcome,
    SyncRunStatus,
)
from accounting.models.transactions import (
    ASSIGNABLE_TABS,
    EDITABLE_STATUSES,
    LISTED_STATUSES,
    TO_SYNC_STATUSES,
    TYPE_RULES,
    Direction,
    Tab,
    Transaction,
    TransactionStatus,
    TransactionType,
    VatEvidence,
    direction_of,
    status_in,
    types_of_tab,
)
from accounting.models.wallet import Budget, Card, Employee

__all__ = [
    "ACTIVE_RUN_STATUSES",
    "ASSIGNABLE_TABS",
    "EDITABLE_STATUSES",
    "EXTERNAL_ID_LENGTH",
    "LISTED_STATUSES",
    "OPEN_CORRECTION_STATES",
    "TO_SYNC_STATUSES",
    "TYPE_RULES",
    "Account",
    "AccountingSettings",
    "Budget",
    "Card",
    "Correction",
    "CorrectionState",
    "Direction",
    "Document",
    "Employee",
    "PendingRule",
    "PostingDatePolicy",
    "ReceiptLink",
    "Reconciliation",
    "ReconciliationItem",
    "ReconciliationProblem",
    "ReconciliationStatus",
    "ReverseChargeMerchant",
    "Rule",
    "Suggestion",
    "SyncRun",
    "SyncRunItem",
    "SyncRunItemOutcome",
    "SyncRunStatus",
    "Tab",
    "Transaction",
    "TransactionStatus",
    "TransactionType",
    "VatEvidence",
    "VatReclaim",
    "direction_of",
    "document_upload_to",
    "status_in",
    "types_of_tab",
]
