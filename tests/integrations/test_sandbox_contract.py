"""The same client calls the product makes, against the Qoyod sandbox over real HTTP."""

import datetime
from decimal import Decimal

import httpx
import pytest

from integrations.providers.qoyod import (
    QoyodAttachmentsUnsupported,
    QoyodAuthError,
    QoyodClient,
    QoyodRateLimited,
    QoyodUnavailable,
    QoyodValidationError,
)
from integrations.providers.qoyod.payloads import JournalEntryDraft, JournalEntryLine

MARKETING, WALLET = 1038, 1003  # ids of "Marketing Expenses" and the wallet bank account
PDF = b"%PDF-1.4\n%%EOF\n"


def client(sandbox, key=None, **kwargs):
    kwargs.setdefault("max_retries", 0)
    kwargs.setdefault("timeout", 3)
    return QoyodClient(key or sandbox.demo_key, base_url=sandbox.base_url, **kwargs)


def draft(reference="SIFI-TXN-1", amount="125.50", date=datetime.date(2025, 3, 10)):
    return JournalEntryDraft(
        description=f"[{reference}] Card expense · Jarir Bookstore",
        date=date,
        debit_lines=(JournalEntryLine(MARKETING, Decimal(amount)),),
        credit_lines=(JournalEntryLine(WALLET, Decimal(amount)),),
    )


def test_the_demo_key_is_valid_and_sees_a_realistic_chart(qoyod_sandbox):
    with client(qoyod_sandbox) as qoyod:
        accounts = qoyod.list_accounts()
        assert qoyod.validate_key() == len(accounts) >= 250
        vendors = qoyod.list_vendors()
    names = {a.id: a for a in accounts}
    assert names[MARKETING].name_en == "Marketing Expenses"
    assert names[MARKETING].name_ar == "مصاريف تسويق"
    assert names[WALLET].receive_payments is True
    assert any(v.name == "مكتبة جرير" for v in vendors)


def test_a_wrong_or_revoked_key_is_an_auth_error(qoyod_sandbox):
    with client(qoyod_sandbox, "not-a-key") as qoyod, pytest.raises(QoyodAuthError):
        qoyod.list_accounts()
    qoyod_sandbox.revoke()
    with client(qoyod_sandbox) as qoyod, pytest.raises(QoyodAuthError):
        qoyod.list_accounts()


def test_a_balanced_entry_is_created_as_a_draft_and_found_by_reference(qoyod_sandbox):
    with client(qoyod_sandbox) as qoyod:
        created = qoyod.create_journal_entry(draft())
        assert created.status == "Draft"
        assert created.total_debit == created.total_credit == Decimal("125.50")
        found = qoyod.find_journal_entry(reference="SIFI-TXN-1", date=datetime.date(2025, 3, 10))
        assert found is not None and found.id == created.id
        assert (
            qoyod.find_journal_entry(reference="SIFI-TXN-1", date=datetime.date(2025, 3, 11))
            is None
        )
        # "SIFI-TXN-1" must not match the entry of "SIFI-TXN-12".
        qoyod.create_journal_entry(draft("SIFI-TXN-12"))
        assert (
            qoyod.find_journal_entry(reference="SIFI-TXN-1", date=datetime.date(2025, 3, 10)).id
            == created.id
        )


@pytest.mark.parametrize(
    ("entry", "field"),
    [
        (
            {
                "debit_amounts": [{"account_id": MARKETING, "amount": "10.00"}],
                "credit_amounts": [{"account_id": WALLET, "amount": "9.99"}],
            },
            "base",
        ),
        (
            {
                "debit_amounts": [{"account_id": 999999, "amount": "10.00"}],
                "credit_amounts": [{"account_id": WALLET, "amount": "10.00"}],
            },
            "debit_amounts.0.account_id",
        ),
        ({"date": "2025-02-30"}, "date"),
        ({"description": ""}, "description"),
        ({"debit_amounts": [{"account_id": MARKETING, "amount": "-1"}]}, "debit_amounts.0.amount"),
    ],
)
def test_what_qoyod_would_refuse_is_a_validation_error_with_field_messages(
    qoyod_sandbox, entry, field
):
    body = draft().to_wire()
    body["journal_entry"].update(entry)
    response = httpx.post(
        f"{qoyod_sandbox.base_url}/journal_entries",
        json=body,
        headers={"API-KEY": qoyod_sandbox.demo_key},
    )
    assert response.status_code == 422
    assert field in response.json()["errors"]
    assert qoyod_sandbox.journal_entries() == []


