"""The provider contract: what the sync engine relies on, checked for every registered
provider against its sandbox over real HTTP, through the registry as the product uses it.

A provider passes when its session reads the chart in the ledger's words, creates a balanced
draft that reads back line for line, finds it by our reference (and only by ours), lets an
unknown outcome be adopted instead of posted twice, attaches a receipt or says its books take
none, and raises each failure as the neutral error the engine branches on.
"""

import datetime
from decimal import Decimal

import pytest

from accounting.journal import CREDIT, DEBIT, JournalEntryDraft, JournalLine
from accounting.providers import (
    AttachmentFlow,
    AttachmentsUnsupported,
    AuthRefused,
    ProviderError,
    RateLimited,
    RedraftingSession,
    Rejected,
    Unavailable,
    UploadingSession,
    provider_for,
)

PDF = b"%PDF-1.4\n%%EOF\n"
DAY = datetime.date(2025, 3, 10)


def draft(harness, reference="SIFI-TXN-1", amount="115.00", account=None, date=DAY):
    """An expense; its debit in two lines where the books keep several lines a side."""
    debits = (
        (Decimal("100.00"), Decimal(amount) - 100) if harness.splits_a_side else (Decimal(amount),)
    )
    return JournalEntryDraft(
        reference=reference,
        date=date,
        description="Card expense · Jarir Bookstore · Sara Al-Otaibi",
        currency="SAR",
        lines=(
            *(JournalLine(account or harness.expense_account, DEBIT, part) for part in debits),
            JournalLine(harness.wallet_account, CREDIT, Decimal(amount)),
        ),
    )


def test_the_chart_reads_in_the_ledgers_words(harness):
    with harness.session() as session:
        chart = session.read_chart()
    by_id = {account.external_id: account for account in chart}
    assert harness.expense_account in by_id and harness.wallet_account in by_id
    assert all(isinstance(account.code, str) for account in chart)
    if harness.every_account_has_a_code:
        assert all(account.code for account in chart)
    else:  # the system accounts some books keep without a code (Zoho's): "" and no other
        assert any(not account.code for account in chart)
        assert all(account.code is not None for account in chart)
    # Every parent is an account of the same chart.
    assert all(a.parent_external_id in by_id for a in chart if a.parent_external_id is not None)


def test_ids_cross_the_interface_as_strings(harness):
    """Whatever the provider's wire has (Qoyod's and Odoo's integers), the ledger gets and
    gives strings: it stores them in text columns and compares them only for equality."""
    with harness.session() as session:
        chart = session.read_chart()
        created = session.create_draft_entry(draft(harness))
        found = session.find_entry(reference="SIFI-TXN-1", date=DAY)
        attached = session.attach_document(
            created.id, filename="receipt.pdf", content=PDF, content_type="application/pdf"
        )
        [held] = session.list_entries(date_from=DAY, date_to=DAY)
        by_id = session.get_entries([created.id])
    ids = [account.external_id for account in chart]
    ids += [a.parent_external_id for a in chart if a.parent_external_id is not None]
    assert ids and all(isinstance(external_id, str) for external_id in ids)
    assert isinstance(created.id, str) and found is not None and found.id == created.id
    assert attached.id is None or isinstance(attached.id, str)
    assert held.id == created.id and all(isinstance(line.account, str) for line in held.lines)
    assert list(by_id) == [created.id] and by_id[created.id] == held


def test_a_balanced_draft_is_created_and_reads_back_line_for_line(harness):
    entry = draft(harness)
    with harness.session() as session:
        created = session.create_draft_entry(entry)
    [held] = harness.held_entries()
    assert held.id == created.id and created.status == harness.draft_status
    assert (held.reference, held.date, held.status) == ("SIFI-TXN-1", DAY, harness.draft_status)
    sent = sorted((line.account, line.side, line.amount) for line in entry.lines)
    assert sorted((line.account, line.side, line.amount) for line in held.lines) == sent
    debits = sum(line.amount for line in held.lines if line.side == DEBIT)
    assert debits == sum(line.amount for line in held.lines if line.side == CREDIT)


def test_an_entry_is_found_by_our_reference_and_date_and_only_by_ours(harness):
    with harness.session() as session:
        created = session.create_draft_entry(draft(harness, "SIFI-TXN-1"))
        session.create_draft_entry(draft(harness, "SIFI-TXN-12"))
        found = session.find_entry(reference="SIFI-TXN-1", date=DAY)
        assert found is not None and found.id == created.id
        assert session.find_entry(reference="SIFI-TXN-1", date=DAY.replace(day=11)) is None
        assert session.find_entry(reference="SIFI-TXN-2", date=DAY) is None


