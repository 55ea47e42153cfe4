"""Wafeq as respx plays it: rows shaped as Wafeq's OpenAPI document describes them
(providers-api.md §3), a client on a fake base URL, and waits recorded instead of slept."""

from typing import Any

import pytest
import respx

from integrations.providers.wafeq.client import WafeqClient

WAFEQ = "https://wafeq.test/v1"
API_KEY = "wafeq_live_5b1e9c0d7a3f4e2b"


def account_row(id_: str, code: str, name: str, **fields: Any) -> dict[str, Any]:
    return {
        "id": id_,
        "account_code": code,
        "name_en": name,
        "name_ar": fields.pop("name_ar", ""),
        "classification": fields.pop("classification", "EXPENSE"),
        "sub_classification": fields.pop("sub_classification", "OPERATING_EXPENSE"),
        "account_type": fields.pop("account_type", "GENERAL_AND_ADMINISTRATIVE_EXPENSES"),
        "parent": fields.pop("parent", None),
        "is_posting": fields.pop("is_posting", True),
        "is_payment_enabled": fields.pop("is_payment_enabled", False),
        "is_system": fields.pop("is_system", False),
        "is_locked": False,
        "external_id": "",
        "created_ts": "2025-01-01T08:00:00Z",
        "modified_ts": "2025-01-01T08:00:00Z",
        "legacy_id": "",
        **fields,
    }


def page(results: list[dict[str, Any]], *, count: int | None = None, next_page: int | None = None):
    return {
        "count": len(results) if count is None else count,
        "next": f"{WAFEQ}/accounts/?page={next_page}" if next_page else None,
        "previous": None,
        "results": results,
    }


def expense_row(id_: str = "exp_7Kq2", **fields: Any) -> dict[str, Any]:
    return {
        "id": id_,
        "status": fields.pop("status", "DRAFT"),
        "account": fields.pop("account", "acc_travel"),
        "paid_through_account": fields.pop("paid_through_account", "acc_wallet"),
        "amount": fields.pop("amount", 115.0),
        "currency": "SAR",
        "date": fields.pop("date", "2025-03-14"),
        "description": "Card expense · Jarir Bookstore",
        "reference": fields.pop("reference", "SIFI-TX-1"),
        "external_id": fields.pop("external_id", "SIFI-TX-1"),
        "tax_amount_type": "TAX_INCLUSIVE",
        "tax_rate": fields.pop("tax_rate", None),
        "attachments": fields.pop("attachments", []),
        "created_ts": fields.pop("created_ts", "2025-03-14T09:00:00Z"),
        **fields,
    }


def journal_row(id_: str = "jou_3Zp9", **fields: Any) -> dict[str, Any]:
    return {
        "id": id_,
        "serial_number": "MJ-0001",
        "date": fields.pop("date", "2025-03-15"),
        "reference": fields.pop("reference", "SIFI-TX-2"),
        "external_id": fields.pop("external_id", "SIFI-TX-2"),
        "notes": "Refund",
        "attachments": [],
        "line_items": fields.pop(
            "line_items",
            [
                {
                    "id": "jli_1",
                    "account": "acc_wallet",
                    "amount": 50.0,
                    "amount_to_bcy": 50.0,
                    "currency": "SAR",
                    "description": "Refund",
                },
                {
                    "id": "jli_2",
                    "account": "acc_travel",
                    "amount": -50.0,
                    "amount_to_bcy": -50.0,
                    "currency": "SAR",
                    "description": "Refund",
                },
            ],
        ),
        "created_ts": fields.pop("created_ts", "2025-03-15T09:00:00Z"),
        **fields,
    }


@pytest.fixture
def wafeq():
    with respx.mock(base_url=WAFEQ, assert_all_called=False) as mock:
        yield mock


@pytest.fixture
def client():
    with WafeqClient(API_KEY, base_url=WAFEQ, max_retries=2, retry_base_seconds=0.01) as c:
        yield c


@pytest.fixture
def no_sleep(monkeypatch):
    """Record the waits the client asks for instead of sleeping them."""
    waits: list[float] = []
    monkeypatch.setattr("integrations.http_client.time.sleep", waits.append)
    return waits
