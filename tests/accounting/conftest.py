import pytest

from sifi.models import Role
from tests.factories import api_client_for, make_account, set_source_account


@pytest.fixture
def source_a(org_a):
    return set_source_account(org_a)


@pytest.fixture
def marketing_a(org_a):
    return make_account(org_a, code="5201", name_en="Marketing Expenses", name_ar="مصاريف تسويق")


@pytest.fixture
def accountant_api(users_a):
    return api_client_for(users_a[Role.ACCOUNTANT])
