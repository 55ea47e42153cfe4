"""What the sync tests do around a run, whichever books it pushes to: verified transactions,
their receipts, pushing a run in this process as the workers would, and waiting for a run that
real workers push."""

import time
from collections.abc import Callable

from django.core.files.base import ContentFile

from accounting.models import Document, SyncRun, SyncRunStatus, TransactionStatus
from accounting.services.turns import pending_batches, push_batch
from tests.factories import make_transaction

PDF = b"%PDF-1.4\n%%EOF\n"


def verified(org, account, count, **fields):
    return [
        make_transaction(org, status=TransactionStatus.VERIFIED, account=account, **fields)
        for _ in range(count)
    ]


def with_receipt(txn, content=PDF, filename="receipt.pdf", content_type="application/pdf"):
    document = Document(
        organization=txn.organization,
        transaction=txn,
        filename=filename,
        content_type=content_type,
        size=len(content),
        sha256=f"{txn.pk:064d}",
    )
    document.file.save(filename, ContentFile(content), save=False)
    document.save()
    return txn


def drain(run):
    """What the workers do: push every pending transaction of the run, coming back when the
    company's request budget defers it."""
    for _ in range(50):
        batches = pending_batches(run)
        if not batches:
            break
        for batch in batches:
            wait = push_batch(run_id=run.pk, transaction_ids=batch)
            if wait:
                time.sleep(min(wait, 2.0))
                break
    run.refresh_from_db()
    return run


def wait_for(condition: Callable[[], bool], *, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.5)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def run_finished(run_id: int) -> bool:
    return SyncRun.objects.get(pk=run_id).status not in (
        SyncRunStatus.QUEUED,
        SyncRunStatus.RUNNING,
    )
