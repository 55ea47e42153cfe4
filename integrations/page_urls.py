from django.urls import path

from integrations import views

urlpatterns = [
    path("", views.IntegrationsPage.as_view(), name="settings-integrations"),
    path("qoyod/", views.QoyodPage.as_view(), name="settings-qoyod"),
    path("qoyod/consent/", views.QoyodConsentAction.as_view(), name="settings-qoyod-consent"),
    path("qoyod/connect/", views.QoyodConnectAction.as_view(), name="settings-qoyod-connect"),
    path("qoyod/sync/", views.QoyodSyncAction.as_view(), name="settings-qoyod-sync"),
    path("qoyod/configure/", views.QoyodConfigureAction.as_view(), name="settings-qoyod-configure"),
    path(
        "qoyod/disconnect/",
        views.QoyodDisconnectAction.as_view(),
        name="settings-qoyod-disconnect",
    ),
    path("qoyod/accounts/", views.AccountsTablePartial.as_view(), name="settings-qoyod-accounts"),
    path("jobs/<int:job_id>/", views.JobProgressPartial.as_view(), name="settings-job-progress"),
]
