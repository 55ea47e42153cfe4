"""Reconciliation: what the books hold now, against what we sent (SPEC §5).

For a date range, every synced transaction is compared with the provider's entries, found by
the stored entry id and by our reference (the provider's date-range listing, all pages):
- **missing**: the entry we created is gone and no entry carries our reference;
- **duplicated**: more than one entry carries our reference;
- **mismatched**: the date, the amount or the accounts differ from what we sent (said how);
  a date is also said to be outside the posting-date policy (neither the transaction's date
  nor the day we booked it on, and not the first open day the policy allows) or inside the
  books' closed period;
- else **matched**.
Requests: the listing's pages, plus one lookup by id for each entry the listing did not
return (its date may have been changed); the provider sends them a few at a time. All go
through the organization's session, so within its provider's shared rate limit.
"""

import datetime
import logging
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.http import Http404
from django.utils import timezone

from accounting.journal import journal_entry_for, lines_snapshot
from accounting.models import (
    Account,
    Document,
    PostingDatePolicy,
    Reconciliation,
    ReconciliationItem,
    ReconciliationProblem,
    ReconciliationStatus,
    Transaction,
    TransactionStatus,
)
from accounting.providers import HeldEntry, ProviderError, connection_for
from accounting.services.accounting_settings import posting_date_policy_of
from accounting.services.closed_periods import first_open_day, is_closed
from accounting.services.turns import has_pending
from sifi.models import Organization
from sifi.services import record_audit

logger = logging.getLogger(__name__)

CHUNK = 2000
Line = tuple[str, str, Decimal]  # (the provider's account id, side, amount)


def waits_for_pushes(reconciliation_id: int) -> bool:
    """A queued reconciliation waits while its organization's pushes are pending: they share
    the company's request budget, and pushes go first (the reconciliation would also compare
    a range that is still being written)."""
    queued = Reconciliation.objects.filter(
        pk=reconciliation_id, status=ReconciliationStatus.QUEUED
    ).values_list("organization_id", flat=True)
    organization_id = queued.first()
    return organization_id is not None and has_pending(organization_id)


def claim_reconciliation(reconciliation_id: int) -> Reconciliation | None:
    """Take a queued reconciliation for this worker; None if another took it (or it ended)."""
    claimed = Reconciliation.objects.filter(
        pk=reconciliation_id, status=ReconciliationStatus.QUEUED
    ).update(status=ReconciliationStatus.RUNNING, started_at=timezone.now())
    if not claimed:
        return None
    return Reconciliation.objects.select_related("organization").get(pk=reconciliation_id)


def run_reconciliation(*, reconciliation_id: int) -> Reconciliation | None:
    """Compare the range's synced transactions with the books; store the findings and the
    counts. Idempotent: a reconciliation already taken or finished is left alone. A provider
    failure ends it as failed with a reason a person can act on."""
    reconciliation = claim_reconciliation(reconciliation_id)
    if reconciliation is None:
        return None
    books = connection_for(reconciliation.organization)
    if books is None or not books.is_connected:
        return _finish(reconciliation, error="No accounting system is connected.")
    synced = Transaction.objects.filter(
        organization=reconciliation.organization,
        status=TransactionStatus.SYNCED,
        transaction_date__gte=reconciliation.date_from,
        transaction_date__lte=reconciliation.date_to,
    ).select_related("account", "employee", "budget")
    items: list[ReconciliationItem] = []
    counts: Counter[str] = Counter()
    source = books.source_account
    dating = Dating(
        closed_until=books.closed_until,
        policy=posting_date_policy_of(reconciliation.organization_id),
    )
    try:
        with books.open_session(max_wait=settings.SYNC_READS_MAX_WAIT_SECONDS) as session:
            held = session.list_entries(
                date_from=reconciliation.date_from, date_to=reconciliation.date_to
            )
            by_id = {entry.id: entry for entry in held}
            by_reference: dict[str, list[HeldEntry]] = defaultdict(list)
            for entry in held:
                if entry.reference:
                    by_reference[entry.reference].append(entry)
            for chunk in _chunks(synced.order_by("pk").iterator(chunk_size=CHUNK), CHUNK):
                # Entries the listing did not return: moved out of the range, or deleted.
                unlisted = [t.journal_entry_id for t in chunk if t.journal_entry_id not in by_id]
                looked_up = session.get_entries([i for i in unlisted if i is not None])
                for txn in chunk:
                    assert txn.journal_entry_id is not None
                    ours = by_id.get(txn.journal_entry_id) or looked_up.get(txn.journal_entry_id)
                    carrying = list(by_reference.get(txn.reference, []))
                    if ours is not None and ours.id not in by_id and ours.reference:
                        carrying.append(ours)
                    finding = compare(txn, ours, carrying, source, dating=dating)
                    counts["checked"] += 1
                    if finding is None:
                        counts["matched"] += 1
                        continue
                    problem, entry_ids, detail = finding
                    counts[problem] += 1
                    items.append(
                        ReconciliationItem(
                            reconciliation=reconciliation,
                            transaction=txn,
                            problem=problem,
                            journal_entry_ids=entry_ids,
                            detail=detail,
                        )
                    )
    except ProviderError as exc:
        return _finish(reconciliation, error=f"{books.provider.name}: {exc.message}")
    late = _late_receipt_items(reconciliation)
    counts[ReconciliationProblem.LATE_RECEIPTS] = len(late)
    with transaction.atomic():
        ReconciliationItem.objects.bulk_create([*items, *late], batch_size=CHUNK)
        for name in ("checked", "matched", *ReconciliationProblem.values):
            setattr(reconciliation, name, counts[name])
        return _finish(reconciliation)


