"""Realistic charts of accounts for the sandbox's tenants (English and Arabic, code prefixes)."""

from typing import Any

DEMO_KEY = "sandbox-demo-key"
SECOND_KEY = "sandbox-second-key"

# (code, English, Arabic, type, group_type, receive_payments)
_BASE_CHART: list[tuple[str, str, str, str, str, bool]] = [
    ("1", "Assets", "الأصول", "Asset", "assets", False),
    ("11", "Current Assets", "الأصول المتداولة", "Asset", "current_assets", False),
    ("1101", "Cash and Banks", "النقد والبنوك", "Asset", "cash", False),
    ("110101", "Al Rajhi Bank - SiFi Wallet", "مصرف الراجحي - محفظة سيفي", "Asset", "bank", True),
    ("110102", "Saudi National Bank", "البنك الأهلي السعودي", "Asset", "bank", True),
    ("110103", "Petty Cash", "الصندوق النثري", "Asset", "cash", True),
    ("1102", "Receivables", "الذمم المدينة", "Asset", "receivables", False),
    ("110201", "Trade Receivables", "ذمم العملاء", "Asset", "receivables", False),
    ("110202", "Employee Advances", "سلف الموظفين", "Asset", "receivables", False),
    ("1103", "Prepayments", "المصروفات المدفوعة مقدماً", "Asset", "prepayments", False),
    ("1104", "Input VAT", "ضريبة القيمة المضافة - مدخلات", "Asset", "tax", False),
    ("12", "Fixed Assets", "الأصول الثابتة", "Asset", "fixed_assets", False),
    ("1201", "Computers and Equipment", "أجهزة الحاسب والمعدات", "Asset", "fixed_assets", False),
    ("1202", "Furniture", "الأثاث", "Asset", "fixed_assets", False),
    ("1203", "Vehicles", "السيارات", "Asset", "fixed_assets", False),
    ("2", "Liabilities", "الخصوم", "Liability", "liabilities", False),
    ("21", "Current Liabilities", "الخصوم المتداولة", "Liability", "current_liabilities", False),
    ("2101", "Trade Payables", "ذمم الموردين", "Liability", "payables", False),
    ("2102", "Output VAT", "ضريبة القيمة المضافة - مخرجات", "Liability", "tax", False),
    ("2103", "Accrued Salaries", "رواتب مستحقة", "Liability", "accruals", False),
    ("2104", "Employee Reimbursements Payable", "مستحقات الموظفين", "Liability", "payables", False),
    ("3", "Equity", "حقوق الملكية", "Equity", "equity", False),
    ("3101", "Share Capital", "رأس المال", "Equity", "equity", False),
    ("3102", "Retained Earnings", "الأرباح المبقاة", "Equity", "equity", False),
    ("4", "Revenue", "الإيرادات", "Revenue", "revenue", False),
    ("4101", "Sales", "المبيعات", "Revenue", "revenue", False),
    ("4102", "Card Refunds and Rebates", "استردادات البطاقات", "Revenue", "other_income", False),
    ("4103", "Other Income", "إيرادات أخرى", "Revenue", "other_income", False),
    ("5", "Expenses", "المصروفات", "Expense", "expenses", False),
    ("51", "Operating Expenses", "المصروفات التشغيلية", "Expense", "operating", False),
    ("5101", "Salaries and Wages", "الرواتب والأجور", "Expense", "operating", False),
    ("5102", "Rent", "الإيجار", "Expense", "operating", False),
    ("5103", "Utilities", "المرافق", "Expense", "operating", False),
    ("5104", "Office Supplies", "مستلزمات مكتبية", "Expense", "operating", False),
    ("5105", "Software Subscriptions", "اشتراكات البرمجيات", "Expense", "operating", False),
    ("5106", "Telecommunications", "الاتصالات", "Expense", "operating", False),
    ("5107", "Employee Reimbursements", "تعويضات الموظفين", "Expense", "operating", False),
    ("52", "Selling and Marketing", "مصروفات البيع والتسويق", "Expense", "selling", False),
    ("5201", "Marketing Expenses", "مصاريف تسويق", "Expense", "selling", False),
    ("5202", "Advertising", "الإعلان", "Expense", "selling", False),
    ("5203", "Events and Exhibitions", "الفعاليات والمعارض", "Expense", "selling", False),
    ("53", "Travel and Transport", "السفر والتنقل", "Expense", "operating", False),
    ("5301", "Travel Expenses", "مصاريف السفر", "Expense", "operating", False),
    ("5302", "Fuel & Transportation", "الوقود والمواصلات", "Expense", "operating", False),
    ("5303", "Meals & Entertainment", "الوجبات والضيافة", "Expense", "operating", False),
    ("5304", "Hotels", "الفنادق", "Expense", "operating", False),
    ("54", "Bank Charges", "المصروفات البنكية", "Expense", "finance", False),
    ("5401", "Bank and Card Fees", "رسوم البنوك والبطاقات", "Expense", "finance", False),
]

