"""Ingestion of SiFi transactions from the card platform: a batch, idempotent by reference.

Sending the same batch twice changes nothing, also when both arrive at the same moment:
batches of one organization take turns (a transaction-scoped PostgreSQL advisory lock), so
the second finds what the first created instead of failing on the unique reference. A
corrected transaction that is still editable is updated (and audited); one already taken by
a sync run or synced is never changed silently: the correction is stored as "changed after
sync" with the difference. Receipt files are written only once the rows are committed: a
refused batch leaves no file behind; then what was created or corrected is queued to have its
receipts read for VAT evidence (`vat_evidence`).
"""

import datetime
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.utils import timezone

from accounting import tasks
from accounting.models import (
    EDITABLE_STATUSES,
    Budget,
    Card,
    Document,
    Employee,
    Transaction,
    VatEvidence,
    direction_of,
    document_upload_to,
)
from accounting.services.suggestions import apply_rules
from accounting.services.vat_evidence import READ_CHUNK
from sifi.models import Organization
from sifi.services import record_audit

# Fields a correction may change, compared to decide "unchanged" vs "updated".
COMPARED_FIELDS = (
    "type",
    "amount",
    "currency",
    "vat_amount",
    "original_amount",
    "original_currency",
    "merchant",
    "description",
    "occurred_at",
    "employee_id",
    "budget_id",
    "card_id",
)


def wallet_currency_error(organization: Organization, currency: str) -> str | None:
    """`amount` is what the wallet was charged, always in the organization's base currency
    (SPEC §2): anything else would be booked as if it were that currency."""
    if currency == organization.base_currency:
        return None
    base = organization.base_currency
    return (
        f"The wallet is charged in {base}: send amount and currency in {base} (what the wallet "
        f"paid), and the merchant's amount as original_amount with original_currency "
        f"{currency}."
    )


@dataclass(frozen=True)
class IncomingDocument:
    filename: str
    content_type: str
    content: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()


@dataclass(frozen=True)
class IncomingTransaction:
    """One validated item of an ingestion batch (the API's serializer builds these)."""

    reference: str
    type: str
    amount: Decimal
    currency: str
    occurred_at: datetime.datetime
    vat_amount: Decimal | None = None
    original_amount: Decimal | None = None
    original_currency: str = ""
    merchant: str = ""
    description: str = ""
    employee_reference: str = ""
    employee_name: str = ""
    budget: str = ""
    card_reference: str = ""
    card_last4: str = ""
    documents: tuple[IncomingDocument, ...] = ()


@dataclass(frozen=True)
class IncomingReceipts:
    """A late receipt: a batch item with only the reference of a transaction already there
    and its documents (SPEC §8)."""

    reference: str
    documents: tuple[IncomingDocument, ...]


class UnknownTransaction(Exception):
    """A late receipt names a reference the organization has no transaction for."""

    def __init__(self, reference: str) -> None:
        super().__init__(f"No transaction with reference {reference!r}.")
        self.reference = reference


@dataclass
class IngestResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    changed_after_sync: int = 0
    results: list[dict[str, Any]] = field(default_factory=list)


def _upsert_masters(
    organization: Organization, items: list[IncomingTransaction]
) -> tuple[dict[str, Employee], dict[str, Budget], dict[str, Card]]:
    """Employees, budgets and cards the batch mentions, created in bulk if new."""
    employees = {
        item.employee_reference: item.employee_name or item.employee_reference
        for item in items
        if item.employee_reference
    }
    Employee.objects.bulk_create(
        [Employee(organization=organization, reference=r, name=n) for r, n in employees.items()],
        update_conflicts=True,
        unique_fields=["organization", "reference"],
        update_fields=["name"],
    )
    employee_map = {
        e.reference: e
        for e in Employee.objects.filter(organization=organization, reference__in=employees)
    }
    budget_names = {item.budget for item in items if item.budget}
    Budget.objects.bulk_create(
        [Budget(organization=organization, name=name) for name in budget_names],
        ignore_conflicts=True,
    )
    budget_map = {
        b.name: b for b in Budget.objects.filter(organization=organization, name__in=budget_names)
    }
    cards = {}
    for item in items:
        if item.card_reference:
            cards[item.card_reference] = Card(
                organization=organization,
                reference=item.card_reference,
                last4=item.card_last4,
                holder=employee_map.get(item.employee_reference),
                budget=budget_map.get(item.budget),
            )
    Card.objects.bulk_create(
        list(cards.values()),
        update_conflicts=True,
        unique_fields=["organization", "reference"],
        update_fields=["last4", "holder", "budget"],
    )
    card_map = {
        c.reference: c for c in Card.objects.filter(organization=organization, reference__in=cards)
    }
    return employee_map, budget_map, card_map


