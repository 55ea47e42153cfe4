"""Small factories for tests: real rows in real PostgreSQL, no mocks of our own code."""

import itertools

from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounting.models import Account
from sifi.models import Organization, Role, User

_seq = itertools.count(1)
PASSWORD = "a-strong-test-password"


def make_org(name: str | None = None) -> Organization:
    return Organization.objects.create(name=name or f"Org {next(_seq)}")


def make_user(organization: Organization | None, role: str = Role.ADMIN, **fields) -> User:
    username = fields.pop("username", f"{role}-{next(_seq)}")
    user = User.objects.create_user(
        username=username, password=PASSWORD, organization=organization, role=role, **fields
    )
    return user


def make_account(organization: Organization, **fields) -> Account:
    n = next(_seq)
    defaults = {
        "qoyod_id": 10_000 + n,
        "code": f"5{n:04d}",
        "name_en": f"Expense account {n}",
        "name_ar": f"حساب مصروفات {n}",
        "type": "Expense",
    }
    defaults.update(fields)
    return Account.objects.create(organization=organization, **defaults)


def api_client_for(user: User | None, *, token: bool = True) -> APIClient:
    """An API client authenticated like a script (token) or a browser (session)."""
    client = APIClient()
    if user is None:
        return client
    if token:
        key, _ = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {key.key}")
    else:
        client.force_login(user)
    return client
