"""Errors as people and scripts see them with DEBUG off (as in production and `bin/start`):
JSON under /api/, a friendly page elsewhere, never a traceback, a setting or a secret."""

import pytest
from django.test import Client
from rest_framework.test import APIClient

from sifi.models import Role
from tests.factories import api_client_for
from tests.fakes.crash_urls import SECRET_IN_LOCALS

TECHNICAL = ("Traceback", "Request Method", "DEBUG = True", "URLconf", "Django tried these")


def assert_not_technical(text: str) -> None:
    for marker in TECHNICAL:
        assert marker not in text


@pytest.mark.parametrize("path", ["/api/v1/nope/", "/api/nope/", "/api/v1/accounting/nope/"])
def test_an_unknown_api_address_is_a_json_404(users_a, path):
    response = api_client_for(users_a[Role.ACCOUNTANT]).get(path)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Not found. The API's endpoints are listed at /api/docs/."}


def test_an_unknown_page_is_a_friendly_404(client, users_a):
    client.force_login(users_a[Role.ACCOUNTANT])
    response = client.get("/accounting/nope/")
    assert response.status_code == 404
    text = response.content.decode()
    assert "There is no page at this address" in text
    assert_not_technical(text)


def test_a_method_an_endpoint_does_not_take_is_a_json_405(users_a):
    response = api_client_for(users_a[Role.ADMIN]).put("/api/v1/integrations/", {}, format="json")
    assert response.status_code == 405
    assert response.json() == {"detail": 'Method "PUT" not allowed.'}


def test_a_page_the_role_may_not_see_is_a_friendly_403(client, users_a):
    client.force_login(users_a[Role.EMPLOYEE])
    response = client.get("/accounting/")
    assert response.status_code == 403
    assert "Your role does not allow this" in response.content.decode()


@pytest.fixture
def crashing_site(settings):
    settings.ROOT_URLCONF = "tests.fakes.crash_urls"
    settings.DEBUG = False


def test_a_server_error_in_the_api_is_a_json_500_without_the_traceback(crashing_site, users_a):
    client = api_client_for(users_a[Role.ACCOUNTANT])
    client.raise_request_exception = False
    response = client.get("/api/v1/crash/")
    assert response.status_code == 500
    body = response.content.decode()
    assert response.json()["detail"].startswith("Something went wrong on our side")
    assert SECRET_IN_LOCALS not in body and "RuntimeError" not in body
    assert_not_technical(body)


def test_a_server_error_on_a_page_is_a_friendly_500_without_the_traceback(crashing_site, users_a):
    client = Client(raise_request_exception=False)
    client.force_login(users_a[Role.ACCOUNTANT])
    response = client.get("/accounting/crash/")
    assert response.status_code == 500
    body = response.content.decode()
    assert "Something went wrong on our side" in body
    assert SECRET_IN_LOCALS not in body and "RuntimeError" not in body
    assert_not_technical(body)


def test_a_form_posted_without_its_csrf_token_is_a_friendly_403(users_a):
    client = Client(enforce_csrf_checks=True)
    client.force_login(users_a[Role.ACCOUNTANT])
    response = client.post("/accounting/sync/")
    assert response.status_code == 403
    assert "Reload the page and try again" in response.content.decode()


def test_anonymous_api_calls_are_a_json_401(db):
    response = APIClient().get("/api/v1/me/")
    assert response.status_code == 401
    assert "detail" in response.json()


def test_error_pages_speak_arabic_too(client, users_a):
    client.force_login(users_a[Role.ACCOUNTANT])
    response = client.get("/accounting/nope/", HTTP_ACCEPT_LANGUAGE="ar")
    assert response.status_code == 404
    assert "لا توجد صفحة بهذا العنوان" in response.content.decode()
