"""The integrations API's routes: `/integrations/<provider>/…` for every registered provider
(its views from `provider_apis.provider_views`), the list and jobs."""

from django.urls import URLPattern, path

from integrations import apis, provider_apis
from integrations.connect.base import ConnectFlow, flows


def _provider_routes(flow: ConnectFlow) -> list[URLPattern]:
    views = provider_apis.provider_views(flow)
    base = f"integrations/{flow.slug}/"
    routes = [
        path(base, views["connection"].as_view(), name=f"{flow.key}-connection"),
        path(f"{base}consent/", views["consent"].as_view(), name=f"{flow.key}-consent"),
        path(f"{base}connect/", views["connect"].as_view(), name=f"{flow.key}-connect"),
        path(f"{base}sync/", views["sync"].as_view(), name=f"{flow.key}-sync"),
        path(f"{base}accounts/", views["accounts"].as_view(), name=f"{flow.key}-accounts"),
    ]
    if "tax_rates" in views:
        tax_rates = views["tax_rates"].as_view()
        routes.append(path(f"{base}tax-rates/", tax_rates, name=f"{flow.key}-tax-rates"))
    return routes


urlpatterns = [
    path("integrations/", apis.IntegrationListApi.as_view(), name="integration-list"),
    *(route for flow in flows() for route in _provider_routes(flow)),
    path("jobs/<int:job_id>/", apis.JobDetailApi.as_view(), name="job-detail"),
]
