from django.urls import path

from accounting.views import (
    accounting_settings,
    corrections,
    reconciliations,
    rules,
    sync_runs,
    transactions,
)

urlpatterns = [
    path("", transactions.AccountingPage.as_view(), name="accounting"),
    path("assign/", transactions.AssignAction.as_view(), name="accounting-assign"),
    path("reassign/", corrections.ReassignAction.as_view(), name="accounting-reassign"),
    path("unverify/", transactions.UnverifyAction.as_view(), name="accounting-unverify"),
    path("vat-counts/", transactions.VatCountsPartial.as_view(), name="accounting-vat-counts"),
    path("matching-count/", transactions.MatchingCount.as_view(), name="accounting-matching-count"),
    path("bulk-assign/", transactions.BulkAssignAction.as_view(), name="accounting-bulk-assign"),
    path("rules/", rules.RulesPage.as_view(), name="accounting-rules"),
    path(
        "settings/",
        accounting_settings.AccountingSettingsPage.as_view(),
        name="accounting-settings",
    ),
    path(
        "settings/save/",
        accounting_settings.SaveAccountingSettingsAction.as_view(),
        name="accounting-settings-save",
    ),
    path("rules/<int:rule_id>/", rules.RulesPage.as_view(), name="accounting-rule"),
    path("rules/save/", rules.SaveRuleAction.as_view(), name="accounting-rule-save"),
    path("rules/delete/", rules.DeleteRuleAction.as_view(), name="accounting-rule-delete"),
    path(
        "accept-suggestions/",
        rules.AcceptSuggestionsAction.as_view(),
        name="accounting-accept-suggestions",
    ),
    path("sync/", sync_runs.SyncAction.as_view(), name="accounting-sync"),
    path("sync/estimate/", sync_runs.SyncEstimateView.as_view(), name="accounting-sync-estimate"),
    path("runs/", sync_runs.SyncRunsPage.as_view(), name="accounting-runs"),
    path("runs/<int:run_id>/", sync_runs.SyncRunPage.as_view(), name="accounting-run"),
    path(
        "runs/<int:run_id>/progress/",
        sync_runs.SyncRunProgress.as_view(),
        name="accounting-run-progress",
    ),
    path(
        "runs/retry-failed/", sync_runs.RetryRunFailedAction.as_view(), name="accounting-run-retry"
    ),
    path("retry-failed/", sync_runs.RetryFailedAction.as_view(), name="accounting-retry-failed"),
    path(
        "transactions/<int:transaction_id>/",
        transactions.TransactionPage.as_view(),
        name="accounting-transaction",
    ),
    path(
        "reconciliations/",
        reconciliations.ReconciliationsPage.as_view(),
        name="accounting-reconciliations",
    ),
    path(
        "reconciliations/start/",
        reconciliations.StartReconciliationAction.as_view(),
        name="accounting-reconciliation-start",
    ),
    path(
        "reconciliations/<int:reconciliation_id>/",
        reconciliations.ReconciliationPage.as_view(),
        name="accounting-reconciliation",
    ),
    path(
        "reconciliations/dismiss/",
        reconciliations.DismissReconciliationAction.as_view(),
        name="accounting-reconciliation-dismiss",
    ),
    path(
        "documents/<int:document_id>/",
        transactions.DocumentDownload.as_view(),
        name="accounting-document",
    ),
]
