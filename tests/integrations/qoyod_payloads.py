"""Qoyod-shaped JSON bodies for respx tests (shapes from shared/qoyod-api.md)."""

from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import respx

QOYOD = "https://api.qoyod.com/2.0"


def account_row(
    id: int, code: str, name_en: str, name_ar: str = "", type: str = "Expense", **extra
) -> dict:
    row = {
        "id": id,
        "code": code,
        "name_en": name_en,
        "name_ar": name_ar or f"حساب {name_en}",
        "type": type,
        "group_type": extra.pop("group_type", ""),
        "status": extra.pop("status", "Active"),
        "recieve_payments": extra.pop("recieve_payments", "false"),
    }
    row.update(extra)
    return row


def small_chart() -> list[dict]:
    return [
        account_row(1, "1", "Assets", "الأصول", "Asset"),
        account_row(2, "11", "Cash and banks", "النقدية والبنوك", "Asset"),
        account_row(3, "1101", "Al Rajhi Bank", "مصرف الراجحي", "Bank", recieve_payments="true"),
        account_row(4, "5", "Expenses", "المصروفات"),
        account_row(5, "51", "Operating expenses", "مصروفات تشغيلية"),
        account_row(6, "5101", "Marketing Expenses", "مصاريف تسويق"),
        account_row(7, "5102", "Travel Expenses", "مصاريف سفر"),
        account_row(8, "5103", "Office Supplies", "مستلزمات مكتبية"),
    ]


def accounts_body(rows: list[dict]) -> dict:
    return {"accounts": rows}


def vendors_body() -> dict:
    return {
        "vendors": [
            {
                "id": 71,
                "name": "Jarir Bookstore",
                "status": "Active",
                "tax_number": "300000000000003",
            },
            {"id": 72, "name": "مطعم البيك", "status": "Active", "tax_number": ""},
        ]
    }


@contextmanager
def qoyod_accepting(good_key: str) -> Iterator[respx.MockRouter]:
    """Qoyod mocked at the HTTP layer: `GET /accounts` answers the small chart for
    `good_key` and 401 for any other key."""
    with respx.mock(base_url=QOYOD, assert_all_called=False) as mock:

        def accounts(request: httpx.Request) -> httpx.Response:
            if request.headers.get("API-KEY") == good_key:
                return httpx.Response(200, json=accounts_body(small_chart()))
            return httpx.Response(401, json={"message": "unauthorized"})

        mock.get("/accounts").mock(side_effect=accounts)
        yield mock
