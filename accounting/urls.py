from django.urls import path

from accounting.apis import (
    accounting_settings,
    accounts,
    documents,
    ingestion,
    reconciliations,
    rules,
    sync_runs,
    transactions,
    vat,
    verification,
)

urlpatterns = [
    path(
        "accounting/accounts/search/",
        accounts.AccountSearchApi.as_view(),
        name="account-search",
    ),
    path(
        "accounting/transactions/",
        transactions.TransactionListApi.as_view(),
        name="transaction-list",
    ),
    path(
        "accounting/transactions/counts/",
        transactions.TransactionCountsApi.as_view(),
        name="transaction-counts",
    ),
    path(
        "accounting/transactions/bulk-assign/",
        verification.BulkAssignApi.as_view(),
        name="transaction-bulk-assign",
    ),
    path(
        "accounting/transactions/<int:transaction_id>/",
        transactions.TransactionDetailApi.as_view(),
        name="transaction-detail",
    ),
    path(
        "accounting/transactions/<int:transaction_id>/assign/",
        verification.TransactionAssignApi.as_view(),
        name="transaction-assign",
    ),
    path(
        "accounting/transactions/<int:transaction_id>/unverify/",
        verification.TransactionUnverifyApi.as_view(),
        name="transaction-unverify",
    ),
    path("accounting/sync-runs/", sync_runs.SyncRunListApi.as_view(), name="sync-run-list"),
    path(
        "accounting/sync-runs/estimate/",
        sync_runs.SyncEstimateApi.as_view(),
        name="sync-run-estimate",
    ),
    path(
        "accounting/sync-runs/<int:run_id>/",
        sync_runs.SyncRunDetailApi.as_view(),
        name="sync-run-detail",
    ),
    path(
        "accounting/sync-runs/<int:run_id>/items/",
        sync_runs.SyncRunItemListApi.as_view(),
        name="sync-run-items",
    ),
    path(
        "accounting/sync-runs/<int:run_id>/retry-failed/",
        sync_runs.SyncRunRetryFailedApi.as_view(),
        name="sync-run-retry-failed",
    ),
    path(
        "accounting/documents/<int:document_id>/revoke-link/",
        documents.ReceiptLinkRevokeApi.as_view(),
        name="document-revoke-link",
    ),
    path(
        "accounting/reconciliations/",
        reconciliations.ReconciliationListApi.as_view(),
        name="reconciliation-list",
    ),
    path(
        "accounting/reconciliations/<int:reconciliation_id>/",
        reconciliations.ReconciliationDetailApi.as_view(),
        name="reconciliation-detail",
    ),
    path("accounting/rules/", rules.RuleListApi.as_view(), name="rule-list"),
    path("accounting/vat-report/", vat.VatReportApi.as_view(), name="vat-report"),
    path(
        "accounting/reverse-charge-merchants/",
        vat.ReverseChargeMerchantListApi.as_view(),
        name="reverse-charge-merchant-list",
    ),
    path("accounting/rules/apply/", rules.RulesApplyApi.as_view(), name="rule-apply"),
    path("accounting/rules/<int:rule_id>/", rules.RuleDetailApi.as_view(), name="rule-detail"),
    path(
        "accounting/transactions/accept-suggestions/",
        rules.AcceptSuggestionsApi.as_view(),
        name="transaction-accept-suggestions",
    ),
    path("ledger/transactions/", ingestion.LedgerIngestApi.as_view(), name="ledger-ingest"),
    path(
        "accounting/settings/",
        accounting_settings.AccountingSettingsApi.as_view(),
        name="accounting-settings",
    ),
    path(
        "accounting/transactions/vat-evidence-counts/",
        transactions.VatEvidenceCountsApi.as_view(),
        name="transaction-vat-evidence-counts",
    ),
]
