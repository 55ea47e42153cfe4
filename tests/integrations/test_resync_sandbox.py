"""Re-sync of the chart of accounts against the Qoyod sandbox over real HTTP (SPEC §3.4):
an accountant renamed, added and deleted accounts in Qoyod; the next sync follows."""

from accounting.models import Account, Transaction, TransactionStatus
from accounting.services.verification import assign_account
from integrations.config_sync import run_config_sync
from integrations.jobs import start_config_sync
from integrations.models import Integration, JobStatus
from integrations.services import configure, connect, record_consent
from sifi.models import AuditEvent
from tests.factories import make_transaction

WALLET_QOYOD_ID = 1003  # 110101 in the sandbox's seeded chart
MARKETING_QOYOD_ID = 1038  # 5201 Marketing Expenses


def sync_now(admin, org):
    job = run_config_sync(job_id=start_config_sync(actor=admin, organization=org).pk)
    assert job is not None and job.status == JobStatus.SUCCEEDED, job and job.error


def test_resync_follows_renames_additions_and_removals_in_qoyod(qoyod_sandbox, admin_a, org_a):
    record_consent(actor=admin_a, organization=org_a, accept=True, provider="qoyod")
    connect(
        actor=admin_a,
        organization=org_a,
        provider="qoyod",
        values={"api_key": qoyod_sandbox.demo_key},
    )
    sync_now(admin_a, org_a)
    chart = Account.objects.filter(organization=org_a)
    first_count = chart.count()
    wallet = chart.get(external_id=str(WALLET_QOYOD_ID))
    marketing = chart.get(external_id=str(MARKETING_QOYOD_ID))
    assert marketing.name_en == "Marketing Expenses" and marketing.active
    configure(actor=admin_a, organization=org_a, provider="qoyod", source_account_id=wallet.pk)

    verified = make_transaction(org_a, merchant="Snapchat Ads")
    assign_account(
        organization=org_a, actor=admin_a, transaction_id=verified.pk, account_id=marketing.pk
    )
    untouched = make_transaction(org_a)
    renamed = chart.exclude(pk__in=[wallet.pk, marketing.pk]).filter(code__startswith="5").first()
    assert renamed is not None

    qoyod_sandbox.change_accounts(
        rename={int(renamed.external_id): {"name_en": "Software & SaaS", "name_ar": "البرمجيات"}},
        add=[
            {
                "id": 99001,
                "code": "520199",
                "name_en": "Influencer Marketing",
                "name_ar": "التسويق عبر المؤثرين",
                "type": "Expense",
            }
        ],
        remove=[MARKETING_QOYOD_ID],
    )
    sync_now(admin_a, org_a)

    renamed.refresh_from_db()
    assert (renamed.name_en, renamed.name_ar) == ("Software & SaaS", "البرمجيات")
    added = chart.get(external_id="99001")
    # Its code's nearest parent 5201 was removed upstream, so it hangs under 52.
    assert added.active and added.parent is not None and added.parent.code == "52"
    marketing.refresh_from_db()
    assert marketing.active is False  # kept for history, never deleted
    assert chart.count() == first_count + 1
    message = Integration.objects.get(organization=org_a).last_sync_message
    assert "1 new" in message and "1 removed" in message

    # The verified but unsynced transaction on the removed account is back to unverified,
    # with a reason a person can act on, and the change is audited.
    verified.refresh_from_db()
    assert verified.status == TransactionStatus.UNVERIFIED
    assert verified.account is None
    assert "Marketing Expenses" in verified.status_reason
    assert "removed from Qoyod" in verified.status_reason
    assert AuditEvent.objects.filter(
        organization=org_a, target_type="transaction", target_id=verified.pk
    ).exists()
    untouched.refresh_from_db()
    assert untouched.status == TransactionStatus.UNVERIFIED and untouched.status_reason == ""
    # The source account is still there: the connection stays connected.
    assert Integration.objects.get(organization=org_a).attention_reason == ""
    assert Transaction.objects.filter(organization=org_a).count() == 2
