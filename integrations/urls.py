from django.urls import path

from integrations import apis

urlpatterns = [
    path("integrations/", apis.IntegrationListApi.as_view(), name="integration-list"),
    path("integrations/qoyod/", apis.QoyodConnectionApi.as_view(), name="qoyod-connection"),
    path("integrations/qoyod/consent/", apis.QoyodConsentApi.as_view(), name="qoyod-consent"),
    path("integrations/qoyod/connect/", apis.QoyodConnectApi.as_view(), name="qoyod-connect"),
    path("integrations/qoyod/sync/", apis.QoyodSyncApi.as_view(), name="qoyod-sync"),
    path("integrations/qoyod/accounts/", apis.AccountListApi.as_view(), name="qoyod-accounts"),
    path("integrations/odoo/", apis.OdooConnectionApi.as_view(), name="odoo-connection"),
    path("integrations/odoo/consent/", apis.OdooConsentApi.as_view(), name="odoo-consent"),
    path("integrations/odoo/connect/", apis.OdooConnectApi.as_view(), name="odoo-connect"),
    path("integrations/odoo/sync/", apis.OdooSyncApi.as_view(), name="odoo-sync"),
    path("integrations/odoo/accounts/", apis.OdooAccountListApi.as_view(), name="odoo-accounts"),
    path("jobs/<int:job_id>/", apis.JobDetailApi.as_view(), name="job-detail"),
]
