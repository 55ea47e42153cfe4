from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.templatetags.static import static
from django.urls import URLPattern, URLResolver, include, path, re_path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from accounting.views.receipts import receipt_link
from sifi import apis, views

api_v1: list[URLPattern | URLResolver] = [
    path("auth/token/", apis.TokenApi.as_view(), name="api-token"),
    path("me/", apis.MeApi.as_view(), name="api-me"),
    path("", include("integrations.urls")),
    path("", include("accounting.urls")),
]

urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("settings/integrations/", include("integrations.page_urls")),
    path("accounting/", include("accounting.page_urls")),
    path("receipts/<str:token>/", receipt_link, name="receipt-link"),
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves its start-up script as a file: no inline script (CSP).
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    # Any other address under /api/ is an API's 404 (JSON), with DEBUG on too; only addresses
    # ending in a slash, so that one without its slash is still sent to the one with it.
    re_path(r"^api/(?:.*/)?$", views.api_not_found),
    # Browsers and tools ask for /favicon.ico whatever the page's <link rel="icon"> says.
    path("favicon.ico", RedirectView.as_view(url=static("favicon.svg"), permanent=True)),
]

# Errors: JSON under /api/, a friendly page elsewhere (sifi/views.py).
handler400 = "sifi.views.bad_request"
handler403 = "sifi.views.permission_denied"
handler404 = "sifi.views.page_not_found"
handler500 = "sifi.views.server_error"
