"""Corrections (issue 26): reassign a synced transaction whose entry is still a draft in the
books. The entry is updated in place where the provider's API allows it
(`Provider.can_update_drafts`, an `EditingSession`), never created a second time; where it
does not (the API cannot edit entries, or the books have posted it), SiFi says so and what to
change by hand, and sends nothing.

Done in the request, synchronously: a correction is one person's click and two requests to
the books (read the entry, update it), sent through the company's request budget like every
push (`open_session(max_wait=MAX_WAIT_SECONDS)`): when the budget has no slot that soon,
nothing is sent and the person is told when to try again.

Exactly once, like a push (`push`):
- the same PostgreSQL advisory lock as the push of the transaction: one worker or request at
  a time touches its entry;
- one correction in flight per transaction (`Correction`, a unique partial index);
- "about to update" (`update_started_at`) and the lines sent are committed before the update
  call; a correction left in flight by an unknown outcome (`Unavailable`) is settled by the
  next request for the transaction: it reads the entry and compares its lines with the ones
  sent, and sends nothing when the books already hold them.
Every step writes the audit trail: requested (old and new account), updated in the books,
refused (with why), to change by hand (with what), the outcome unknown.
"""

import dataclasses
from collections import Counter
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from accounting.journal import JournalEntryDraft, ReverseChargeUnsupported, lines_snapshot
from accounting.models import (
    OPEN_CORRECTION_STATES,
    Account,
    Correction,
    CorrectionState,
    Transaction,
    TransactionStatus,
)
from accounting.providers import (
    AuthRefused,
    BooksConnection,
    EditingSession,
    HeldEntry,
    NotADraft,
    ProviderError,
    RateLimited,
    Rejected,
    Unavailable,
    connection_for,
)
from accounting.services.push import entry_draft, push_lock
from accounting.services.receipts import link_for
from accounting.services.verification import _assignable_account
from sifi.exceptions import Conflict
from sifi.models import Organization, User
from sifi.services import record_audit

# How long a correction waits for a slot of the company's request budget before it is told
# to try again (a person is waiting for the page).
MAX_WAIT_SECONDS = 5.0


def reassign_synced(
    *, organization: Organization, actor: Any, transaction_id: int, account_id: Any
) -> Correction:
    """Move a synced transaction's entry to `account_id`. The answer is the correction, in
    one of its states: updated, to change by hand, refused, or updating (the books did not
    answer: whether they took it is unknown; the same request again settles it).

    404 for a transaction of another organization; 409 (`Conflict`) when the transaction is
    not synced or is being pushed or corrected right now; 400 on `account` for an account
    that cannot take it (verification's rules)."""
    txn = _synced_transaction(organization, transaction_id)
    books = connection_for(organization)
    source = books.source_account if books is not None else None
    if books is None or source is None:
        raise Conflict(
            _("Connect your books and set the Source Account before correcting an entry."),
            code="books_not_connected",
        )
    account = _assignable_account(organization=organization, account_id=account_id, source=source)
    with push_lock(txn.pk) as mine:
        if not mine:
            raise Conflict(
                _(
                    "Transaction %(reference)s is being pushed or corrected right now; try "
                    "again in a moment."
                )
                % {"reference": txn.reference},
                code="transaction_busy",
            )
        txn = _synced_transaction(organization, transaction_id)
        return _reassign_locked(txn, account, books, actor)


def open_correction(txn: Transaction) -> Correction | None:
    return (
        Correction.objects.select_related("from_account", "to_account")
        .filter(transaction=txn, state__in=OPEN_CORRECTION_STATES)
        .first()
    )


def hand_change(correction: Correction, books: BooksConnection | None) -> dict[str, Any]:
    """What a person changes in the books, for a correction to make by hand: the entry (its
    id and where to open it), the line (its side and amount as sent) and the two accounts."""
    side, amount = "", ""
    for line in correction.transaction.journal_entry_lines or []:
        if line.get("account") == correction.from_account.external_id:
            side, amount = str(line.get("side", "")), str(line.get("amount", ""))
            break
    return {
        "journal_entry_id": correction.journal_entry_id,
        "entry_url": books.entry_url(correction.journal_entry_id) if books else "",
        "side": side,
        "amount": amount,
        "currency": correction.transaction.currency,
        "from_account": str(correction.from_account),
        "to_account": str(correction.to_account),
    }


