"""Coding rules and suggestions (issue 19): most transactions arrive with their account
already proposed, by a rule a finance team wrote or by what the team did last time."""

from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from accounting import tasks
from accounting.models import Budget, Card, Employee, Rule, Transaction, TransactionStatus
from accounting.services.merchants import normalize_merchant
from accounting.services.rules import save_rule
from accounting.services.suggestions import apply_rules
from sifi.models import AuditEvent, Role
from sifi.services import create_service_token
from tests.accounting.test_ingestion import item
from tests.factories import api_client_for, make_account, make_transaction, make_user

RULES = "/api/v1/accounting/rules/"


@pytest.fixture
def chart(org_a, source_a, marketing_a):
    return {
        "marketing": marketing_a,
        "travel": make_account(org_a, code="5301", name_en="Travel", name_ar="السفر"),
        "office": make_account(org_a, code="5104", name_en="Office Supplies"),
    }


def rule(org, account, *, name="Rule", priority=100, **conditions):
    auto = conditions.pop("auto_verify", False)
    enabled = conditions.pop("enabled", True)
    return save_rule(
        organization=org,
        actor=None,
        name=name,
        priority=priority,
        conditions=conditions,
        account=account.pk,
        auto_verify=auto,
        enabled=enabled,
    )


def suggestion(txn):
    txn.refresh_from_db()
    return txn.suggested_account, txn.suggestion_reason


# --- matching ------------------------------------------------------------------------------------


def test_merchants_match_in_arabic_and_english_whatever_the_case_and_the_marks(org_a, chart):
    rule(org_a, chart["office"], name="Jarir", merchant_contains="جرير")
    rule(org_a, chart["travel"], name="Taxis", merchant_contains="CAREEM")
    rule(org_a, chart["marketing"], name="Cafe", merchant_equals="café riyadh")
    arabic = make_transaction(org_a, merchant="مَكتبةُ جَرير - الرياض")
    english = make_transaction(org_a, merchant="careem ride 4411")
    cafe = make_transaction(org_a, merchant="  CAFE Riyadh ")
    near = make_transaction(org_a, merchant="Cafe Riyadh Branch 2")  # equals, not contains
    apply_rules(organization=org_a)
    assert suggestion(arabic) == (chart["office"], "rule: Jarir → 5104 · Office Supplies")
    assert suggestion(english)[0] == chart["travel"]
    assert suggestion(cafe)[0] == chart["marketing"]
    assert suggestion(near) == (None, "")
    assert normalize_merchant("أحمد مكتبة") == normalize_merchant("احمد مكتبه")


def test_every_condition_must_match(org_a, chart):
    budget = Budget.objects.create(organization=org_a, name="Sales Travel Q3")
    employee = Employee.objects.create(organization=org_a, reference="EMP-1", name="Sara")
    card = Card.objects.create(organization=org_a, reference="C-1", last4="4242")
    rule(
        org_a,
        chart["travel"],
        merchant_contains="uber",
        budget=budget.name,
        employee=employee.pk,
        card=card.pk,
        type="card_expense",
        amount_min="10.00",
        amount_max="200.00",
    )
    fields = {"merchant": "Uber", "budget": budget, "employee": employee, "card": card}
    yes = make_transaction(org_a, amount=Decimal("200.00"), **fields)
    misses = [
        make_transaction(org_a, amount=Decimal("200.01"), **fields),
        make_transaction(org_a, amount=Decimal("9.99"), **fields),
        make_transaction(org_a, amount=Decimal("50.00"), **{**fields, "merchant": "Careem"}),
        make_transaction(org_a, amount=Decimal("50.00"), **{**fields, "budget": None}),
        make_transaction(org_a, amount=Decimal("50.00"), **{**fields, "employee": None}),
        make_transaction(org_a, amount=Decimal("50.00"), **{**fields, "card": None}),
        make_transaction(
            org_a, amount=Decimal("50.00"), type="card_refund", direction="credit", **fields
        ),
    ]
    apply_rules(organization=org_a)
    assert suggestion(yes)[0] == chart["travel"]
    assert [suggestion(txn)[0] for txn in misses] == [None] * len(misses)


