"""Issue 25, item 10: rules written before the chart is there (the demo's) become rules when
the organization's books have their accounts and a Source Account, so that the walk-through's
"Careem → travel" proposals appear without running seed_demo again."""

import pytest
from django.core.management import call_command

from accounting.models import Account, PendingRule, Rule, Suggestion
from accounting.services.pending_rules import add_pending_rule, adopt_pending_rules
from integrations.models import ConnectionStatus, Integration
from integrations.services.configuration import configure
from sifi.celery import app as celery_app
from sifi.models import Organization, Role
from tests.factories import make_account, make_transaction, make_user

pytestmark = pytest.mark.django_db


def demo_chart(organization: Organization) -> dict[str, Account]:
    """The accounts the demo's rules name, as a first chart sync mirrors them (connected,
    no Source Account yet)."""
    Integration.objects.create(
        provider="qoyod",
        organization=organization,
        status=ConnectionStatus.CONNECTED,
        secrets={"api_key": "k"},
    )
    return {
        "wallet": make_account(organization, code="110101", type="Asset", receive_payments=True),
        "travel": make_account(organization, code="530101", name_en="Travel Expenses"),
        "ads": make_account(organization, code="5202", name_en="Advertising"),
        "office": make_account(organization, code="510401", name_en="Office Supplies"),
    }


@pytest.fixture
def eager_celery():
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = False


def test_the_demos_rules_wait_for_its_books_then_the_source_account_adopts_them(
    django_capture_on_commit_callbacks, eager_celery
):
    call_command("seed_demo", "--transactions", "300")
    demo = Organization.objects.get(name="Demo Trading Co.")
    assert not Rule.objects.filter(organization=demo).exists()
    assert PendingRule.objects.filter(organization=demo).count() == 6

    chart = demo_chart(demo)  # the admin connects: the chart syncs
    assert not Rule.objects.filter(organization=demo).exists()  # no Source Account yet
    admin = make_user(demo, Role.ADMIN)
    with django_capture_on_commit_callbacks(execute=True):
        configure(
            actor=admin,
            organization=demo,
            provider="qoyod",
            source_account_id=chart["wallet"].pk,
        )
    rules = Rule.objects.filter(organization=demo)
    assert rules.count() == 6
    assert rules.get(name="Ride-hailing: Careem").account == chart["travel"]
    assert not PendingRule.objects.filter(organization=demo).exists()
    careem = Suggestion.objects.filter(
        transaction__organization=demo, transaction__merchant__icontains="careem"
    )
    assert careem.exists() and {s.account_id for s in careem} == {chart["travel"].pk}

    call_command("seed_demo", "--transactions", "300")  # again, as bin/start does
    assert Rule.objects.filter(organization=demo).count() == 6
    assert not PendingRule.objects.filter(organization=demo).exists()


def test_a_pending_rule_whose_account_is_missing_keeps_waiting(org_a):
    chart = demo_chart(org_a)
    Integration.objects.filter(organization=org_a).update(source_account=chart["wallet"])
    add_pending_rule(
        organization=org_a,
        name="Taxis",
        conditions={"merchant_contains": "taxi"},
        account_code="530101",
    )
    add_pending_rule(
        organization=org_a,
        name="Fuel",
        conditions={"merchant_contains": "fuel"},
        account_code="530999",
    )
    adopted = adopt_pending_rules(organization=org_a, reapply=False)
    assert [rule.name for rule in adopted] == ["Taxis"]
    assert list(PendingRule.objects.values_list("name", flat=True)) == ["Fuel"]
    make_account(org_a, code="530999", name_en="Fuel")  # the next chart sync brings it
    assert [r.name for r in adopt_pending_rules(organization=org_a, reapply=False)] == ["Fuel"]


def test_another_organizations_chart_adopts_nothing(org_a, org_b):
    demo_chart(org_b)
    chart_a = demo_chart(org_a)
    Integration.objects.filter(organization=org_a).update(source_account=chart_a["wallet"])
    add_pending_rule(
        organization=org_b,
        name="Taxis",
        conditions={"merchant_contains": "taxi"},
        account_code="530101",
    )
    assert adopt_pending_rules(organization=org_a, reapply=False) == []
    assert adopt_pending_rules(organization=org_b, reapply=False) == []  # no Source Account
    assert PendingRule.objects.get().organization == org_b
    make_transaction(org_b, merchant="Taxi Co")
    assert not Rule.objects.exists()


def test_a_pending_rule_beside_an_existing_rule_of_its_name_is_not_added(org_a):
    chart = demo_chart(org_a)
    Integration.objects.filter(organization=org_a).update(source_account=chart["wallet"])
    add_pending_rule(
        organization=org_a,
        name="Taxis",
        conditions={"merchant_contains": "taxi"},
        account_code="530101",
    )
    adopt_pending_rules(organization=org_a, reapply=False)
    assert (
        add_pending_rule(
            organization=org_a,
            name="Taxis",
            conditions={"merchant_contains": "taxi"},
            account_code="530101",
        )
        is None
    )
    assert Rule.objects.filter(organization=org_a).count() == 1
