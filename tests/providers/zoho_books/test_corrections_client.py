"""Correcting a draft journal in Zoho Books at the HTTP layer (respx): one PUT of the whole
journal with the organization, never resent after an unknown outcome; a refusal of a
published journal read as one."""

import datetime
import json
from decimal import Decimal

import httpx
import pytest

from accounting.journal import CREDIT, DEBIT, JournalEntryDraft, JournalLine
from accounting.providers import NotADraft
from integrations.providers.zoho_books.client import ZohoBooksClient
from integrations.providers.zoho_books.errors import (
    ZohoBooksJournalPublished,
    ZohoBooksRejected,
    ZohoBooksUnavailable,
)
from integrations.providers.zoho_books.payloads import zoho_journal
from integrations.providers.zoho_books.provider import ZohoBooksSession
from tests.providers.zoho_books.conftest import API_DOMAIN, ORG
from tests.providers.zoho_books.test_client import JOURNAL, JOURNAL_ID, ok

DRAFT = JournalEntryDraft(
    reference="SIFI-TX-1",
    date=datetime.date(2025, 3, 2),
    description="Card expense · Careem",
    currency="SAR",
    lines=(
        JournalLine("460000000000399", DEBIT, Decimal("115.00")),
        JournalLine("460000000000388", CREDIT, Decimal("115.00")),
    ),
)


def refusal(code: int, message: str) -> httpx.Response:
    return httpx.Response(400, json={"code": code, "message": message})


def test_a_journal_is_updated_with_one_put_of_the_whole_journal(zoho, client):
    route = zoho.put(f"/journals/{JOURNAL_ID}").mock(
        return_value=ok(message="The journal entry has been updated.", journal=JOURNAL)
    )
    with ZohoBooksSession(client) as session:
        updated = session.update_draft_entry(JOURNAL_ID, DRAFT)
    assert (updated.id, updated.status) == (JOURNAL_ID, "draft")
    request = route.calls.last.request
    assert json.loads(request.content) == zoho_journal(DRAFT)
    assert json.loads(request.content)["status"] == "draft"
    assert request.url.params["organization_id"] == ORG


def test_an_update_whose_outcome_is_unknown_is_never_sent_again(zoho, tokens):
    route = zoho.put(f"/journals/{JOURNAL_ID}").mock(side_effect=httpx.ReadTimeout("slow"))
    with (
        ZohoBooksClient(
            api_domain=API_DOMAIN, organization_id=ORG, token_source=tokens, max_retries=3
        ) as zoho_client,
        pytest.raises(ZohoBooksUnavailable),
    ):
        zoho_client.update_journal(JOURNAL_ID, {"journal_date": "2025-03-02"})
    assert route.call_count == 1


def test_a_refused_update_of_a_published_journal_is_not_a_draft(zoho, client):
    zoho.put(f"/journals/{JOURNAL_ID}").mock(return_value=refusal(4060, "It is published."))
    zoho.get(f"/journals/{JOURNAL_ID}").mock(
        return_value=ok(journal={**JOURNAL, "status": "published"})
    )
    with ZohoBooksSession(client) as session, pytest.raises(ZohoBooksJournalPublished) as refused:
        session.update_draft_entry(JOURNAL_ID, DRAFT)
    assert isinstance(refused.value, NotADraft) and refused.value.code == 4060


def test_a_refused_update_of_a_draft_is_the_refusal(zoho, client):
    zoho.put(f"/journals/{JOURNAL_ID}").mock(return_value=refusal(4071, "The account is inactive."))
    zoho.get(f"/journals/{JOURNAL_ID}").mock(return_value=ok(journal=JOURNAL))
    with ZohoBooksSession(client) as session, pytest.raises(ZohoBooksRejected) as refused:
        session.update_draft_entry(JOURNAL_ID, DRAFT)
    assert not isinstance(refused.value, NotADraft)
