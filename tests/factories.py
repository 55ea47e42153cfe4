"""Small factories for tests: real rows in real PostgreSQL, no mocks of our own code."""

import itertools
from typing import TYPE_CHECKING

from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounting.models import Account
from sifi.models import Organization, Role, User

if TYPE_CHECKING:
    from accounting.models import Transaction

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
        "provider": "qoyod",
        "external_id": str(10_000 + n),
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


def make_transaction(organization: Organization, **fields) -> "Transaction":
    """An unverified card expense unless told otherwise."""
    import datetime
    from decimal import Decimal

    from django.utils import timezone

    from accounting.models import Transaction, direction_of

    n = next(_seq)
    occurred_at = fields.pop("occurred_at", timezone.now() - datetime.timedelta(minutes=n))
    values = {
        "reference": f"SIFI-TXN-{n:06d}",
        "type": "card_expense",
        "amount": Decimal("125.50"),
        "currency": "SAR",
        "merchant": f"Merchant {n}",
        "occurred_at": occurred_at,
        "transaction_date": timezone.localdate(occurred_at),
    }
    values.update(fields)
    values.setdefault("direction", direction_of(values["type"]))
    return Transaction.objects.create(organization=organization, **values)


def set_source_account(organization: Organization, account: Account | None = None) -> Account:
    """A connected integration (the account's provider: Qoyod unless said) whose Source Account
    is `account` (created if None)."""
    from integrations.models import ConnectionStatus, Integration

    source = account or make_account(
        organization, code="110101", name_en="Al Rajhi Bank - SiFi Wallet", type="Asset"
    )
    Integration.objects.update_or_create(
        organization=organization,
        provider=source.provider,
        defaults={"status": ConnectionStatus.CONNECTED, "source_account": source},
    )
    return source


def a_pdf(text: str = "Receipt") -> bytes:
    """A real one-page PDF (it parses), as a receipt would be."""
    import io

    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    writer.add_metadata({"/Title": text})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def an_image(fmt: str = "PNG", color: str = "grey") -> bytes:
    """A real small image (PNG or JPEG) that decodes, like a photographed receipt."""
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (8, 8), color).save(out, format=fmt)
    return out.getvalue()