# --- the steps ---------------------------------------------------------------------------------


def _synced_transaction(organization: Organization, transaction_id: int) -> Transaction:
    try:
        txn = (
            Transaction.objects.select_related("account", "employee", "budget", "organization")
            .filter(organization=organization)
            .get(pk=transaction_id)
        )
    except Transaction.DoesNotExist:
        raise Http404("No such transaction.") from None
    if txn.status != TransactionStatus.SYNCED or txn.journal_entry_id is None:
        raise Conflict(
            _(
                "Transaction %(reference)s is not synced; change its account with Assign "
                "instead (only a synced transaction's entry is corrected in the books)."
            )
            % {"reference": txn.reference},
            code="transaction_not_synced",
        )
    return txn


def _reassign_locked(
    txn: Transaction, account: Account, books: BooksConnection, actor: Any
) -> Correction:
    provider = books.provider
    pending = open_correction(txn)
    if pending is None and account.pk == txn.account_id:
        raise ValidationError(
            {
                "account": [
                    _("Transaction %(reference)s is already booked on %(account)s.")
                    % {"reference": txn.reference, "account": account}
                ]
            }
        )
    if not provider.can_update_drafts:
        if pending is not None and pending.to_account_id != account.pk:
            _replaced(pending, account)  # nothing was ever sent for it
            pending = None
        return _by_hand(
            _take(txn, account, actor, pending),
            books,
            _("%(provider)s's API cannot change an entry once it is created.")
            % {"provider": provider.name},
        )
    session = books.open_session(max_wait=MAX_WAIT_SECONDS)
    correction: Correction | None = pending
    try:
        with session:
            if not isinstance(session, EditingSession):
                raise TypeError(f"{provider.key} declares can_update_drafts without updates")
            assert txn.journal_entry_id is not None
            held = session.get_entries([txn.journal_entry_id]).get(txn.journal_entry_id)
            if pending is not None:
                pending = _settle(pending, txn, held)
                if pending is not None and pending.to_account_id != account.pk:
                    _replaced(pending, account)
                    pending = None
                txn.refresh_from_db(fields=["account", "journal_entry_lines"])
                if pending is None and account.pk == txn.account_id:
                    # The books already hold it (an earlier request's update did land).
                    done = txn.corrections.filter(to_account=account).first()
                    assert done is not None
                    return done
            correction = _take(txn, account, actor, pending)
            if held is None:
                return _finish(
                    correction,
                    CorrectionState.REFUSED,
                    reason=_(
                        "Entry %(entry)s is no longer in %(provider)s (deleted there); nothing "
                        "was changed. Run a reconciliation to see what the books hold."
                    )
                    % {"entry": txn.journal_entry_id, "provider": provider.name},
                    action="transaction.correction_refused",
                )
            if not provider.is_draft(held.status):
                return _posted(correction, books, held.status)
            try:
                draft = _corrected_draft(txn, account, books, held)
            except ReverseChargeUnsupported:
                return _by_hand(
                    correction,
                    books,
                    _("%(provider)s cannot take a reverse charge's VAT lines.")
                    % {"provider": provider.name},
                )
            return _update(correction, txn, draft, session)
    except NotADraft as exc:
        assert correction is not None
        return _posted(correction, books, exc.message)
    except AuthRefused as exc:
        books.needs_attention(exc.message)
        return _refused(correction, txn, account, actor, books, exc)
    except Unavailable as exc:
        return _refused(
            correction,
            txn,
            account,
            actor,
            books,
            exc,
            _(
                "%(provider)s could not be reached; nothing was changed (%(reason)s). Try "
                "again later."
            )
            % {"provider": provider.name, "reason": exc.message.rstrip(".")},
        )
    except RateLimited as exc:
        return _refused(
            correction,
            txn,
            account,
            actor,
            books,
            exc,
            _(
                "%(provider)s's request limit is used up for now; nothing was changed. Try "
                "again in %(seconds)s s."
            )
            % {"provider": provider.name, "seconds": max(1, round(exc.retry_after))},
        )
    except ProviderError as exc:
        return _refused(correction, txn, account, actor, books, exc)


