"""Qoyod behind the ledger's provider interface (`accounting.providers`).

The session wraps one `QoyodClient` (one API key, that tenant's shared rate limit) and speaks
the ledger's shapes: the neutral chart, the neutral draft, entry references, ids as strings
(the client keeps Qoyod's integers; `payloads` converts). Errors need no translation here:
every Qoyod error already is one of the neutral errors (`errors.py`).
"""

import datetime
from collections.abc import Mapping, Sequence
from typing import Any

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from accounting import journal
from accounting.providers import AttachmentRef, ChartAccount, EntryRef, HeldEntry, Provider
from integrations.http_client import ClientSession
from integrations.providers.qoyod.client import QoyodClient
from integrations.providers.qoyod.payloads import (
    QoyodVendor,
    chart_from,
    held_entry_from,
    is_qoyod_id,
    ledger_id,
    qoyod_draft,
    qoyod_id,
)
from integrations.providers.qoyod.ratelimit import limiter_for_api_key
from integrations.ratelimit import RedisRateLimiter

# Qoyod's bare public API creates entries without a status (posted, not draft).
NO_DRAFT_STATUS = "Approved (no draft support)"


def open_qoyod_client(*, api_key: str, max_wait: float | None = None) -> QoyodClient:
    """A client for one Qoyod tenant, sharing that tenant's rate limit with every worker
    (waiting at most `max_wait` seconds for a slot; None: as long as it takes)."""
    return QoyodClient(api_key, rate_limiter=limiter_for_api_key(api_key, max_wait=max_wait))


class QoyodSession(ClientSession[QoyodClient]):
    """An open connection to one Qoyod company, as the ledger's `ProviderSession`."""

    def __init__(self, client: QoyodClient) -> None:
        self.client = client

    def read_chart(self) -> list[ChartAccount]:
        return chart_from(self.client.list_accounts())

    def read_vendors(self) -> list[QoyodVendor]:
        return self.client.list_vendors()

    def create_draft_entry(
        self,
        draft: journal.JournalEntryDraft,
        *,
        attachments: Sequence[AttachmentRef] = (),
        idempotency_key: str | None = None,
    ) -> EntryRef:
        """Qoyod takes files after the create and no idempotency key (QoyodProvider keeps
        the plain capabilities): the engine passes neither."""
        created = self.client.create_journal_entry(qoyod_draft(draft))
        return EntryRef(id=ledger_id(created.id), status=created.status or NO_DRAFT_STATUS)

    def find_entry(self, *, reference: str, date: datetime.date) -> EntryRef | None:
        found = self.client.find_journal_entry(reference=reference, date=date)
        if found is None:
            return None
        return EntryRef(id=ledger_id(found.id), status=found.status or NO_DRAFT_STATUS)

    def list_entries(self, *, date_from: datetime.date, date_to: datetime.date) -> list[HeldEntry]:
        rows = self.client.list_journal_entries(date_from=date_from, date_to=date_to)
        # Oldest first: Qoyod numbers entries as it creates them (as numbers, not as text).
        rows.sort(key=lambda row: int(row["id"]))
        return [held_entry_from(row, no_status=NO_DRAFT_STATUS) for row in rows]

    def get_entries(self, entry_ids: list[str]) -> dict[str, HeldEntry | None]:
        found: dict[str, HeldEntry | None] = dict.fromkeys(entry_ids)
        # An id that cannot be Qoyod's (kept from other books) is not in these: not asked.
        wire_ids = {qoyod_id(entry_id): entry_id for entry_id in entry_ids if is_qoyod_id(entry_id)}
        for wire_id, row in self.client.get_journal_entries(list(wire_ids)).items():
            if row:
                found[wire_ids[wire_id]] = held_entry_from(row, no_status=NO_DRAFT_STATUS)
        return found

    def list_attachments(self, entry_id: str) -> list[str]:
        return self.client.list_attachments(qoyod_id(entry_id))

    def attach_document(
        self, entry_id: str, *, filename: str, content: bytes, content_type: str
    ) -> AttachmentRef:
        attached = self.client.attach_document(
            qoyod_id(entry_id), filename=filename, content=content, content_type=content_type
        )
        return AttachmentRef(id=None if attached.id is None else ledger_id(attached.id))


class QoyodProvider(Provider):
    key = "qoyod"
    connect_flow = "integrations.providers.qoyod.connect.QoyodConnect"
    name = _("Qoyod")
    description = _("Saudi cloud accounting. Chart of accounts in, draft journal entries out.")

    def open_session(
        self,
        credentials: dict[str, str],
        *,
        journal: str | None = None,
        max_wait: float | None = None,
        options: Mapping[str, Any] | None = None,
    ) -> QoyodSession:
        """Qoyod keeps no journals: `journal` is ignored."""
        return QoyodSession(open_qoyod_client(api_key=credentials["api_key"], max_wait=max_wait))

    def request_budget(
        self, credentials: dict[str, str], *, options: Mapping[str, Any] | None = None
    ) -> RedisRateLimiter:
        return limiter_for_api_key(credentials["api_key"])

    def entry_url(self, entry_id: str | None, *, credentials: dict[str, str] | None = None) -> str:
        """settings.QOYOD_ENTRY_URL with the entry's id ({id}); empty: no link (the address of
        an entry in Qoyod's web app is not documented; bin/start points it at the sandbox)."""
        template = settings.QOYOD_ENTRY_URL
        return template.replace("{id}", str(entry_id)) if template and entry_id else ""