def test_the_first_enabled_rule_by_priority_wins(org_a, chart):
    rule(org_a, chart["marketing"], name="Broad", priority=50, merchant_contains="google")
    rule(org_a, chart["office"], name="Narrow", priority=10, merchant_contains="google workspace")
    rule(org_a, chart["travel"], name="Off", priority=1, merchant_contains="google", enabled=False)
    workspace = make_transaction(org_a, merchant="Google Workspace")
    ads = make_transaction(org_a, merchant="Google Ads")
    apply_rules(organization=org_a)
    assert suggestion(workspace)[0] == chart["office"]
    assert suggestion(ads)[0] == chart["marketing"]


def test_only_unverified_transactions_of_the_organization_get_suggestions(
    org_a, org_b, chart, marketing_a
):
    rule(org_a, chart["travel"], merchant_contains="careem")
    verified = make_transaction(
        org_a, merchant="Careem", status=TransactionStatus.VERIFIED, account=marketing_a
    )
    theirs = make_transaction(org_b, merchant="Careem")
    apply_rules(organization=org_a)
    apply_rules(organization=org_b)
    assert suggestion(verified)[0] is None
    assert suggestion(theirs)[0] is None


# --- history -------------------------------------------------------------------------------------


def test_a_consistent_history_proposes_the_account_and_a_mixed_one_does_not(org_a, chart):
    for _ in range(3):
        make_transaction(
            org_a,
            merchant="Careem",
            status=TransactionStatus.SYNCED,
            account=chart["travel"],
            journal_entry_id="1",
        )
    make_transaction(
        org_a, merchant="STC", status=TransactionStatus.VERIFIED, account=chart["office"]
    )
    make_transaction(
        org_a, merchant="STC", status=TransactionStatus.VERIFIED, account=chart["marketing"]
    )
    make_transaction(
        org_a, merchant="Noon", status=TransactionStatus.VERIFIED, account=chart["office"]
    )
    careem = make_transaction(org_a, merchant="CAREEM")
    stc = make_transaction(org_a, merchant="STC")
    noon = make_transaction(org_a, merchant="Noon")  # only once before: not enough
    apply_rules(organization=org_a)
    assert suggestion(careem) == (
        chart["travel"],
        "last 3 of 3 CAREEM transactions went to 5301 · Travel",
    )
    assert suggestion(stc) == (None, "")
    assert suggestion(noon) == (None, "")


def test_a_rule_comes_before_the_history(org_a, chart):
    for _ in range(2):
        make_transaction(
            org_a, merchant="Careem", status=TransactionStatus.VERIFIED, account=chart["office"]
        )
    rule(org_a, chart["travel"], name="Taxis", merchant_contains="careem")
    txn = make_transaction(org_a, merchant="Careem")
    apply_rules(organization=org_a)
    assert suggestion(txn)[0] == chart["travel"]


# --- auto-verify, accept -------------------------------------------------------------------------


def test_an_auto_verify_rule_verifies_says_which_rule_and_stays_editable(
    org_a, chart, accountant_api
):
    rule(org_a, chart["travel"], name="Taxis", merchant_contains="uber", auto_verify=True)
    txn = make_transaction(org_a, merchant="Uber")
    result = apply_rules(organization=org_a)
    assert (result.suggested, result.verified) == (1, 1)
    txn.refresh_from_db()
    assert (txn.status, txn.account) == (TransactionStatus.VERIFIED, chart["travel"])
    event = AuditEvent.objects.get(action="transaction.assigned", target_id=txn.pk)
    assert event.actor_label == "rule: Taxis" and event.actor is None
    response = accountant_api.post(
        f"/api/v1/accounting/transactions/{txn.pk}/assign/", {"account": chart["office"].pk}
    )
    assert response.status_code == 200 and response.json()["account"] == chart["office"].pk


