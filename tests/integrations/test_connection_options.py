"""A provider's own configuration values (`ConnectFlow.options`: a daily quota, a switch, a
tax code) come with the shared configuration: stored on the connection, validated the same
way by the API and the page, shown on both, audited, and given to the provider's budget and
sessions with their defaults filled in (Ruled Books, tests/integrations/books_for_tests.py)."""

import pytest
from django.core.exceptions import ValidationError
from drf_spectacular.generators import SchemaGenerator

from integrations.connections import IntegrationBooks
from integrations.models import Integration
from integrations.services import configure
from sifi.models import AuditEvent
from tests.factories import api_client_for, make_account
from tests.integrations import books_for_tests
from tests.integrations.test_connect_flows import registered_test_books  # noqa: F401

RULED = "/api/v1/integrations/ruled-books/"
RULED_PAGE = "/settings/integrations/ruled-books/"


@pytest.fixture
def ruled(registered_test_books, admin_a):  # noqa: F811
    api = api_client_for(admin_a)
    api.post(RULED + "consent/", {"accept": True}, format="json")
    connected = api.post(RULED + "connect/", {"api_key": "ruled-key-1"}, format="json")
    assert connected.status_code == 200
    return api


def test_the_connection_shows_each_option_with_its_default(ruled):
    body = ruled.get(RULED).json()
    assert (body["daily_quota"], body["post_refunds"], body["tax_code"]) == (1000, False, None)
    assert Integration.objects.get(provider="ruled_books").options == {}


def test_options_are_set_by_patch_and_audited(ruled, org_a):
    answer = ruled.patch(RULED, {"daily_quota": 2500, "post_refunds": True}, format="json")
    assert answer.status_code == 200
    assert (answer.json()["daily_quota"], answer.json()["post_refunds"]) == (2500, True)
    assert ruled.patch(RULED, {"tax_code": "vat15"}, format="json").json()["tax_code"] == "vat15"
    integration = Integration.objects.get(provider="ruled_books")
    assert integration.options == {"daily_quota": 2500, "post_refunds": True, "tax_code": "vat15"}
    event = AuditEvent.objects.filter(action="integration.configure").latest("pk")
    assert event.before["options"] == {"daily_quota": 2500, "post_refunds": True}
    assert event.after["options"]["tax_code"] == "vat15"
    assert ruled.patch(RULED, {"tax_code": None}, format="json").json()["tax_code"] is None


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"daily_quota": 50}, "daily_quota"),
        ({"daily_quota": "lots"}, "daily_quota"),
        ({"post_refunds": "maybe"}, "post_refunds"),
        ({"tax_code": "vat99"}, "tax_code"),
    ],
)
def test_a_bad_option_is_a_400_on_its_name_and_changes_nothing(ruled, change, field):
    ruled.patch(RULED, {"daily_quota": 3000}, format="json")
    answer = ruled.patch(RULED, {**change, "auto_sync": True}, format="json")
    assert answer.status_code == 400
    assert list(answer.json()) == [field]
    integration = Integration.objects.get(provider="ruled_books")
    assert integration.options == {"daily_quota": 3000}
    assert integration.auto_sync is False


def test_the_tax_code_check_names_the_choice(ruled):
    answer = ruled.patch(RULED, {"tax_code": "vat99"}, format="json")
    assert answer.json() == {"tax_code": ["Pick one of Ruled Books' tax codes."]}


def test_an_option_the_provider_does_not_declare_is_refused(ruled, admin_a, org_a):
    with pytest.raises(ValidationError) as refused:
        configure(
            actor=admin_a, organization=org_a, provider="ruled_books", options={"colour": "red"}
        )
    assert "colour" in refused.value.message_dict


def test_the_budget_is_given_the_options_with_defaults(ruled, org_a):
    ruled.patch(RULED, {"daily_quota": 4000}, format="json")
    books_for_tests.OPTIONS_SEEN.clear()
    IntegrationBooks(Integration.objects.get(provider="ruled_books")).request_budget()
    assert books_for_tests.OPTIONS_SEEN == [
        {"daily_quota": 4000, "post_refunds": False, "tax_code": None}
    ]


def test_the_configuration_page_shows_and_saves_the_options(ruled, admin_a, org_a, client):
    # A synced chart: the configuration step.
    wallet = make_account(org_a, provider="ruled_books", type="Asset", receive_payments=True)
    client.force_login(admin_a)
    page = client.get(RULED_PAGE).content.decode()
    assert "Daily request quota" in page and 'value="1000"' in page
    assert "Refunds are posted at once." in page and "VAT 15 %" in page
    saved = client.post(
        RULED_PAGE + "configure/",
        {"source_account": wallet.pk, "daily_quota": "6000", "tax_code": "zero"},
        follow=True,
    )
    assert saved.status_code == 200
    integration = Integration.objects.get(provider="ruled_books")
    assert integration.options == {"daily_quota": 6000, "post_refunds": False, "tax_code": "zero"}

    refused = client.post(
        RULED_PAGE + "configure/", {"source_account": wallet.pk, "daily_quota": "0"}, follow=True
    )
    assert "Ensure this value is greater than or equal to 100." in refused.content.decode()
    assert Integration.objects.get(provider="ruled_books").options["daily_quota"] == 6000


def test_the_schema_types_the_options(registered_test_books):  # noqa: F811
    schema = SchemaGenerator().get_schema(request=None, public=True)
    components = schema["components"]["schemas"]
    patch = schema["paths"][RULED]["patch"]["requestBody"]["content"]["application/json"]
    configure_input = components[patch["schema"]["$ref"].rsplit("/", 1)[1]]
    assert configure_input["properties"]["daily_quota"]["type"] == "integer"
    answer = schema["paths"][RULED]["get"]["responses"]["200"]["content"]["application/json"]
    output = components[answer["schema"]["$ref"].rsplit("/", 1)[1]]
    assert output["properties"]["post_refunds"]["type"] == "boolean"
    assert output["properties"]["daily_quota"]["readOnly"] is True
