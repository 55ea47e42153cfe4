"""The OpenAPI schema describes what each endpoint really takes and answers."""

import pytest
from drf_spectacular.generators import SchemaGenerator


@pytest.fixture(scope="module")
def schema():
    return SchemaGenerator().get_schema(request=None, public=True)


def response_ref(schema, path, method="get", status="200"):
    content = schema["paths"][path][method]["responses"][status]["content"]["application/json"]
    body = content["schema"]
    return (body.get("items") or body)["$ref"].rsplit("/", 1)[1]


def request_ref(schema, path, method="post"):
    body = schema["paths"][path][method]["requestBody"]["content"]["application/json"]["schema"]
    return body["$ref"].rsplit("/", 1)[1]


def test_each_endpoint_has_its_own_components(schema):
    assert response_ref(schema, "/api/v1/me/") == "MeOutput"
    assert response_ref(schema, "/api/v1/integrations/") == "IntegrationListOutput"
    assert response_ref(schema, "/api/v1/integrations/qoyod/accounts/") == (
        "PaginatedQoyodAccountListOutputList"
    )
    assert response_ref(schema, "/api/v1/accounting/transactions/bulk-assign/", "post") == (
        "BulkAssignOutput"
    )
    assert request_ref(schema, "/api/v1/integrations/qoyod/consent/") == "QoyodConsentInputRequest"
    assert request_ref(schema, "/api/v1/integrations/qoyod/connect/") == "QoyodConnectInputRequest"
    assert request_ref(schema, "/api/v1/integrations/qoyod/sync/") == "QoyodSyncInputRequest"
    assert request_ref(schema, "/api/v1/accounting/transactions/bulk-assign/") == (
        "BulkAssignInputRequest"
    )
    assert request_ref(schema, "/api/v1/accounting/sync-runs/") == "SyncRunListInputRequest"
    # Odoo's endpoints: the same shapes, their own components.
    assert request_ref(schema, "/api/v1/integrations/odoo/connect/") == "OdooConnectInputRequest"
    assert request_ref(schema, "/api/v1/integrations/odoo/consent/") == "OdooConsentInputRequest"
    # Odoo has options of its own (its tax codes): its connection has its own component.
    assert response_ref(schema, "/api/v1/integrations/odoo/") == "OdooConnectionOutput"
    assert response_ref(schema, "/api/v1/integrations/odoo/accounts/") == (
        "PaginatedOdooAccountListOutputList"
    )


def test_service_tokens_and_user_tokens_are_two_security_schemes(schema):
    assert {"tokenAuth", "serviceTokenAuth", "cookieAuth"} <= set(
        schema["components"]["securitySchemes"]
    )


def test_available_attributes_are_a_list_of_objects(schema):
    connection = schema["components"]["schemas"]["ConnectionOutput"]["properties"]
    assert connection["available_attributes"]["type"] == "array"
    item = schema["components"]["schemas"]["AvailableAttributeOutput"]["properties"]
    assert item["mandatory"]["type"] == "boolean"
    assert connection["scopes"]["type"] == "array"


@pytest.mark.parametrize(
    ("component", "field"),
    [
        ("ConnectionOutput", "consented_by"),
        ("ConnectionOutput", "source_account"),
        ("ConnectionOutput", "source_account_name"),
        ("TransactionOutput", "employee"),
        ("TransactionOutput", "budget"),
        ("TransactionOutput", "card"),
        ("TransactionOutput", "account"),
        ("TransactionOutput", "account_label"),
        ("TransactionOutput", "vat_amount"),
        ("SyncRunOutput", "started_by"),
    ],
)
def test_fields_that_can_be_null_say_so(schema, component, field):
    assert schema["components"]["schemas"][component]["properties"][field].get("nullable") is True
