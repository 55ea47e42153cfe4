from django.urls import URLPattern, path

from accounting.providers import provider_keys
from integrations import views


def _provider_pages(provider: str) -> list[URLPattern]:
    """The wizard's pages of one accounting system: /settings/integrations/<provider>/…"""
    actions: list[tuple[str, type[views.ConnectionAction]]] = [
        ("consent", views.ConsentAction),
        ("connect", views.ConnectAction),
        ("sync", views.SyncAction),
        ("configure", views.ConfigureAction),
        ("disconnect", views.DisconnectAction),
    ]
    return [
        path(
            f"{provider}/",
            views.ConnectionPage.as_view(provider=provider),
            name=f"settings-{provider}",
        ),
        *(
            path(
                f"{provider}/{action}/",
                view.as_view(provider=provider),
                name=f"settings-{provider}-{action}",
            )
            for action, view in actions
        ),
        path(
            f"{provider}/accounts/",
            views.AccountsTablePartial.as_view(provider=provider),
            name=f"settings-{provider}-accounts",
        ),
    ]


urlpatterns = [
    path("", views.IntegrationsPage.as_view(), name="settings-integrations"),
    *(pattern for provider in provider_keys() for pattern in _provider_pages(provider)),
    path("jobs/<int:job_id>/", views.JobProgressPartial.as_view(), name="settings-job-progress"),
]
