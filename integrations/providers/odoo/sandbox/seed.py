"""The sandbox's demo database: an Odoo 17 company keeping Saudi books (SAR), with account
groups as headings, English and Arabic names (Arabic installed as ar_001, not on every
account), a deprecated and an off-balance account, and the usual journals."""

from typing import Any

DEMO_DATABASE = "demo"
DEMO_LOGIN = "sifi@demo.sa"
DEMO_KEY = "odoo-sandbox-key"
DEMO_COMPANY = "Second Org"
SAR = (148, "SAR")

# id, name, code_prefix_start, parent id
GROUPS: list[tuple[int, str, str, int | None]] = [
    (1, "Assets", "1", None),
    (2, "Current Assets", "11", 1),
    (3, "Non-current Assets", "12", 1),
    (4, "Liabilities", "2", None),
    (5, "Current Liabilities", "21", 4),
    (6, "Equity", "3", None),
    (7, "Income", "4", None),
    (8, "Expenses", "5", None),
    (9, "Operating Expenses", "51", 8),
    (10, "Selling and Marketing", "52", 8),
    (11, "Travel and Transport", "53", 8),
    (12, "Off-balance", "9", None),  # holds no account of ours: not a heading for us
]
GROUP_ARABIC = {
    1: "الأصول",
    2: "الأصول المتداولة",
    3: "الأصول غير المتداولة",
    4: "الخصوم",
    5: "الخصوم المتداولة",
    6: "حقوق الملكية",
    7: "الإيرادات",
    8: "المصروفات",
    9: "المصروفات التشغيلية",
    10: "مصروفات البيع والتسويق",
    11: "السفر والتنقل",
}

# id, code, English, Arabic ("" = no translation), account_type, group, deprecated
ACCOUNTS: list[tuple[int, str, str, str, str, int | None, bool]] = [
    (
        1001,
        "111001",
        "Al Rajhi Bank - SiFi Wallet",
        "مصرف الراجحي - محفظة سيفي",
        "asset_cash",
        2,
        False,
    ),
    (1002, "111002", "Saudi National Bank", "البنك الأهلي السعودي", "asset_cash", 2, False),
    (1003, "111003", "Petty Cash", "الصندوق النثري", "asset_cash", 2, False),
    (1004, "112001", "Trade Receivables", "ذمم العملاء", "asset_receivable", 2, False),
    (1005, "112002", "Employee Advances", "سلف الموظفين", "asset_current", 2, False),
    (1006, "113001", "Prepaid Expenses", "المصروفات المدفوعة مقدماً", "asset_prepayments", 2, False),
    (1007, "114001", "VAT Input", "ضريبة القيمة المضافة - مدخلات", "asset_current", 2, False),
    (1008, "121001", "Computers and Equipment", "أجهزة الحاسب والمعدات", "asset_fixed", 3, False),
    (1009, "121002", "Furniture", "الأثاث", "asset_fixed", 3, False),
    (1010, "121003", "Vehicles", "السيارات", "asset_fixed", 3, False),
    (1011, "211001", "Trade Payables", "ذمم الموردين", "liability_payable", 5, False),
    (1012, "211002", "VAT Output", "ضريبة القيمة المضافة - مخرجات", "liability_current", 5, False),
    (1013, "211003", "Accrued Salaries", "رواتب مستحقة", "liability_current", 5, False),
    (
        1014,
        "211004",
        "Employee Reimbursements Payable",
        "مستحقات الموظفين",
        "liability_current",
        5,
        False,
    ),
    (1015, "311001", "Share Capital", "رأس المال", "equity", 6, False),
    (1016, "311002", "Retained Earnings", "الأرباح المبقاة", "equity_unaffected", 6, False),
    (1017, "411001", "Sales", "المبيعات", "income", 7, False),
    (1018, "411002", "Card Refunds and Rebates", "استردادات البطاقات", "income_other", 7, False),
    (1019, "511001", "Salaries and Wages", "الرواتب والأجور", "expense", 9, False),
    (1020, "511002", "Rent", "الإيجار", "expense", 9, False),
    (1021, "511003", "Utilities", "المرافق", "expense", 9, False),
    (1022, "511004", "Office Supplies", "مستلزمات مكتبية", "expense", 9, False),
    (1023, "511005", "Software Subscriptions", "اشتراكات البرمجيات", "expense", 9, False),
    (1024, "511006", "Telecommunications", "الاتصالات", "expense", 9, False),
    (1025, "511007", "Employee Reimbursements", "تعويضات الموظفين", "expense", 9, False),
    (1026, "521001", "Marketing Expenses", "مصاريف تسويق", "expense", 10, False),
    (1027, "521002", "Advertising", "الإعلان", "expense", 10, False),
    (1028, "521003", "Events and Exhibitions", "", "expense", 10, False),
    (1029, "531001", "Travel Expenses", "مصاريف السفر", "expense", 11, False),
    (1030, "531002", "Fuel & Transportation", "الوقود والمواصلات", "expense", 11, False),
    (1031, "531003", "Meals & Entertainment", "الوجبات والضيافة", "expense", 11, False),
    (1032, "531004", "Hotels", "الفنادق", "expense", 11, False),
    (1033, "541001", "Bank and Card Fees", "رسوم البنوك والبطاقات", "expense", 8, False),
    (1034, "511099", "Old Office Expenses", "مصروفات مكتبية قديمة", "expense", 9, True),
    (1035, "999001", "Guarantees Given", "ضمانات مقدمة", "off_balance", None, False),
]

