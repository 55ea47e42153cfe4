"""SPEC §1: the role matrix, tenant isolation and anonymous refusal on the endpoints that exist."""

import pytest

from integrations.models import Job
from sifi.models import Role
from tests.factories import api_client_for, make_account

READ_INTEGRATIONS = [
    "/api/v1/integrations/",
    "/api/v1/integrations/qoyod/",
    "/api/v1/integrations/qoyod/accounts/",
]

EXPECTED_READ_STATUS = {
    Role.ADMIN: 200,
    Role.FINANCE_MANAGER: 200,
    Role.ACCOUNTANT: 200,
    Role.EMPLOYEE: 403,
}


@pytest.mark.parametrize("path", READ_INTEGRATIONS)
@pytest.mark.parametrize("role", Role.values)
def test_integration_status_is_readable_by_finance_roles_only(users_a, role, path):
    response = api_client_for(users_a[role]).get(path)
    assert response.status_code == EXPECTED_READ_STATUS[role], response.content


@pytest.mark.parametrize("role", Role.values)
def test_job_progress_follows_the_role_matrix(users_a, org_a, role):
    job = Job.objects.create(organization=org_a, kind="config_sync", total=10, done=3)
    response = api_client_for(users_a[role]).get(f"/api/v1/jobs/{job.pk}/")
    assert response.status_code == EXPECTED_READ_STATUS[role]
    if response.status_code == 200:
        assert response.json()["done"] == 3
        assert response.json()["total"] == 10


@pytest.mark.parametrize("role", Role.values)
@pytest.mark.parametrize(
    ("page", "allowed"),
    [
        ("/settings/integrations/", {Role.ADMIN, Role.FINANCE_MANAGER, Role.ACCOUNTANT}),
        ("/accounting/", {Role.ADMIN, Role.FINANCE_MANAGER, Role.ACCOUNTANT}),
    ],
)
def test_pages_follow_the_role_matrix(users_a, role, page, allowed, client):
    client.force_login(users_a[role])
    response = client.get(page)
    assert response.status_code == (200 if role in allowed else 403)


def test_employee_sidebar_has_no_accounting(users_a, client):
    client.force_login(users_a[Role.EMPLOYEE])
    response = client.get("/", follow=True)
    assert response.status_code == 200
    assert b'href="/accounting/"' not in response.content
    client.force_login(users_a[Role.ACCOUNTANT])
    response = client.get("/", follow=True)
    assert b'href="/accounting/"' in response.content


@pytest.mark.parametrize("path", [*READ_INTEGRATIONS, "/api/v1/jobs/1/", "/api/v1/me/"])
def test_anonymous_api_requests_get_401(db, path):
    response = api_client_for(None).get(path)
    assert response.status_code == 401
    assert "detail" in response.json()


@pytest.mark.parametrize("page", ["/", "/settings/integrations/", "/accounting/"])
def test_anonymous_pages_redirect_to_login(db, client, page):
    response = client.get(page)
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_other_organizations_job_is_404(org_a, admin_b):
    job = Job.objects.create(organization=org_a, kind="config_sync")
    response = api_client_for(admin_b).get(f"/api/v1/jobs/{job.pk}/")
    assert response.status_code == 404


def test_other_organizations_accounts_are_invisible(org_a, org_b, admin_a, admin_b):
    mine = make_account(org_a, name_en="Marketing Expenses")
    theirs = make_account(org_b, name_en="Marketing Expenses")
    rows = api_client_for(admin_a).get("/api/v1/integrations/qoyod/accounts/").json()["results"]
    assert [row["id"] for row in rows] == [mine.pk]
    rows = api_client_for(admin_b).get("/api/v1/integrations/qoyod/accounts/").json()["results"]
    assert [row["id"] for row in rows] == [theirs.pk]


def test_accounts_search_by_code_english_and_arabic(org_a, admin_a):
    marketing = make_account(
        org_a, code="5101", name_en="Marketing Expenses", name_ar="مصاريف تسويق"
    )
    make_account(org_a, code="5201", name_en="Rent", name_ar="إيجار")
    client = api_client_for(admin_a)
    for term in ["5101", "marketing", "تسويق"]:
        rows = client.get("/api/v1/integrations/qoyod/accounts/", {"search": term}).json()
        assert [row["id"] for row in rows["results"]] == [marketing.pk], term


def test_user_without_organization_is_refused(db, client_for):
    from tests.factories import make_user

    staff = make_user(None, Role.ADMIN, is_staff=True)
    assert client_for(staff).get("/api/v1/integrations/").status_code == 403