def test_accepting_all_suggestions_has_the_bulk_assign_answer(org_a, chart, accountant_api):
    rule(org_a, chart["travel"], merchant_contains="careem")
    rule(org_a, chart["office"], merchant_contains="jarir")
    careem = make_transaction(org_a, merchant="Careem")
    jarir = make_transaction(org_a, merchant="Jarir")
    plain = make_transaction(org_a, merchant="Panda")
    apply_rules(organization=org_a)
    response = accountant_api.post(
        "/api/v1/accounting/transactions/accept-suggestions/",
        {"filter": {"tab": "expenses"}},
        format="json",
    )
    assert response.status_code == 200
    body = response.json()
    assert body["updated"] == 2 and body["skipped_count"] == 1
    assert body["skipped"] == [
        {"id": plain.pk, "reference": plain.reference, "reason": "no suggestion"}
    ]
    assert {t.account for t in Transaction.objects.filter(pk__in=[careem.pk, jarir.pk])} == {
        chart["travel"],
        chart["office"],
    }


def test_accepting_by_ids_of_another_organization_is_404(accountant_api, org_b):
    theirs = make_transaction(org_b)
    response = accountant_api.post(
        "/api/v1/accounting/transactions/accept-suggestions/", {"ids": [theirs.pk]}, format="json"
    )
    assert response.status_code == 404


# --- the API, roles, tenants, ingestion ----------------------------------------------------------


def test_admins_write_rules_accountants_read_them_employees_do_not_see_them(users_a, chart):
    admin = api_client_for(users_a[Role.ADMIN])
    body = {
        "name": "Taxis",
        "priority": 5,
        "conditions": {"merchant_contains": "Careem"},
        "account": chart["travel"].pk,
    }
    created = admin.post(RULES, body, format="json")
    assert created.status_code == 201, created.json()
    assert created.json()["conditions"] == {"merchant_contains": "careem"}
    accountant = api_client_for(users_a[Role.ACCOUNTANT])
    assert [r["name"] for r in accountant.get(RULES).json()["results"]] == ["Taxis"]
    assert accountant.post(RULES, body, format="json").status_code == 403
    assert api_client_for(users_a[Role.EMPLOYEE]).get(RULES).status_code == 403
    rule_id = created.json()["id"]
    changed = admin.patch(f"{RULES}{rule_id}/", {"enabled": False}, format="json")
    assert changed.status_code == 200 and changed.json()["enabled"] is False
    assert admin.delete(f"{RULES}{rule_id}/").status_code == 204
    actions = list(AuditEvent.objects.filter(target_type="rule").values_list("action", flat=True))
    assert sorted(actions) == ["rule.changed", "rule.created", "rule.deleted"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"conditions": {}}, "conditions"),
        ({"conditions": {"colour": "red"}}, "conditions"),
        ({"conditions": {"amount_min": "50", "amount_max": "10"}}, "conditions"),
        ({"conditions": {"budget": "No such budget"}}, "conditions"),
        ({"conditions": {"type": "gift"}}, "conditions"),
        ({"name": ""}, "name"),
    ],
)
def test_a_bad_rule_is_a_400_naming_the_field(users_a, chart, body, field):
    admin = api_client_for(users_a[Role.ADMIN])
    full = {
        "name": "Rule",
        "conditions": {"merchant_contains": "x"},
        "account": chart["travel"].pk,
        **body,
    }
    response = admin.post(RULES, full, format="json")
    assert response.status_code == 400 and field in response.json()
    assert not Rule.objects.exists()


def test_a_rule_cannot_propose_a_heading_or_another_organizations_account(
    users_a, org_b, org_a, chart
):
    admin = api_client_for(users_a[Role.ADMIN])
    heading = make_account(org_a, code="5", name_en="Expenses", is_heading=True)
    theirs = make_account(org_b, code="5301")
    for account in (heading, theirs):
        body = {"name": "R", "conditions": {"merchant_contains": "x"}, "account": account.pk}
        assert admin.post(RULES, body, format="json").status_code == 400


