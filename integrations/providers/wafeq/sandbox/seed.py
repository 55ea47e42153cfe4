"""The sandbox's demo organization: Saudi books (SAR) shaped as Wafeq keeps them: headings that
take no entries (`is_posting` false), payment-enabled accounts (what an expense may be paid
through), system accounts, English and Arabic names, and Wafeq's usual tax rates."""

from typing import Any

DEMO_KEY = "wafeq-sandbox-key"
DEMO_ORGANIZATION = "org_SiFiDemo01"
DEMO_NAME = "Wafeq Demo Co."
DEMO_CURRENCY = "SAR"
INPUT_VAT_RATE = "tax_InputVat15"

# id, code, English, Arabic, classification, sub_classification, account_type, parent,
# is_posting, is_payment_enabled, is_system
Row = tuple[str, str, str, str, str, str, str, str | None, bool, bool, bool]
ACCOUNTS: list[Row] = [
    (
        "acc_1000",
        "1000",
        "Assets",
        "الأصول",
        "ASSET",
        "CURRENT_ASSET",
        "CURRENT_ASSETS",
        None,
        False,
        False,
        True,
    ),
    (
        "acc_1100",
        "1100",
        "Cash and Cash Equivalents",
        "النقد وما في حكمه",
        "ASSET",
        "CASH_EQUIVALENTS",
        "CASH_EQUIVALENTS",
        "acc_1000",
        False,
        False,
        True,
    ),
    (
        "acc_1101",
        "1101",
        "Al Rajhi Bank - SiFi Wallet",
        "مصرف الراجحي - محفظة سيفي",
        "ASSET",
        "CASH_EQUIVALENTS",
        "CASH_EQUIVALENTS",
        "acc_1100",
        True,
        True,
        False,
    ),
    (
        "acc_1102",
        "1102",
        "Petty Cash",
        "الصندوق النثري",
        "ASSET",
        "CASH_EQUIVALENTS",
        "CASH_EQUIVALENTS",
        "acc_1100",
        True,
        True,
        False,
    ),
    (
        "acc_1201",
        "1201",
        "Employees Balance",
        "أرصدة الموظفين",
        "ASSET",
        "CURRENT_ASSET",
        "EMPLOYEE_ADVANCE",
        "acc_1000",
        True,
        True,
        False,
    ),
    (
        "acc_1301",
        "1301",
        "Prepaid Expenses",
        "مصروفات مدفوعة مقدماً",
        "ASSET",
        "CURRENT_ASSET",
        "PREPAID_EXPENSES",
        "acc_1000",
        True,
        False,
        False,
    ),
    (
        "acc_1401",
        "1401",
        "VAT Receivable",
        "ضريبة القيمة المضافة المستردة",
        "ASSET",
        "CURRENT_ASSET",
        "VAT",
        "acc_1000",
        True,
        False,
        True,
    ),
    (
        "acc_2101",
        "2101",
        "Accounts Payable",
        "الذمم الدائنة",
        "LIABILITY",
        "CURRENT_LIABILITY",
        "ACCOUNTS_PAYABLE",
        None,
        True,
        False,
        True,
    ),
    (
        "acc_2201",
        "2201",
        "VAT Payable",
        "ضريبة القيمة المضافة المستحقة",
        "LIABILITY",
        "CURRENT_LIABILITY",
        "VAT",
        None,
        True,
        False,
        True,
    ),
    (
        "acc_3101",
        "3101",
        "Owner's Equity",
        "حقوق الملكية",
        "EQUITY",
        "EQUITY",
        "EQUITY",
        None,
        True,
        False,
        False,
    ),
    (
        "acc_4101",
        "4101",
        "Sales",
        "المبيعات",
        "REVENUE",
        "INCOME",
        "SALES",
        None,
        True,
        False,
        False,
    ),
    (
        "acc_5000",
        "5000",
        "Operating Expenses",
        "المصروفات التشغيلية",
        "EXPENSE",
        "OPERATING_EXPENSE",
        "GENERAL_AND_ADMINISTRATIVE_EXPENSES",
        None,
        False,
        False,
        False,
    ),
    (
        "acc_5101",
        "5101",
        "Marketing Expenses",
        "مصروفات التسويق",
        "EXPENSE",
        "OPERATING_EXPENSE",
        "MARKETING_EXPENSES",
        "acc_5000",
        True,
        False,
        False,
    ),
    (
        "acc_5102",
        "5102",
        "Travel",
        "السفر",
        "EXPENSE",
        "OPERATING_EXPENSE",
        "TRAVEL_EXPENSES",
        "acc_5000",
        True,
        False,
        False,
    ),
    (
        "acc_5103",
        "5103",
        "Office Supplies",
        "اللوازم المكتبية",
        "EXPENSE",
        "OPERATING_EXPENSE",
        "GENERAL_AND_ADMINISTRATIVE_EXPENSES",
        "acc_5000",
        True,
        False,
        False,
    ),
    (
        "acc_5104",
        "5104",
        "Software Subscriptions",
        "اشتراكات البرمجيات",
        "EXPENSE",
        "OPERATING_EXPENSE",
        "GENERAL_AND_ADMINISTRATIVE_EXPENSES",
        "acc_5000",
        True,
        False,
        False,
    ),
    (
        "acc_5105",
        "5105",
        "Meals and Entertainment",
        "الوجبات والضيافة",
        "EXPENSE",
        "OPERATING_EXPENSE",
        "GENERAL_AND_ADMINISTRATIVE_EXPENSES",
        "acc_5000",
        True,
        False,
        False,
    ),
    (
        "acc_5106",
        "5106",
        "Fuel and Transport",
        "الوقود والمواصلات",
        "EXPENSE",
        "OPERATING_EXPENSE",
        "GENERAL_AND_ADMINISTRATIVE_EXPENSES",
        "acc_5000",
        True,
        False,
        False,
    ),
]