def test_an_unknown_outcome_is_adopted_not_posted_again(harness):
    """The provider stored the entry but the answer was lost: the engine looks before it
    creates again, and finds it."""
    harness.fault("stored_then_lost", on="create")
    with harness.session() as session:
        with pytest.raises(Unavailable):
            session.create_draft_entry(draft(harness))
        adopted = session.find_entry(reference="SIFI-TXN-1", date=DAY)
    [held] = harness.held_entries()
    assert adopted is not None and adopted.id == held.id


def test_a_receipt_is_attached_to_the_entry(harness):
    with harness.session() as session:
        created = session.create_draft_entry(draft(harness))
        session.attach_document(
            created.id, filename="receipt.pdf", content=PDF, content_type="application/pdf"
        )
    assert [held.attachments for held in harness.held_entries()] == [1]


def test_books_without_attachments_say_so_and_the_entry_stays(harness):
    harness.without_attachments()
    with harness.session() as session:
        created = session.create_draft_entry(draft(harness))
        with pytest.raises(AttachmentsUnsupported):
            session.attach_document(
                created.id, filename="receipt.pdf", content=PDF, content_type="application/pdf"
            )
    assert len(harness.held_entries()) == 1


def test_refused_credentials_are_auth_refused(harness):
    with harness.session(valid=False) as session, pytest.raises(AuthRefused):
        session.read_chart()
    harness.revoke()
    with harness.session() as session, pytest.raises(AuthRefused):
        session.create_draft_entry(draft(harness))
    assert harness.held_entries() == []


def test_content_the_provider_refuses_is_rejected_with_its_message(harness):
    with harness.session() as session, pytest.raises(Rejected) as refused:
        session.create_draft_entry(draft(harness, account=harness.unknown_account))
    assert refused.value.message and not refused.value.retryable
    assert harness.held_entries() == []


def test_a_server_error_on_create_is_unavailable_and_not_sent_again(harness):
    harness.fault("server_error", on="create")
    with harness.session() as session, pytest.raises(Unavailable) as failed:
        session.create_draft_entry(draft(harness))
    assert failed.value.retryable
    assert harness.held_entries() == []  # a write is never re-sent after an unknown outcome


def test_a_provider_that_keeps_asking_us_to_wait_is_rate_limited_with_the_wait(harness):
    harness.fault("rate_limited", on="create", count=10)
    with harness.session() as session, pytest.raises(RateLimited) as limited:
        session.create_draft_entry(draft(harness))
    assert limited.value.retry_after > 0 and limited.value.retryable
    assert harness.held_entries() == []


def test_every_error_a_session_raises_is_a_neutral_one(harness):
    """Nothing else (no httpx error, no provider-only type outside the neutral tree) reaches
    the engine: each failure above is a ProviderError."""
    harness.fault("server_error", on="create")
    with harness.session() as session:
        try:
            session.create_draft_entry(draft(harness))
        except Exception as exc:
            assert isinstance(exc, ProviderError), type(exc)
        else:
            pytest.fail("the injected server error did not surface")


def test_entries_read_back_by_date_range_and_by_id_as_the_books_hold_them(harness):
    """What reconciliation reads: every entry of a date range (all pages), and entries by id
    (None for one the books no longer have)."""
    with harness.session() as session:
        first = session.create_draft_entry(draft(harness, "SIFI-TXN-1"))
        second = session.create_draft_entry(draft(harness, "SIFI-TXN-2", amount="230.00"))
        later = session.create_draft_entry(draft(harness, "SIFI-TXN-3", date=DAY.replace(day=20)))
        held = {entry.id: entry for entry in session.list_entries(date_from=DAY, date_to=DAY)}
        by_id = session.get_entries([later.id, harness.unknown_entry])
    assert set(held) == {first.id, second.id}
    assert (held[second.id].reference, held[second.id].date) == ("SIFI-TXN-2", DAY)
    assert held[second.id].total_debit == Decimal("230.00")
    sent = sorted((line.account, line.side, line.amount) for line in draft(harness).lines)
    assert sorted((line.account, line.side, line.amount) for line in held[first.id].lines) == sent
    assert by_id[later.id] is not None and by_id[later.id].reference == "SIFI-TXN-3"
    assert by_id[harness.unknown_entry] is None


def test_the_session_offers_what_its_provider_declares(harness):
    """The engine branches on the provider's capabilities: files uploaded before the create
    need `upload_document`, a draft made by a second call needs `mark_as_draft`."""
    provider = provider_for(harness.key)
    with harness.session() as session:
        if provider.attachment_flow == AttachmentFlow.UPLOAD_BEFORE_CREATE:
            assert isinstance(session, UploadingSession)
        if provider.draft_may_need_second_call:
            assert isinstance(session, RedraftingSession)