def _late_receipt_items(reconciliation: Reconciliation) -> list[ReconciliationItem]:
    """Synced transactions of the range whose late receipts are not in their entry yet:
    waiting for the company's turn, failed (why), or link only (to be added by hand). Read
    from our side alone: no request to the books."""
    receipts = (
        Document.objects.filter(
            organization=reconciliation.organization,
            late_since__isnull=False,
            attached_at__isnull=True,
            transaction__status=TransactionStatus.SYNCED,
            transaction__transaction_date__gte=reconciliation.date_from,
            transaction__transaction_date__lte=reconciliation.date_to,
        )
        .select_related("transaction")
        .order_by("transaction_id", "pk")
    )
    by_transaction: dict[int, list[Document]] = defaultdict(list)
    for document in receipts:
        by_transaction[document.transaction_id].append(document)
    items = []
    for documents in by_transaction.values():
        txn = documents[0].transaction
        items.append(
            ReconciliationItem(
                reconciliation=reconciliation,
                transaction=txn,
                problem=ReconciliationProblem.LATE_RECEIPTS,
                journal_entry_ids=[txn.journal_entry_id or ""],
                detail="; ".join(_late_receipt_state(document) for document in documents) + ".",
            )
        )
    return items


def _late_receipt_state(document: Document) -> str:
    if document.attach_error:
        return f"{document.filename} failed: {document.attach_error.rstrip('.')}"
    if document.link_only:
        return f"{document.filename}: link only, to be added to the entry by hand"
    return f"{document.filename} waiting to be sent"


def _chunks(rows: Iterable[Transaction], size: int) -> Iterator[list[Transaction]]:
    chunk: list[Transaction] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def compare(
    txn: Transaction,
    ours: HeldEntry | None,
    carrying_reference: Iterable[HeldEntry],
    source_account: Account | None = None,
    *,
    dating: "Dating | None" = None,
) -> tuple[str, list[str], str] | None:
    """What is wrong with a synced transaction's entry, or None when it matches. Entries are
    named in the order the books gave them (oldest first: only the provider knows how its
    ids order), each once."""
    carrying = list({entry.id: entry for entry in carrying_reference}.values())
    if len(carrying) > 1:
        ids = [entry.id for entry in carrying]
        listed = ", ".join(f"#{entry_id}" for entry_id in ids)
        return ReconciliationProblem.DUPLICATED, ids, f"{len(ids)} entries carry it: {listed}."
    if ours is None:
        if carrying:
            other = carrying[0]
            return (
                ReconciliationProblem.MISMATCHED,
                [other.id],
                f"Entry #{txn.journal_entry_id} we created is gone; #{other.id} carries "
                "this reference now.",
            )
        return (
            ReconciliationProblem.MISSING,
            [txn.journal_entry_id or ""],
            f"Entry #{txn.journal_entry_id} is no longer in the books (deleted).",
        )
    differences = _differences(txn, ours, source_account, dating or Dating())
    if differences:
        return ReconciliationProblem.MISMATCHED, [ours.id], "; ".join(differences) + "."
    return None


@dataclass(frozen=True)
class Dating:
    """What dates an entry may have: the books' closed period (its last day, when known) and
    the organization's posting-date policy."""

    closed_until: datetime.date | None = None
    policy: str = PostingDatePolicy.TRANSACTION_DATE


