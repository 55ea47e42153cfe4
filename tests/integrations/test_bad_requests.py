"""Odd or hostile input to Settings → Integrations gets a clear 4xx, never a server error."""

import pytest

from integrations.models import Integration
from sifi.models import Role
from tests.factories import api_client_for, make_account
from tests.integrations.test_connect_qoyod import consent


@pytest.mark.parametrize("key", ["qoyod-ключ-1234", "abc\u200bdef", "“quoted-key”", "tab\tkey"])
def test_an_api_key_with_other_than_printable_ascii_is_a_field_error(admin_a, key):
    client = api_client_for(admin_a)
    consent(client)
    response = client.post("/api/v1/integrations/qoyod/connect/", {"api_key": key}, format="json")
    assert response.status_code == 400
    assert "printable ASCII" in response.json()["api_key"][0]
    assert (
        Integration.objects.get(organization=admin_a.organization).secrets.get("api_key", "") == ""
    )


def test_the_connect_page_says_the_same_about_a_non_ascii_key(client, admin_a):
    client.force_login(admin_a)
    client.post("/settings/integrations/qoyod/consent/", {"accept": "1"})
    response = client.post("/settings/integrations/qoyod/connect/", {"api_key": "مفتاح-1234"})
    assert response.status_code == 200
    assert "printable ASCII" in response.content.decode()
    assert (
        Integration.objects.get(organization=admin_a.organization).secrets.get("api_key", "") == ""
    )


def test_a_nul_character_in_the_account_search_is_a_400(client, users_a, org_a):
    make_account(org_a, code="5201", name_en="Marketing Expenses")
    api = api_client_for(users_a[Role.ACCOUNTANT])
    response = api.get("/api/v1/integrations/qoyod/accounts/?search=%00")
    assert response.status_code == 400
    assert response.json() == {"search": ["Null characters are not allowed."]}
    assert api.get("/api/v1/integrations/qoyod/accounts/?search=52").json()["count"] == 1
    assert api.get("/api/v1/integrations/qoyod/accounts/?active=maybe").status_code == 400

    client.force_login(users_a[Role.ACCOUNTANT])
    page = client.get("/settings/integrations/qoyod/accounts/?search=%00")
    assert page.status_code == 400
    assert client.get("/settings/integrations/qoyod/accounts/?search=52").status_code == 200