def test_the_client_surfaces_qoyods_field_messages(qoyod_sandbox):
    qoyod_sandbox.change_accounts(remove=[MARKETING])
    with client(qoyod_sandbox) as qoyod, pytest.raises(QoyodValidationError) as error:
        qoyod.create_journal_entry(draft())
    assert "debit_amounts.0.account_id" in error.value.field_errors
    assert "does not exist" in error.value.message


def test_documents_are_attached_unless_the_tenant_is_bare(qoyod_sandbox):
    with client(qoyod_sandbox) as qoyod:
        entry = qoyod.create_journal_entry(draft())
        attached = qoyod.attach_document(
            entry.id, filename="receipt.pdf", content=PDF, content_type="application/pdf"
        )
    assert attached.id is not None
    stored = qoyod_sandbox.journal_entries()[0]["attachments"]
    assert stored[0]["filename"] == "receipt.pdf" and stored[0]["size"] == len(PDF)

    qoyod_sandbox.configure(bare=True)
    with client(qoyod_sandbox) as qoyod:
        bare_entry = qoyod.create_journal_entry(draft("SIFI-TXN-2"))
        assert bare_entry.status == ""  # the bare API reports no status
        with pytest.raises(QoyodAttachmentsUnsupported):
            qoyod.attach_document(
                bare_entry.id, filename="r.pdf", content=PDF, content_type="application/pdf"
            )


def test_past_the_rate_limit_qoyod_answers_429_with_retry_after(qoyod_sandbox):
    qoyod_sandbox.configure(rate_limit_per_minute=2)
    with client(qoyod_sandbox) as qoyod:
        qoyod.list_vendors()
        qoyod.list_vendors()
        with pytest.raises(QoyodRateLimited) as error:
            qoyod.list_vendors()
    assert error.value.retry_after >= 1


@pytest.mark.parametrize("kind", ["500", "drop"])
def test_a_fault_before_the_write_leaves_nothing_behind(qoyod_sandbox, kind):
    qoyod_sandbox.inject({"kind": kind, "path": "journal_entries", "method": "POST"})
    with client(qoyod_sandbox) as qoyod, pytest.raises(QoyodUnavailable):
        qoyod.create_journal_entry(draft())
    assert qoyod_sandbox.journal_entries() == []


@pytest.mark.parametrize("kind", ["500_after_commit", "drop_after_commit", "timeout_after_commit"])
def test_a_fault_after_the_write_loses_the_answer_but_the_entry_is_there(qoyod_sandbox, kind):
    qoyod_sandbox.configure(timeout_sleep_s=2)
    qoyod_sandbox.inject({"kind": kind, "path": "journal_entries", "method": "POST"})
    with client(qoyod_sandbox, timeout=1) as qoyod:
        with pytest.raises(QoyodUnavailable):
            qoyod.create_journal_entry(draft())
        # The outcome is unknown to the caller: the lookup by reference tells the truth.
        found = qoyod.find_journal_entry(reference="SIFI-TXN-1", date=datetime.date(2025, 3, 10))
    assert found is not None
    assert len(qoyod_sandbox.journal_entries()) == 1


def test_reads_are_retried_through_transient_faults(qoyod_sandbox):
    qoyod_sandbox.inject({"kind": "500", "path": "accounts", "method": "GET", "count": 2})
    with client(qoyod_sandbox, max_retries=3) as qoyod:
        assert len(qoyod.list_accounts()) >= 250


def test_data_survives_a_sandbox_restart(qoyod_sandbox):
    with client(qoyod_sandbox) as qoyod:
        created = qoyod.create_journal_entry(draft())
    qoyod_sandbox.restart()
    assert [e["id"] for e in qoyod_sandbox.journal_entries()] == [created.id]