# Sub-accounts that make a chart of a few hundred rows, as real companies have.
_DEPARTMENTS = [
    ("Riyadh HQ", "المقر الرئيسي - الرياض"),
    ("Jeddah Branch", "فرع جدة"),
    ("Dammam Branch", "فرع الدمام"),
    ("Sales Team", "فريق المبيعات"),
    ("Engineering", "الهندسة"),
    ("Operations", "العمليات"),
    ("Khobar Branch", "فرع الخبر"),
    ("Finance", "المالية"),
    ("Human Resources", "الموارد البشرية"),
    ("Marketing", "التسويق"),
    ("Customer Support", "خدمة العملاء"),
    ("Procurement", "المشتريات"),
]


def demo_chart() -> list[dict[str, Any]]:
    """About 300 accounts with deterministic ids (stable across restarts)."""
    rows = [_row(1000 + i, *entry) for i, entry in enumerate(_BASE_CHART)]
    next_id = 2000
    # Operating, admin and financing expenses are split by department (so 5101 is a heading
    # with 510101… under it); selling and marketing (52xx) are posted as they are, per budget.
    for code, name_en, name_ar, kind, group, _pays in _BASE_CHART:
        if len(code) != 4 or not code.startswith("5") or code.startswith("52"):
            continue
        for index, (dept_en, dept_ar) in enumerate(_DEPARTMENTS, start=1):
            rows.append(
                _row(
                    next_id,
                    f"{code}{index:02d}",
                    f"{name_en} - {dept_en}",
                    f"{name_ar} - {dept_ar}",
                    kind,
                    group,
                    False,
                )
            )
            next_id += 1
    for index in range(1, 61):
        rows.append(
            _row(
                next_id,
                f"1201{index:03d}",
                f"Laptop pool {index:02d}",
                f"أجهزة محمولة {index:02d}",
                "Asset",
                "fixed_assets",
                False,
            )
        )
        next_id += 1
    return rows


def generated_chart(count: int, *, first_id: int = 100_000) -> list[dict[str, Any]]:
    """A large chart for benchmarks: the demo chart padded with numbered expense accounts."""
    rows = demo_chart()
    for index in range(max(0, count - len(rows))):
        rows.append(
            _row(
                first_id + index,
                f"59{index:06d}",
                f"Expense line {index}",
                f"بند مصروفات {index}",
                "Expense",
                "operating",
                False,
            )
        )
    return rows[:count] if count else rows


def vendors() -> list[dict[str, Any]]:
    names = [
        "Jarir Bookstore",
        "مكتبة جرير",
        "STC",
        "Careem",
        "Uber",
        "Saudia Airlines",
        "Hilton Riyadh",
        "Amazon Web Services",
        "Google Workspace",
        "Microsoft",
        "Noon",
        "Extra Stores",
        "Panda Retail",
        "Al Baik",
        "Starbucks",
        "Aldrees Petroleum",
        "SASCO",
        "Zain KSA",
        "Mobily",
        "Tamimi Markets",
    ]
    return [
        {
            "id": 500 + i,
            "name": name,
            "status": "Active",
            "tax_number": f"3{i:02d}000000000003",
            "email": "",
            "phone_number": "",
        }
        for i, name in enumerate(names)
    ]


def _row(
    account_id: int,
    code: str,
    name_en: str,
    name_ar: str,
    kind: str,
    group: str,
    receive_payments: bool,
) -> dict[str, Any]:
    return {
        "id": account_id,
        "code": code,
        "name_en": name_en,
        "name_ar": name_ar,
        "type": kind,
        "group_type": group,
        "status": "Active",
        "recieve_payments": "true" if receive_payments else "false",
    }