def _replaced(pending: Correction, account: Account) -> None:
    """A correction in flight the books never took, replaced by one to `account`: closed."""
    _finish(
        pending,
        CorrectionState.REFUSED,
        reason=_("Replaced by a correction to %(account)s before it reached the books.")
        % {"account": account},
        action="transaction.correction_refused",
    )


def _take(txn: Transaction, account: Account, actor: Any, pending: Correction | None) -> Correction:
    """The correction in flight for `account`: the one an earlier request left (nothing sent,
    or settled as not taken by the books), or a new one, with its "requested" audit row."""
    if pending is not None:
        return pending
    assert txn.account is not None and txn.journal_entry_id is not None
    with transaction.atomic():
        correction = Correction.objects.create(
            organization=txn.organization,
            transaction=txn,
            from_account=txn.account,
            to_account=account,
            journal_entry_id=txn.journal_entry_id,
            requested_by=actor if isinstance(actor, User) else None,
        )
        record_audit(
            organization=txn.organization,
            actor=actor,
            action="transaction.correction_requested",
            target_type="transaction",
            target_id=txn.pk,
            before={"account": txn.account_id, "account_label": str(txn.account)},
            after={
                "account": account.pk,
                "account_label": str(account),
                "journal_entry_id": txn.journal_entry_id,
                "correction": correction.pk,
            },
        )
    return correction


def _settle(pending: Correction, txn: Transaction, held: HeldEntry | None) -> Correction | None:
    """A correction an earlier request left in flight. Sent (`updating`) and the books hold
    its lines: it is updated (nothing is sent again). Otherwise it is still to do: returned."""
    settled = pending.state == CorrectionState.UPDATING and held is not None
    if settled and held is not None and _same_lines(held, pending.lines or []):
        _apply(pending, txn, pending.lines or [], confirmed=True)
        return None
    return pending


def _same_lines(held: HeldEntry, sent: list[dict[str, str]]) -> bool:
    """Whether the books hold exactly the lines sent (account, side, amount; any order)."""
    theirs = Counter((line.account, line.side, Decimal(line.amount)) for line in held.lines)
    ours = Counter((line["account"], line["side"], Decimal(line["amount"])) for line in sent)
    return theirs == ours


def _corrected_draft(
    txn: Transaction, account: Account, books: BooksConnection, held: HeldEntry
) -> JournalEntryDraft:
    """The transaction's entry rebuilt as it is pushed, on `account`, dated as the books hold
    it (the date is not what is corrected)."""
    source = books.source_account
    assert source is not None
    txn.account = account  # in memory only: the transaction changes once the books did
    draft = entry_draft(
        txn,
        source=source,
        input_vat=books.input_vat,
        books=books,
        receipt_links=[link_for(document) for document in txn.documents.all()],
    )
    if held.date is not None and held.date != draft.date:
        draft = dataclasses.replace(draft, date=held.date)
    return draft


def _update(
    correction: Correction, txn: Transaction, draft: JournalEntryDraft, session: EditingSession
) -> Correction:
    lines = lines_snapshot(draft)
    now = timezone.now()
    Correction.objects.filter(pk=correction.pk).update(
        state=CorrectionState.UPDATING, lines=lines, update_started_at=now
    )
    correction.state, correction.lines, correction.update_started_at = (
        CorrectionState.UPDATING,
        lines,
        now,
    )
    assert txn.journal_entry_id is not None
    try:
        session.update_draft_entry(txn.journal_entry_id, draft)
    except Unavailable as exc:
        # Maybe updated: the correction stays in flight; the next request reads the entry.
        Correction.objects.filter(pk=correction.pk).update(reason=exc.message)
        correction.reason = exc.message
        record_audit(
            organization=txn.organization,
            actor=None,
            action="transaction.correction_unknown",
            target_type="transaction",
            target_id=txn.pk,
            after={"correction": correction.pk, "error": exc.message},
        )
        return correction
    except (RateLimited, AuthRefused, Rejected):
        # The books answered and refused: nothing changed, no lookup needed.
        Correction.objects.filter(pk=correction.pk).update(update_started_at=None)
        correction.update_started_at = None
        raise
    _apply(correction, txn, lines, confirmed=False)
    return correction


