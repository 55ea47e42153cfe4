from django.urls import URLPattern, path

from integrations import views
from integrations.connect.base import ConnectFlow, flows


def _provider_pages(flow: ConnectFlow) -> list[URLPattern]:
    """The wizard's pages of one accounting system: /settings/integrations/<slug>/…"""
    provider, slug = flow.key, flow.slug
    actions: list[tuple[str, type[views.ConnectionAction]]] = [
        ("consent", views.ConsentAction),
        ("connect", views.ConnectAction),
        ("company", views.CompanyAction),
        ("sync", views.SyncAction),
        ("configure", views.ConfigureAction),
        ("disconnect", views.DisconnectAction),
    ]
    return [
        path(
            f"{slug}/",
            views.ConnectionPage.as_view(provider=provider),
            name=f"settings-{provider}",
        ),
        *(
            path(
                f"{slug}/{action}/",
                view.as_view(provider=provider),
                name=f"settings-{provider}-{action}",
            )
            for action, view in actions
        ),
        path(
            f"{slug}/callback/",
            views.CallbackPage.as_view(provider=provider),
            name=f"settings-{provider}-callback",
        ),
        path(
            f"{slug}/accounts/",
            views.AccountsTablePartial.as_view(provider=provider),
            name=f"settings-{provider}-accounts",
        ),
    ]


urlpatterns = [
    path("", views.IntegrationsPage.as_view(), name="settings-integrations"),
    *(pattern for flow in flows() for pattern in _provider_pages(flow)),
    path("jobs/<int:job_id>/", views.JobProgressPartial.as_view(), name="settings-job-progress"),
]