def _date_difference(txn: Transaction, held: datetime.date | None, dating: Dating) -> str:
    """How the entry's date differs from the one we booked it on ("" when it does not, or
    only as the posting-date policy allows), and why that is wrong."""
    sent = txn.booked_on or txn.transaction_date
    if held == sent:
        return ""
    closed_until = dating.closed_until
    if (
        held is not None
        and closed_until is not None
        and dating.policy == PostingDatePolicy.FIRST_OPEN_DAY
        and txn.transaction_date <= closed_until
        and held == first_open_day(closed_until)
    ):
        return ""  # moved to the first open day in the books: what the policy does
    said = f"date {sent} → {held or 'none'}"
    if held is None:
        return said
    if is_closed(held, closed_until):
        return f"{said} (inside the closed period: the books are closed up to {closed_until})"
    if held != txn.transaction_date:
        return f"{said} (outside the posting-date policy: not the transaction's date)"
    return said


def _differences(
    txn: Transaction, held: HeldEntry, source: Account | None, dating: Dating
) -> list[str]:
    found: list[str] = []
    if date_difference := _date_difference(txn, held.date, dating):
        found.append(date_difference)
    if held.total_debit != txn.amount:
        found.append(f"amount {txn.amount:.2f} → {held.total_debit:.2f}")
    sent = Counter(_sent_lines(txn, source))
    kept = Counter((line.account, line.side, line.amount) for line in held.lines)
    if sent != kept:
        gone = _describe(sent - kept)
        added = _describe(kept - sent)
        found.append(
            "lines differ: "
            + "; ".join(part for part in (f"sent {gone}" if gone else "", f"now {added}") if part)
        )
    return found


def _sent_lines(txn: Transaction, source: Account | None) -> list[Line]:
    """The lines we sent (stored at push time), or, for entries pushed before they were kept,
    the two lines every entry had then (assigned account against the Source Account)."""
    sent = txn.journal_entry_lines
    if not sent and txn.account is not None and source is not None:
        sent = lines_snapshot(journal_entry_for(txn, source_account=source))
    # Lines stored before ids were strings hold the account as a JSON number: str() reads both.
    return [
        (str(line["account"]), str(line["side"]), Decimal(str(line["amount"])))
        for line in sent or []
    ]


def _describe(lines: Counter[Line]) -> str:
    return ", ".join(
        f"{side} {account} {amount:.2f}" for (account, side, amount) in sorted(lines.elements())
    )


def _finish(reconciliation: Reconciliation, *, error: str = "") -> Reconciliation:
    reconciliation.status = ReconciliationStatus.FAILED if error else ReconciliationStatus.SUCCEEDED
    reconciliation.error = error
    reconciliation.finished_at = timezone.now()
    reconciliation.save()
    record_audit(
        organization=reconciliation.organization,
        actor=None,
        action="reconciliation.finished",
        target_type="reconciliation",
        target_id=reconciliation.pk,
        after=_summary(reconciliation),
    )
    return reconciliation


def _summary(reconciliation: Reconciliation) -> dict[str, Any]:
    return {
        "status": reconciliation.status,
        "date_from": reconciliation.date_from.isoformat(),
        "date_to": reconciliation.date_to.isoformat(),
        "checked": reconciliation.checked,
        "missing": reconciliation.missing,
        "duplicated": reconciliation.duplicated,
        "mismatched": reconciliation.mismatched,
        "late_receipts": reconciliation.late_receipts,
        "error": reconciliation.error,
    }


def nightly_range(today: datetime.date) -> tuple[datetime.date, datetime.date]:
    """The nightly reconciliation's range: the last 35 days, today included."""
    return today - datetime.timedelta(days=34), today


@transaction.atomic
def acknowledge_reconciliation(
    *, organization: Organization, actor: Any, reconciliation_id: int
) -> Reconciliation:
    """A person has seen the findings: the Accounting page's banner goes away."""
    try:
        reconciliation = Reconciliation.objects.select_for_update().get(
            organization=organization, pk=reconciliation_id
        )
    except Reconciliation.DoesNotExist:
        raise Http404("No such reconciliation.") from None
    if reconciliation.acknowledged_at is None:
        reconciliation.acknowledged_at = timezone.now()
        reconciliation.save(update_fields=["acknowledged_at"])
        record_audit(
            organization=organization,
            actor=actor,
            action="reconciliation.acknowledged",
            target_type="reconciliation",
            target_id=reconciliation.pk,
        )
    return reconciliation