def _values(
    organization: Organization,
    item: IncomingTransaction,
    masters: tuple[dict[str, Employee], dict[str, Budget], dict[str, Card]],
) -> dict[str, Any]:
    employees, budgets, cards = masters
    employee = employees.get(item.employee_reference)
    budget = budgets.get(item.budget)
    card = cards.get(item.card_reference)
    occurred_at = item.occurred_at
    if timezone.is_naive(occurred_at):
        occurred_at = timezone.make_aware(occurred_at, ZoneInfo(organization.time_zone))
    return {
        "type": item.type,
        "direction": direction_of(item.type),
        "amount": item.amount,
        "currency": item.currency,
        "vat_amount": item.vat_amount,
        "original_amount": item.original_amount,
        "original_currency": item.original_currency,
        "merchant": item.merchant,
        "description": item.description,
        "occurred_at": occurred_at,
        "transaction_date": occurred_at.astimezone(ZoneInfo(organization.time_zone)).date(),
        "employee_id": employee.pk if employee else None,
        "budget_id": budget.pk if budget else None,
        "card_id": card.pk if card else None,
    }


def _jsonable(value: Any) -> Any:
    if isinstance(value, Decimal | datetime.datetime | datetime.date):
        return str(value) if isinstance(value, Decimal) else value.isoformat()
    return value


def _differences(txn: Transaction, values: dict[str, Any]) -> dict[str, list[Any]]:
    return {
        name: [_jsonable(getattr(txn, name)), _jsonable(values[name])]
        for name in COMPARED_FIELDS
        if getattr(txn, name) != values[name]
    }


def _store_documents(
    organization: Organization,
    txn: Transaction,
    documents: tuple[IncomingDocument, ...],
    *,
    late: bool = False,
) -> int:
    """Add the receipts this transaction does not have yet (same content = same receipt);
    `late`: its run took it already, so the receipts are attached as late receipts."""
    if not documents:
        return 0
    known = set(Document.objects.filter(transaction=txn).values_list("sha256", flat=True))
    added = 0
    for doc in documents:
        digest = doc.sha256
        if digest in known:
            continue
        known.add(digest)
        document = Document(
            organization=organization,
            transaction=txn,
            filename=doc.filename,
            content_type=doc.content_type,
            size=len(doc.content),
            sha256=digest,
            late_since=timezone.now() if late else None,
        )
        # Content-addressed name; the file itself is written after the commit.
        document.file.name = document_upload_to(document, doc.filename)
        document.save()
        transaction.on_commit(partial(_write_file, document.file.name, doc))
        added += 1
    return added


def _write_file(name: str, doc: IncomingDocument) -> None:
    """Write a committed receipt's file. Names are per organization and content, so a file
    already there is this very content (the same receipt on another transaction)."""
    if not default_storage.exists(name):
        default_storage.save(name, ContentFile(doc.content))


# Set from the compared fields, never sent: a correction writes them back with the rest.
_DERIVED_FIELDS = ("direction", "transaction_date")

# Namespace of the ingestion advisory lock (the organization's id is the second key).
_INGESTION_LOCK = 7_401


@transaction.atomic
def ingest_transactions(
    *,
    organization: Organization,
    items: Sequence[IncomingTransaction | IncomingReceipts],
    actor: Any = None,
) -> IngestResult:
    """Create or correct the batch's transactions, and add late receipts, all or nothing
    (`UnknownTransaction` when a late receipt's transaction is not there: nothing is saved).

    Idempotent: the same batch again reports every item "unchanged" and writes nothing.
    """
    with connection.cursor() as cursor:
        # Batches of one organization take turns until commit (see the module docstring).
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [_INGESTION_LOCK, organization.pk])
    masters = _upsert_masters(
        organization, [item for item in items if isinstance(item, IncomingTransaction)]
    )
    existing = {
        txn.reference: txn
        for txn in Transaction.objects.select_for_update().filter(
            organization=organization, reference__in=[item.reference for item in items]
        )
    }
    result = IngestResult()
    to_create: list[tuple[IncomingTransaction, Transaction]] = []
    # Receipts for transactions a run took: for their entries, not read for VAT evidence nor
    # proposed an account again (the books hold what was synced).
    sent_already: set[int] = set()
    for incoming in items:
        if isinstance(incoming, IncomingReceipts):
            outcome, receipted = _add_late_receipts(organization, existing, incoming, actor)
            if receipted.status not in EDITABLE_STATUSES:
                sent_already.add(receipted.pk)
            setattr(result, outcome, getattr(result, outcome) + 1)
            result.results.append(
                {"reference": receipted.reference, "id": receipted.pk, "outcome": outcome}
            )
            continue
        item = incoming
        values = _values(organization, item, masters)
        txn = existing.get(item.reference)
        if txn is None:
            to_create.append(
                (item, Transaction(organization=organization, reference=item.reference, **values))
            )
            continue
        outcome = _apply_correction(organization, txn, item, values, actor)
        setattr(result, outcome, getattr(result, outcome) + 1)
        result.results.append({"reference": item.reference, "id": txn.pk, "outcome": outcome})

    created = Transaction.objects.bulk_create([txn for _item, txn in to_create], batch_size=1000)
    for (item, _unsaved), txn in zip(to_create, created, strict=True):
        _store_documents(organization, txn, item.documents)
        result.created += 1
        result.results.append({"reference": item.reference, "id": txn.pk, "outcome": "created"})
    # What arrived new or corrected gets its proposed account (one statement for the batch).
    changed = [
        row["id"]
        for row in result.results
        if row["outcome"] in ("created", "updated") and row["id"] not in sent_already
    ]
    if any(row["outcome"] == "updated" and row["id"] in sent_already for row in result.results):
        # Once per batch: the company's turns attach them (after the files are written).
        transaction.on_commit(partial(tasks.attach_late_receipts.delay, organization.pk))
    if changed:
        apply_rules(organization=organization, ids=changed)
        # Their receipts are read for a tax invoice's QR code after the commit, in the
        # background (the files are written first: those callbacks were queued before).
        queue_vat_reading(changed)
    return result


