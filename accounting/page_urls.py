from django.urls import path

from accounting import views, views_rules

urlpatterns = [
    path("", views.AccountingPage.as_view(), name="accounting"),
    path("assign/", views.AssignAction.as_view(), name="accounting-assign"),
    path("unverify/", views.UnverifyAction.as_view(), name="accounting-unverify"),
    path("matching-count/", views.MatchingCount.as_view(), name="accounting-matching-count"),
    path("bulk-assign/", views.BulkAssignAction.as_view(), name="accounting-bulk-assign"),
    path("rules/", views_rules.RulesPage.as_view(), name="accounting-rules"),
    path("rules/<int:rule_id>/", views_rules.RulesPage.as_view(), name="accounting-rule"),
    path("rules/save/", views_rules.SaveRuleAction.as_view(), name="accounting-rule-save"),
    path("rules/delete/", views_rules.DeleteRuleAction.as_view(), name="accounting-rule-delete"),
    path(
        "accept-suggestions/",
        views_rules.AcceptSuggestionsAction.as_view(),
        name="accounting-accept-suggestions",
    ),
    path("sync/", views.SyncAction.as_view(), name="accounting-sync"),
    path("runs/", views.SyncRunsPage.as_view(), name="accounting-runs"),
    path("runs/<int:run_id>/", views.SyncRunPage.as_view(), name="accounting-run"),
    path(
        "runs/<int:run_id>/progress/",
        views.SyncRunProgress.as_view(),
        name="accounting-run-progress",
    ),
    path("runs/retry-failed/", views.RetryRunFailedAction.as_view(), name="accounting-run-retry"),
    path("retry-failed/", views.RetryFailedAction.as_view(), name="accounting-retry-failed"),
    path(
        "transactions/<int:transaction_id>/",
        views.TransactionPage.as_view(),
        name="accounting-transaction",
    ),
    path(
        "reconciliations/", views.ReconciliationsPage.as_view(), name="accounting-reconciliations"
    ),
    path(
        "reconciliations/start/",
        views.StartReconciliationAction.as_view(),
        name="accounting-reconciliation-start",
    ),
    path(
        "reconciliations/<int:reconciliation_id>/",
        views.ReconciliationPage.as_view(),
        name="accounting-reconciliation",
    ),
    path(
        "reconciliations/dismiss/",
        views.DismissReconciliationAction.as_view(),
        name="accounting-reconciliation-dismiss",
    ),
    path(
        "documents/<int:document_id>/", views.DocumentDownload.as_view(), name="accounting-document"
    ),
]