# id, code, name, type, sequence
JOURNALS: list[tuple[int, str, str, str, int]] = [
    (1, "INV", "Customer Invoices", "sale", 5),
    (2, "BILL", "Vendor Bills", "purchase", 6),
    (3, "EXCH", "Exchange Difference", "general", 8),
    (4, "MISC", "Miscellaneous Operations", "general", 9),
    (5, "BNK1", "Bank", "bank", 10),
    (6, "CABA", "Cash Basis Taxes", "general", 11),
]

LANGUAGES = [("en_US", "English (US)"), ("ar_001", "Arabic / العربية")]


def _group_internal(account_type: str) -> str:
    prefix = account_type.split("_", 1)[0]
    return {
        "asset": "asset",
        "liability": "liability",
        "equity": "equity",
        "income": "income",
        "expense": "expense",
        "off": "off_balance",
    }.get(prefix, "")


def account(
    id: int,
    code: str,
    name_en: str,
    name_ar: str = "",
    account_type: str = "expense",
    group_id: int | None = None,
    deprecated: bool = False,
) -> dict[str, Any]:
    names = {"en_US": name_en, **({"ar_001": name_ar} if name_ar else {})}
    return {
        "id": id,
        "code": code,
        "name": names,
        "account_type": account_type,
        "internal_group": _group_internal(account_type),
        "group_id": group_id,
        "deprecated": deprecated,
        "company_id": 1,
    }


def demo_accounts() -> list[dict[str, Any]]:
    return [account(*row) for row in ACCOUNTS]


def demo_groups() -> list[dict[str, Any]]:
    return [
        {
            "id": id,
            "name": {"en_US": name, **({"ar_001": GROUP_ARABIC[id]} if id in GROUP_ARABIC else {})},
            "code_prefix_start": prefix,
            "code_prefix_end": prefix,
            "parent_id": parent,
            "company_id": 1,
        }
        for id, name, prefix, parent in GROUPS
    ]


def generated_accounts(count: int) -> list[dict[str, Any]]:
    """A chart of `count` accounts: the wallet and VAT input accounts of the demo chart (same
    ids), then expense accounts under the operating expenses group."""
    keep = [row for row in demo_accounts() if row["id"] in (1001, 1007, 1026)]
    extra = [
        account(2000 + n, f"59{n:04d}", f"Expense {n}", f"مصروف {n}", "expense", 9)
        for n in range(max(0, count - len(keep)))
    ]
    return keep + extra


# id, name, percentage, use: a Saudi company's usual taxes.
TAXES: list[tuple[int, str, float, str]] = [
    (1, "15%", 15.0, "sale"),
    (2, "15%", 15.0, "purchase"),
    (3, "Reverse charge 15%", 15.0, "purchase"),
    (4, "0%", 0.0, "purchase"),
]
PURCHASE_TAX = 2


def taxes() -> list[dict[str, Any]]:
    return [
        {
            "id": id,
            "name": name,
            "amount": amount,
            "type_tax_use": use,
            "active": True,
            "company_id": 1,
        }
        for id, name, amount, use in TAXES
    ]


def journals() -> list[dict[str, Any]]:
    return [
        {
            "id": id,
            "code": code,
            "name": name,
            "type": type,
            "sequence": sequence,
            "company_id": 1,
            "active": True,
        }
        for id, code, name, type, sequence in JOURNALS
    ]