@transaction.atomic
def _apply(
    correction: Correction, txn: Transaction, lines: list[dict[str, str]], *, confirmed: bool
) -> None:
    """The books hold the correction: the transaction takes the new account and lines."""
    now = timezone.now()
    Transaction.objects.filter(pk=txn.pk).update(
        account=correction.to_account_id, journal_entry_lines=lines, updated_at=now
    )
    Correction.objects.filter(pk=correction.pk).update(
        state=CorrectionState.UPDATED, reason="", finished_at=now
    )
    correction.state, correction.reason, correction.finished_at = CorrectionState.UPDATED, "", now
    record_audit(
        organization=txn.organization,
        actor=None,
        action="transaction.correction_updated",
        target_type="transaction",
        target_id=txn.pk,
        before={"account": correction.from_account_id},
        after={
            "account": correction.to_account_id,
            "account_label": str(correction.to_account),
            "journal_entry_id": correction.journal_entry_id,
            "correction": correction.pk,
            "confirmed_after_unknown_outcome": confirmed,
        },
    )


def _posted(correction: Correction, books: BooksConnection, status: str) -> Correction:
    return _by_hand(
        correction,
        books,
        _("%(provider)s has posted this entry (%(status)s); it cannot be changed from SiFi.")
        % {"provider": books.provider.name, "status": status},
    )


def _by_hand(correction: Correction, books: BooksConnection, why: str) -> Correction:
    change = hand_change(correction, books)
    what = _(
        "Change it by hand in %(provider)s: in entry %(entry)s, move the %(side)s line of "
        "%(amount)s %(currency)s from %(from)s to %(to)s. Nothing was sent, so nothing is "
        "doubled."
    ) % {
        "provider": books.provider.name,
        "entry": change["journal_entry_id"],
        "side": _("debit") if change["side"] == "debit" else _("credit"),
        "amount": change["amount"],
        "currency": change["currency"],
        "from": change["from_account"],
        "to": change["to_account"],
    }
    return _finish(
        correction,
        CorrectionState.BY_HAND,
        reason=f"{why} {what}",
        action="transaction.correction_by_hand",
        extra={k: v for k, v in change.items() if k != "entry_url"},
    )


def _refused(
    correction: Correction | None,
    txn: Transaction,
    account: Account,
    actor: Any,
    books: BooksConnection,
    exc: ProviderError,
    reason: str = "",
) -> Correction:
    """The books refused, or could not be asked: nothing changed (a correction whose update
    may have landed is never refused: `_update` keeps it in flight)."""
    if correction is not None and correction.update_started_at is not None:
        return correction  # sent: maybe landed, stays in flight
    correction = _take(txn, account, actor, correction)
    return _finish(
        correction,
        CorrectionState.REFUSED,
        reason=reason
        or _("%(provider)s refused the correction; nothing was changed: %(reason)s")
        % {"provider": books.provider.name, "reason": exc.message},
        action="transaction.correction_refused",
    )


def _finish(
    correction: Correction,
    state: str,
    *,
    reason: str,
    action: str,
    extra: dict[str, Any] | None = None,
) -> Correction:
    now = timezone.now()
    with transaction.atomic():
        Correction.objects.filter(pk=correction.pk).update(
            state=state, reason=reason, finished_at=now
        )
        record_audit(
            organization=correction.organization,
            actor=None,
            action=action,
            target_type="transaction",
            target_id=correction.transaction_id,
            after={
                "correction": correction.pk,
                "account": correction.to_account_id,
                "reason": reason,
                **(extra or {}),
            },
        )
    correction.state, correction.reason, correction.finished_at = state, reason, now
    return correction
