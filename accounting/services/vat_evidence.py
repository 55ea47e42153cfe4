"""VAT evidence: each transaction's receipts are read for a ZATCA QR code, in the background,
and what they say is kept on the transaction (`vat_evidence`, `vat_invoice`).

Ingestion only queues the reading (`ingestion.queue_vat_reading`, once its rows are
committed, in chunks of `READ_CHUNK`), so its answer never waits for a decoder. Reading again
is harmless: the outcome depends only on the transaction's figures and its receipts, and a
correction or a late receipt queues it again.
"""

import logging
from collections.abc import Iterable, Iterator, Sequence

from accounting.models import Document, Transaction, VatEvidence
from accounting.vat_invoice import SAUDI_CURRENCY, VatInvoice, evidence_for, read_invoice

logger = logging.getLogger(__name__)

# Transactions per task: a batch of 1,000 is read by several workers side by side.
READ_CHUNK = 50


def _receipt_invoice(documents: Sequence[Document], txn: Transaction) -> VatInvoice | None:
    """The invoice that backs the transaction if one of its receipts holds one, else the first
    invoice found, else None."""
    first: VatInvoice | None = None
    for document in documents:
        try:
            with document.file.open("rb") as handle:
                content = handle.read()
        except OSError:  # the file is not written yet or is gone: nothing to read
            logger.warning("receipt %s has no file to read", document.pk)
            continue
        invoice = read_invoice(content, document.content_type)
        if invoice is None:
            continue
        if evidence_for(txn, invoice) == VatEvidence.BACKED:
            return invoice
        first = first or invoice
    return first


def read_vat_evidence(*, transaction_ids: Iterable[int]) -> dict[str, int]:
    """Read the receipts of these transactions and store what their QR codes say.

    Each transaction is written with one conditional UPDATE that also checks its figures are
    still the ones read against (a correction in between queues its own reading), so nothing
    stale is ever stored. Idempotent. Returns how many got each evidence."""
    ids = list(transaction_ids)
    documents: dict[int, list[Document]] = {}
    for document in Document.objects.filter(transaction_id__in=ids).order_by("id"):
        documents.setdefault(document.transaction_id, []).append(document)
    outcome: dict[str, int] = {}
    for txn in Transaction.objects.filter(pk__in=ids).only(
        "pk", "amount", "vat_amount", "original_currency"
    ):
        invoice = None
        # Spending abroad bears no Saudi input VAT: its receipts are not read.
        if txn.original_currency in ("", SAUDI_CURRENCY):
            invoice = _receipt_invoice(documents.get(txn.pk, []), txn)
        evidence = evidence_for(txn, invoice)
        Transaction.objects.filter(
            pk=txn.pk,
            amount=txn.amount,
            vat_amount=txn.vat_amount,
            original_currency=txn.original_currency,
        ).update(vat_evidence=evidence, vat_invoice=invoice.as_json() if invoice else None)
        outcome[evidence] = outcome.get(evidence, 0) + 1
    return outcome


def pending_chunks(*, organization_id: int | None = None) -> Iterator[list[int]]:
    """Ids of the transactions whose receipts were never read (those ingested before VAT
    evidence existed, or whose reading was lost), in chunks of READ_CHUNK, by id."""
    pending = Transaction.objects.filter(vat_evidence=VatEvidence.PENDING)
    if organization_id is not None:
        pending = pending.filter(organization_id=organization_id)
    last = 0
    while True:
        chunk = list(
            pending.filter(pk__gt=last).order_by("pk").values_list("pk", flat=True)[:READ_CHUNK]
        )
        if not chunk:
            return
        yield chunk
        last = chunk[-1]