def _add_late_receipts(
    organization: Organization,
    existing: dict[str, Transaction],
    receipts: IncomingReceipts,
    actor: Any,
) -> tuple[str, Transaction]:
    """A late receipt is a correction that changes no figure: stored (and audited) while the
    transaction is editable, kept as a change after sync once a run took it."""
    txn = existing.get(receipts.reference)
    if txn is None:
        raise UnknownTransaction(receipts.reference)
    if txn.status not in EDITABLE_STATUSES:
        return _add_receipts_to_entry(organization, txn, receipts, actor), txn
    unchanged = {name: getattr(txn, name) for name in (*COMPARED_FIELDS, *_DERIVED_FIELDS)}
    item = IncomingTransaction(
        reference=txn.reference,
        type=txn.type,
        amount=txn.amount,
        currency=txn.currency,
        occurred_at=txn.occurred_at,
        documents=receipts.documents,
    )
    return _apply_correction(organization, txn, item, unchanged, actor), txn


def _add_receipts_to_entry(
    organization: Organization, txn: Transaction, receipts: IncomingReceipts, actor: Any
) -> str:
    """Receipts for a transaction a run took (syncing) or synced: stored as late receipts, to
    be attached to its entry in the company's turn (`late_receipts`; the batch starts the
    turns), audited. The figures in the books are not touched."""
    added = _store_documents(organization, txn, receipts.documents, late=True)
    if not added:
        return "unchanged"
    record_audit(
        organization=organization,
        actor=actor,
        action="transaction.late_receipts_received",
        target_type="transaction",
        target_id=txn.pk,
        after={"documents_added": added, "status": txn.status},
    )
    return "updated"


def queue_vat_reading(transaction_ids: list[int]) -> None:
    """Queue the reading of these transactions' receipts for VAT evidence once the current
    database transaction commits (rows and files are there by then), in chunks, so several
    workers share a large batch."""
    for start in range(0, len(transaction_ids), READ_CHUNK):
        chunk = transaction_ids[start : start + READ_CHUNK]
        transaction.on_commit(partial(tasks.read_vat_evidence.delay, chunk))


def _apply_correction(
    organization: Organization,
    txn: Transaction,
    item: IncomingTransaction,
    values: dict[str, Any],
    actor: Any,
) -> str:
    differences = _differences(txn, values)
    new_documents = [doc for doc in item.documents if doc.sha256 not in _known_digests(txn)]
    if not differences and not new_documents:
        return "unchanged"
    if txn.status in EDITABLE_STATUSES:
        before = {name: old for name, (old, _new) in differences.items()}
        for name, value in values.items():
            setattr(txn, name, value)
        # New figures or a new receipt: what the receipts say of the VAT is read again (queued
        # on commit); until then it is not known, so no sync relies on the old answer.
        txn.vat_evidence = VatEvidence.PENDING
        txn.save()
        added = _store_documents(organization, txn, item.documents)
        record_audit(
            organization=organization,
            actor=actor,
            action="transaction.corrected",
            target_type="transaction",
            target_id=txn.pk,
            before=before,
            after={
                **{name: new for name, (_old, new) in differences.items()},
                "documents_added": added,
            },
        )
        return "updated"
    # Taken by a run or synced: keep what the books have, show the difference to a person.
    change = {
        "received_at": timezone.now().isoformat(),
        "differences": differences,
        "new_documents": [doc.filename for doc in new_documents],
    }
    if (
        txn.changed_after_sync
        and txn.changed_after_sync.get("differences") == differences
        and (txn.changed_after_sync.get("new_documents") == change["new_documents"])
    ):
        return "unchanged"
    txn.changed_after_sync = change
    txn.save(update_fields=["changed_after_sync", "updated_at"])
    record_audit(
        organization=organization,
        actor=actor,
        action="transaction.changed_after_sync",
        target_type="transaction",
        target_id=txn.pk,
        before=None,
        after=change,
    )
    return "changed_after_sync"


def _known_digests(txn: Transaction) -> set[str]:
    return set(Document.objects.filter(transaction=txn).values_list("sha256", flat=True))