def test_another_organizations_rules_are_404(users_a, org_b):
    their_rule = Rule.objects.create(
        organization=org_b,
        name="Theirs",
        conditions={"merchant_contains": "x"},
        account=make_account(org_b),
    )
    admin = api_client_for(users_a[Role.ADMIN])
    url = f"{RULES}{their_rule.pk}/"
    assert admin.get(url).status_code == 404
    assert admin.patch(url, {"enabled": False}, format="json").status_code == 404
    assert admin.delete(url).status_code == 404
    assert admin.get(RULES).json()["results"] == []
    assert Rule.objects.get(pk=their_rule.pk).enabled


def test_ingestion_proposes_accounts_for_what_arrives(org_a, chart):
    rule(org_a, chart["office"], merchant_contains="jarir")
    platform = APIClient()
    platform.credentials(HTTP_AUTHORIZATION=f"Token {create_service_token(organization=org_a)}")
    response = platform.post(
        "/api/v1/ledger/transactions/", [item("SIFI-R1", documents=[])], format="json"
    )
    assert response.status_code == 200
    txn = Transaction.objects.get(reference="SIFI-R1")
    assert txn.suggested_account == chart["office"]
    listed = (
        api_client_for(make_user(org_a, Role.ACCOUNTANT))
        .get("/api/v1/accounting/transactions/?tab=expenses")
        .json()["results"][0]
    )
    assert listed["suggested_account"] == chart["office"].pk
    assert listed["suggestion_reason"] == "rule: Rule → 5104 · Office Supplies"


def test_changing_the_rules_reapplies_them_in_the_background(
    users_a, org_a, chart, django_capture_on_commit_callbacks
):
    txn = make_transaction(org_a, merchant="Careem")
    admin = api_client_for(users_a[Role.ADMIN])
    body = {
        "name": "Taxis",
        "conditions": {"merchant_contains": "careem"},
        "account": chart["travel"].pk,
    }
    with django_capture_on_commit_callbacks() as queued:
        admin.post(RULES, body, format="json")
    assert len(queued) == 1  # the re-application is queued once the rule is saved
    tasks.reapply_rules(org_a.pk)  # what the worker runs
    assert suggestion(txn)[0] == chart["travel"]


def test_the_apply_api_reapplies_to_a_filter_and_counts(accountant_api, org_a, chart):
    rule(org_a, chart["travel"], merchant_contains="careem", auto_verify=True)
    rule(org_a, chart["office"], merchant_contains="jarir")
    for merchant in ("Careem", "Jarir", "Panda"):
        make_transaction(org_a, merchant=merchant)
    response = accountant_api.post(
        "/api/v1/accounting/rules/apply/", {"filter": {"tab": "expenses"}}, format="json"
    )
    assert response.json() == {"suggested": 2, "verified": 1}
    bad = accountant_api.post("/api/v1/accounting/rules/apply/", {"filter": {}}, format="json")
    assert bad.status_code == 400 and "filter" in bad.json()


# --- the pages -----------------------------------------------------------------------------------


