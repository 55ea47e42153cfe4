"""The product's URLs plus two views that crash, to see what a server error shows."""

from django.http import HttpRequest, HttpResponse
from django.urls import path

from sifi.urls import handler400, handler403, handler404, handler500, urlpatterns

SECRET_IN_LOCALS = "qoyod-live-key-never-shown-9f3e"


def crash(request: HttpRequest) -> HttpResponse:
    api_key = SECRET_IN_LOCALS  # what the connect crash printed 12 times in its traceback
    raise RuntimeError(f"boom with {api_key}")


urlpatterns = [
    path("api/v1/crash/", crash),
    path("accounting/crash/", crash),
    *urlpatterns,
]
__all__ = ["handler400", "handler403", "handler404", "handler500", "urlpatterns"]
