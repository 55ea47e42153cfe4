from django.urls import path

from accounting import apis

urlpatterns = [
    path(
        "accounting/transactions/",
        apis.TransactionListApi.as_view(),
        name="transaction-list",
    ),
    path(
        "accounting/transactions/counts/",
        apis.TransactionCountsApi.as_view(),
        name="transaction-counts",
    ),
    path(
        "accounting/transactions/bulk-assign/",
        apis.BulkAssignApi.as_view(),
        name="transaction-bulk-assign",
    ),
    path(
        "accounting/transactions/<int:transaction_id>/",
        apis.TransactionDetailApi.as_view(),
        name="transaction-detail",
    ),
    path(
        "accounting/transactions/<int:transaction_id>/assign/",
        apis.TransactionAssignApi.as_view(),
        name="transaction-assign",
    ),
    path(
        "accounting/transactions/<int:transaction_id>/unverify/",
        apis.TransactionUnverifyApi.as_view(),
        name="transaction-unverify",
    ),
    path("accounting/sync-runs/", apis.SyncRunListApi.as_view(), name="sync-run-list"),
    path(
        "accounting/sync-runs/<int:run_id>/",
        apis.SyncRunDetailApi.as_view(),
        name="sync-run-detail",
    ),
    path(
        "accounting/sync-runs/<int:run_id>/items/",
        apis.SyncRunItemListApi.as_view(),
        name="sync-run-items",
    ),
    path(
        "accounting/sync-runs/<int:run_id>/retry-failed/",
        apis.SyncRunRetryFailedApi.as_view(),
        name="sync-run-retry-failed",
    ),
    path("ledger/transactions/", apis.LedgerIngestApi.as_view(), name="ledger-ingest"),
]
