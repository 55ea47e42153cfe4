"""The sandbox's demo Zoho user and organization: one organization keeping Saudi books in
SAR, its chart of accounts as Zoho lists it (more than one page of 200, a few accounts
without a code as Zoho's own system accounts are, a few inactive ones, names in English or
in Arabic: Zoho keeps one name per account), and a refresh token already granted to SiFi's
sandbox client, so the demo can connect without a browser."""

from typing import Any

CLIENT_ID = "sifi-sandbox-client"
CLIENT_SECRET = "sifi-sandbox-secret"
DEMO_USER = "demo@zoho-sandbox.sa"
DEMO_ORGANIZATION_ID = "10234695"
DEMO_ORGANIZATION = "Zoho Demo Co."
# A grant made once for the demo (what the consent page gives is random).
DEMO_REFRESH_TOKEN = "1000.sandbox-demo-refresh-token"
LOCATION = "sa"
SCOPES = (
    "ZohoBooks.accountants.READ,ZohoBooks.accountants.CREATE,"
    "ZohoBooks.accountants.UPDATE,ZohoBooks.settings.READ"
)

ACCOUNT_ID_BASE = 460_000_000_010_000  # Zoho's ids: 15 digits, strings on the wire
FILLER_ACCOUNTS = 190  # cost centres, so the chart takes two pages of 200


def account_id(number: int) -> str:
    return str(ACCOUNT_ID_BASE + number)


TAX_ID_BASE = 460_000_000_050_000


def tax_id(number: int) -> str:
    return str(TAX_ID_BASE + number)


# A Saudi organization's taxes (`GET /settings/taxes`): number, name, percentage.
TAXES: list[tuple[int, str, str]] = [
    (1, "VAT 15%", "15"),
    (2, "Reverse Charge VAT 15%", "15"),
    (3, "Zero Rated", "0"),
]
INPUT_TAX = tax_id(1)
REVERSE_CHARGE_TAX = tax_id(2)


def tax_rows() -> list[dict[str, Any]]:
    return [
        {
            "tax_id": tax_id(number),
            "tax_name": name,
            "tax_percentage": float(percentage),
            "tax_type": "tax",
            "is_value_added": True,
        }
        for number, name, percentage in TAXES
    ]


# number, code ("" = none, as Zoho's system accounts), name, account_type, parent number, active
ACCOUNTS: list[tuple[int, str, str, str, int | None, bool]] = [
    (1, "1100", "Cash and Banks", "bank", None, True),
    (2, "110101", "Al Rajhi Bank - SiFi Wallet", "bank", 1, True),
    (3, "110102", "Saudi National Bank", "bank", 1, True),
    (4, "110201", "Petty Cash", "cash", 1, True),
    (5, "", "Undeposited Funds", "cash", None, True),
    (6, "", "Accounts Receivable", "accounts_receivable", None, True),
    (7, "1103", "Employee Advances", "other_current_asset", None, True),
    (8, "1104", "Input VAT", "other_current_asset", None, True),
    (9, "1105", "Prepaid Expenses", "other_current_asset", None, True),
    (10, "1201", "Computers and Equipment", "fixed_asset", None, True),
    (11, "1202", "أثاث ومفروشات", "fixed_asset", None, True),
    (12, "", "Accounts Payable", "accounts_payable", None, True),
    (13, "2102", "Output VAT", "other_current_liability", None, True),
    (14, "2103", "Corporate Card Payable", "credit_card", None, True),
    (15, "2201", "End of Service Benefits", "long_term_liability", None, True),
    (16, "3101", "Owner's Equity", "equity", None, True),
    (17, "", "Retained Earnings", "equity", None, True),
    (18, "4101", "Sales", "income", None, True),
    (19, "4201", "Other Income", "other_income", None, True),
    (20, "5101", "Office Supplies", "expense", None, True),
    (21, "5102", "إيجار المكتب", "expense", None, True),
    (22, "5103", "Utilities", "expense", None, True),
    (23, "5104", "Software Subscriptions", "expense", None, True),
    (24, "5201", "Marketing Expenses", "expense", None, True),
    (25, "5202", "Advertising", "expense", 24, True),
    (26, "5301", "Travel Expenses", "expense", None, True),
    (27, "5302", "مصاريف الضيافة", "expense", 26, True),
    (28, "5303", "Fuel", "expense", 26, True),
    (29, "5401", "Bank Charges", "other_expense", None, True),
    (30, "5501", "Cost of Goods Sold", "cost_of_goods_sold", None, True),
    (31, "5999", "Old Travel Expenses", "expense", None, False),
    (32, "5998", "مصروفات متوقفة", "expense", None, False),
]
WALLET = account_id(2)
INPUT_VAT = account_id(8)
MARKETING = account_id(24)
INACTIVE = account_id(31)


def _row(number: int, code: str, name: str, account_type: str, parent: int | None, active: bool):
    return {
        "account_id": account_id(number),
        "account_name": name,
        "account_code": code or None,
        "account_type": account_type,
        "is_active": active,
        "is_user_created": bool(code),
        "is_system_account": not code,
        "parent_account_id": account_id(parent) if parent else "",
        "currency_code": "SAR",
        "description": "",
    }


def demo_chart() -> list[dict[str, Any]]:
    """The demo organization's chart: the accounts above and cost centres after them."""
    rows = [_row(*account) for account in ACCOUNTS]
    rows += generated_chart(FILLER_ACCOUNTS, first=1000)
    return rows


def generated_chart(count: int, *, first: int = 1000) -> list[dict[str, Any]]:
    """`count` expense accounts (a big organization's cost centres), codes 6xxxxx."""
    return [
        _row(first + n, f"6{n:05d}", f"Cost centre {n:05d}", "expense", None, True)
        for n in range(count)
    ]


def organization(organization_id: str, name: str, currency_code: str) -> dict[str, Any]:
    """An organization as `GET /organizations` lists it."""
    return {
        "organization_id": organization_id,
        "name": name,
        "contact_name": "SiFi Sandbox",
        "email": DEMO_USER,
        "is_default_org": False,
        "plan_type": 0,
        "plan_name": "Free",
        "language_code": "en",
        "time_zone": "Asia/Riyadh",
        "is_org_active": True,
        "currency_id": f"{organization_id}000001",
        "currency_code": currency_code,
        "currency_symbol": {"SAR": "SR"}.get(currency_code, currency_code),
        "price_precision": 2,
    }