# id, English name, rate (a percentage string, as Wafeq sends it)
TAX_RATES: list[tuple[str, str, str]] = [
    (INPUT_VAT_RATE, "VAT 15% (purchases)", "15.00"),
    ("tax_OutputVat15", "VAT 15% (sales)", "15.00"),
    ("tax_ZeroRated0", "Zero-rated", "0.00"),
    ("tax_Exempt0", "Exempt", "0.00"),
]

CREATED = "2025-01-01T08:00:00Z"


def organization(org_id: str, name: str, currency: str) -> dict[str, Any]:
    return {
        "id": org_id,
        "name": {"en": name, "ar": ""},
        "financial_settings": {
            "base_currency": currency,
            "country": "SA",
            "tax_registration_number": "300000000000003",
        },
        "branches": [],
        "users": [],
        "created_ts": CREATED,
        "modified_ts": CREATED,
        "legacy_id": "",
    }


def account_row(row: Row) -> dict[str, Any]:
    id_, code, en, ar, classification, sub, kind, parent, posting, payment, system = row
    return {
        "id": id_,
        "account_code": code,
        "name_en": en,
        "name_ar": ar,
        "classification": classification,
        "sub_classification": sub,
        "account_type": kind,
        "parent": parent,
        "is_posting": posting,
        "is_payment_enabled": payment,
        "is_system": system,
        "is_locked": system,
        "external_id": "",
        "created_ts": CREATED,
        "modified_ts": CREATED,
        "legacy_id": "",
    }


def demo_accounts() -> list[dict[str, Any]]:
    return [account_row(row) for row in ACCOUNTS]


def generated_accounts(count: int) -> list[dict[str, Any]]:
    """A large chart (benchmarks): the demo one and `count` more expense accounts."""
    extra = [
        account_row(
            (
                f"acc_9{n:05d}",
                f"9{n:05d}",
                f"Expense {n}",
                "",
                "EXPENSE",
                "OPERATING_EXPENSE",
                "GENERAL_AND_ADMINISTRATIVE_EXPENSES",
                "acc_5000",
                True,
                False,
                False,
            )
        )
        for n in range(count)
    ]
    return [*demo_accounts(), *extra]


def tax_rate_rows() -> list[dict[str, Any]]:
    return [
        {"id": id_, "name": name, "rate": rate, "created_ts": CREATED, "modified_ts": CREATED}
        for id_, name, rate in TAX_RATES
    ]
