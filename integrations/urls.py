from django.urls import path

from integrations import apis

urlpatterns = [
    path("integrations/", apis.IntegrationListApi.as_view(), name="integration-list"),
    path("integrations/qoyod/", apis.QoyodConnectionApi.as_view(), name="qoyod-connection"),
    path("integrations/qoyod/accounts/", apis.AccountListApi.as_view(), name="qoyod-accounts"),
    path("jobs/<int:job_id>/", apis.JobDetailApi.as_view(), name="job-detail"),
]
