"""Brute force: after 5 wrong passwords a username is locked out from that address for 15
minutes, on the login page and on the API's token endpoint alike; the API is throttled per
person, per service token and per address, with a 429 that says when to try again."""

from django.test import Client
from rest_framework.test import APIClient

from sifi.services import create_service_token
from tests.factories import PASSWORD, api_client_for


def wrong_logins_on_the_page(client, username, times):
    for _ in range(times):
        response = client.post("/login/", {"username": username, "password": "wrong"})
        assert response.status_code in (200, 429)
    return response


def test_the_login_page_locks_a_username_out_after_five_wrong_passwords(admin_a):
    client = Client()
    for _ in range(4):
        response = client.post("/login/", {"username": admin_a.username, "password": "wrong"})
        assert response.status_code == 200  # the form again, with its error
    locked = client.post("/login/", {"username": admin_a.username, "password": "wrong"})
    assert locked.status_code == 429
    assert "Too many failed logins" in locked.content.decode()

    right = client.post("/login/", {"username": admin_a.username, "password": PASSWORD})
    assert right.status_code == 429  # the right password does not help while locked
    assert "_auth_user_id" not in client.session


def test_a_lockout_is_per_username_and_address_not_the_whole_site(admin_a, users_a):
    attacker = Client(REMOTE_ADDR="203.0.113.9")
    wrong_logins_on_the_page(attacker, admin_a.username, 5)
    colleague = Client(REMOTE_ADDR="198.51.100.7")
    response = colleague.post("/login/", {"username": admin_a.username, "password": PASSWORD})
    assert response.status_code == 302  # from another address the owner still gets in


def test_a_successful_login_resets_the_count(admin_a):
    client = Client()
    wrong_logins_on_the_page(client, admin_a.username, 4)
    assert (
        client.post("/login/", {"username": admin_a.username, "password": PASSWORD}).status_code
        == 302
    )
    client.post("/logout/")
    wrong_logins_on_the_page(client, admin_a.username, 4)
    assert (
        client.post("/login/", {"username": admin_a.username, "password": PASSWORD}).status_code
        == 302
    )


def test_the_token_endpoint_locks_out_too_with_a_json_429(admin_a):
    client = APIClient()
    for _ in range(5):
        response = client.post(
            "/api/v1/auth/token/", {"username": admin_a.username, "password": "x"}, format="json"
        )
    assert response.status_code == 429, response.content
    assert response.json()["code"] == "login_locked_out"
    right = client.post(
        "/api/v1/auth/token/", {"username": admin_a.username, "password": PASSWORD}, format="json"
    )
    assert right.status_code == 429
    assert "token" not in right.json()
    assert "Too many failed logins" in right.json()["detail"]


def test_a_person_over_the_api_rate_gets_a_clear_429(users_a, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "user": "3/minute",
        },
    }
    client = api_client_for(users_a["accountant"])
    assert [client.get("/api/v1/me/").status_code for _ in range(3)] == [200, 200, 200]
    refused = client.get("/api/v1/me/")
    assert refused.status_code == 429
    assert refused.json()["code"] == "throttled"
    assert refused.json()["detail"].startswith("Too many requests. Wait ")
    assert int(refused["Retry-After"]) > 0
    # Another person has a budget of their own.
    assert api_client_for(users_a["admin"]).get("/api/v1/me/").status_code == 200


def test_each_service_token_has_its_own_budget(org_a, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "service": "2/minute",
        },
    }
    first, second = APIClient(), APIClient()
    first.credentials(HTTP_AUTHORIZATION=f"Token {create_service_token(organization=org_a)}")
    second.credentials(HTTP_AUTHORIZATION=f"Token {create_service_token(organization=org_a)}")
    statuses = [
        first.post("/api/v1/ledger/transactions/", [], format="json").status_code for _ in range(3)
    ]
    assert statuses == [400, 400, 429]
    assert second.post("/api/v1/ledger/transactions/", [], format="json").status_code == 400


def test_anonymous_requests_to_the_token_endpoint_are_throttled_per_address(db, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "anonymous": "2/minute",
        },
    }
    client = APIClient()
    statuses = [client.post("/api/v1/auth/token/", {}, format="json").status_code for _ in range(3)]
    assert statuses == [400, 400, 429]
    other_address = APIClient(REMOTE_ADDR="198.51.100.7")
    assert other_address.post("/api/v1/auth/token/", {}, format="json").status_code == 400
