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
    path("ledger/transactions/", apis.LedgerIngestApi.as_view(), name="ledger-ingest"),
]