def test_the_rules_page_reads_in_words_and_admins_add_rules_with_the_account_code(
    client, users_a, org_a, chart, django_capture_on_commit_callbacks
):
    budget = Budget.objects.create(organization=org_a, name="Sales Travel Q3")
    client.force_login(users_a[Role.FINANCE_MANAGER])
    with django_capture_on_commit_callbacks():
        response = client.post(
            "/accounting/rules/save/",
            {
                "name": "Taxis",
                "priority": "10",
                "merchant_contains": "Careem",
                "budget": budget.pk,
                "amount_max": "500",
                "account": "",
                "account_code": "5301",
                "enabled": "on",
            },
            follow=True,
        )
    page = response.content.decode()
    assert "Rule “Taxis” saved" in page
    assert "Merchant contains “careem”; Budget: Sales Travel Q3; Amount up to 500.00" in page
    assert "5301 · Travel" in page and "propose" in page
    client.force_login(users_a[Role.ACCOUNTANT])
    readonly = client.get("/accounting/rules/").content.decode()
    assert "Taxis" in readonly and "rule-save" not in readonly and "New rule" not in readonly
    assert client.post("/accounting/rules/save/", {"name": "x"}).status_code == 403
    client.cookies["django_language"] = "ar"
    arabic = client.get("/accounting/rules/").content.decode()
    assert "يحتوي اسم التاجر على “careem”" in arabic
    client.force_login(users_a[Role.EMPLOYEE])
    assert client.get("/accounting/rules/").status_code == 403


def test_a_suggestion_is_shown_and_accepted_with_one_click(client, users_a, org_a, chart):
    rule(org_a, chart["travel"], name="Taxis", merchant_contains="careem")
    txn = make_transaction(org_a, merchant="Careem")
    other = make_transaction(org_a, merchant="Panda")
    apply_rules(organization=org_a)
    client.force_login(users_a[Role.ACCOUNTANT])
    page = client.get("/accounting/?tab=expenses").content.decode()
    assert (
        "Suggested: <b><bdi>5301 · Travel</bdi></b> · <bdi>rule: Taxis → 5301 · Travel</bdi>"
        in page
    )
    # The row's account field already holds the suggestion: Assign (or Enter) accepts it.
    assert f'name="account" value="{chart["travel"].pk}" data-picker-value' in page
    response = client.post(
        "/accounting/assign/",
        {"transaction": txn.pk, "account": chart["travel"].pk, "account_code": "5301 · Travel"},
        follow=True,
    )
    assert "verified with 5301 · Travel" in response.content.decode()
    response = client.post(
        "/accounting/accept-suggestions/", {"scope": "ids", "ids": [other.pk]}, follow=True
    )
    assert "0 suggestions accepted. 1 skipped" in response.content.decode()


def test_accept_all_suggestions_from_the_page_follows_the_filter(client, users_a, org_a, chart):
    budget = Budget.objects.create(organization=org_a, name="Sales Travel Q3")
    rule(org_a, chart["travel"], merchant_contains="careem")
    inside = [make_transaction(org_a, merchant="Careem", budget=budget) for _ in range(3)]
    outside = make_transaction(org_a, merchant="Careem")
    apply_rules(organization=org_a)
    client.force_login(users_a[Role.ACCOUNTANT])
    response = client.post(
        "/accounting/accept-suggestions/",
        {"scope": "filter", "tab": "expenses", "budget": budget.name},
        follow=True,
    )
    assert "3 suggestions accepted." in response.content.decode()
    assert all(
        t.status == TransactionStatus.VERIFIED
        for t in Transaction.objects.filter(pk__in=[t.pk for t in inside])
    )
    outside.refresh_from_db()
    assert outside.status == TransactionStatus.UNVERIFIED


def test_the_rule_form_lists_cards_by_holder_then_last_digits(client, users_a, org_a, chart):
    zaid = Employee.objects.create(organization=org_a, reference="E-Z", name="Zaid")
    amal = Employee.objects.create(organization=org_a, reference="E-A", name="Amal")
    for reference, last4, holder in (
        ("C-1", "1111", zaid),
        ("C-2", "9999", amal),
        ("C-3", "0001", None),
        ("C-4", "2222", amal),
    ):
        Card.objects.create(organization=org_a, reference=reference, last4=last4, holder=holder)
    client.force_login(users_a[Role.FINANCE_MANAGER])
    page = client.get("/accounting/rules/").content.decode()
    labels = ["Amal · •••• 2222", "Amal · •••• 9999", "Zaid · •••• 1111", ">•••• 0001<"]
    positions = [page.index(label) for label in labels]
    assert positions == sorted(positions)
