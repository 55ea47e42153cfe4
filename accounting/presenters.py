"""What the pages say about a transaction's history and a push's failure, in words, in the
reader's language: never a dict or an action code.

The audit trail keeps machine data (`action`, `before`, `after`); these functions turn one
event into a sentence ("Assigned to 5201 · Marketing Expenses by Sara Al-Otaibi") and its
changes into "field: before → after" lines with field labels.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop, ngettext

from accounting.models import TransactionType
from sifi.models import AuditEvent

FIELD_LABELS = {
    "type": gettext_lazy("Type"),
    "amount": gettext_lazy("Amount"),
    "currency": gettext_lazy("Currency"),
    "vat_amount": gettext_lazy("VAT"),
    "original_amount": gettext_lazy("Foreign amount"),
    "original_currency": gettext_lazy("Foreign currency"),
    "merchant": gettext_lazy("Merchant"),
    "description": gettext_lazy("Description"),
    "occurred_at": gettext_lazy("Date"),
    "employee_id": gettext_lazy("Employee"),
    "budget_id": gettext_lazy("Budget"),
    "card_id": gettext_lazy("Card"),
    "status": gettext_lazy("Status"),
    "account": gettext_lazy("Account"),
}
TYPE_WORDS = dict(TransactionType.choices)
STATUS_WORDS = {
    "unverified": gettext_lazy("Unverified"),
    "verified": gettext_lazy("Verified"),
    "syncing": gettext_lazy("Syncing"),
    "synced": gettext_lazy("Synced"),
    "failed": gettext_lazy("Failed"),
}


@dataclass
class AuditLine:
    """One event as a person reads it."""

    at: Any
    sentence: str
    changes: list[str] = field(default_factory=list)


def _who(event: AuditEvent) -> str:
    return event.actor_label if event.actor_label and event.actor_label != "system" else ""


def _value(name: str, value: Any) -> str:
    if value in (None, ""):
        return "—"
    if name == "status":
        return str(STATUS_WORDS.get(str(value), value))
    return str(value)


def _changes(before: Any, after: Any, names: list[str]) -> list[str]:
    before, after = before or {}, after or {}
    return [
        f"{FIELD_LABELS.get(name, name)}: {_value(name, before.get(name))} → "
        f"{_value(name, after.get(name))}"
        for name in names
        if before.get(name) != after.get(name)
    ]


def _assigned(event: AuditEvent, provider: str) -> AuditLine:
    before, after = event.before or {}, event.after or {}
    account = after.get("account_label") or "—"
    who = _who(event)
    if before.get("account_label"):
        values = {"old": before["account_label"], "new": account, "who": who}
        sentence = (
            _("Reassigned from %(old)s to %(new)s by %(who)s") % values
            if who
            else _("Reassigned from %(old)s to %(new)s") % values
        )
    elif who:
        sentence = _("Assigned to %(account)s by %(who)s") % {"account": account, "who": who}
    else:
        sentence = _("Assigned to %(account)s") % {"account": account}
    return AuditLine(event.created_at, sentence, _changes(before, after, ["status"]))


def _unverified(event: AuditEvent, provider: str) -> AuditLine:
    after = event.after or {}
    if after.get("reason"):
        sentence = _("Back to unverified: %(reason)s") % {"reason": after["reason"]}
    elif _who(event):
        sentence = _("Back to unverified by %(who)s") % {"who": _who(event)}
    else:
        sentence = _("Back to unverified")
    before_account = (event.before or {}).get("account_label")
    changes = [f"{FIELD_LABELS['account']}: {before_account} → —"] if before_account else []
    return AuditLine(event.created_at, sentence, changes)


def _entry_created(event: AuditEvent, provider: str) -> AuditLine:
    after = event.after or {}
    values = {
        "provider": provider,
        "entry": after.get("journal_entry_id"),
        "status": after.get("status", ""),
    }
    if after.get("adopted"):
        sentence = (
            _(
                "Found in %(provider)s as entry %(entry)s (it had been sent before a restart) and "
                "kept, not sent again"
            )
            % values
        )
    else:
        sentence = _("Sent to %(provider)s as draft entry %(entry)s (%(status)s)") % values
    return AuditLine(event.created_at, sentence)


def _entry_drafted(event: AuditEvent, provider: str) -> AuditLine:
    """The second call of books whose create may answer a posted entry."""
    values = {
        "provider": provider,
        "entry": (event.after or {}).get("journal_entry_id"),
        "before": (event.before or {}).get("status") or "?",
        "status": (event.after or {}).get("status", ""),
    }
    sentence = _("%(provider)s answered entry %(entry)s as %(before)s: moved back to %(status)s")
    return AuditLine(event.created_at, sentence % values)


def _synced(event: AuditEvent, provider: str) -> AuditLine:
    """Synced, and what became of the receipts: recorded since the event says so (an older
    one claims nothing about them)."""
    after = event.after or {}
    values = {"provider": provider, "entry": after.get("journal_entry_id")}
    receipts, attached = after.get("receipts"), after.get("receipts_attached", 0)
    if receipts is None:
        sentence = _("Synced: %(provider)s entry %(entry)s")
    elif not receipts:
        sentence = _("Synced: %(provider)s entry %(entry)s, no receipts")
    elif attached == receipts:
        sentence = ngettext(
            "Synced: %(provider)s entry %(entry)s, %(n)s receipt attached",
            "Synced: %(provider)s entry %(entry)s, %(n)s receipts attached",
            receipts,
        )
    elif not attached:
        sentence = ngettext(
            "Synced: %(provider)s entry %(entry)s, %(n)s receipt sent as a link",
            "Synced: %(provider)s entry %(entry)s, %(n)s receipts sent as links",
            receipts,
        )
    else:
        sentence = _(
            "Synced: %(provider)s entry %(entry)s, receipts: %(attached)s attached, "
            "%(links)s sent as links"
        )
    values.update(n=receipts, attached=attached, links=(receipts or 0) - attached)
    return AuditLine(event.created_at, sentence % values)


def _failed(event: AuditEvent, provider: str) -> AuditLine:
    after = event.after or {}
    return AuditLine(
        event.created_at, failure_in_words(after.get("code", ""), after.get("error", ""), provider)
    )


def _corrected(event: AuditEvent, provider: str) -> AuditLine:
    after = dict(event.after or {})
    added = after.pop("documents_added", 0)
    changes = _changes(event.before, after, list(after))
    if added:
        changes.append(_("Receipts added: %(n)s") % {"n": added})
    return AuditLine(event.created_at, _("Corrected by SiFi's card platform"), changes)


def _changed_after_sync(event: AuditEvent, provider: str) -> AuditLine:
    change = event.after or {}
    differences = change.get("differences") or {}
    changes = [
        f"{FIELD_LABELS.get(name, name)}: {_value(name, values[0])} → {_value(name, values[1])}"
        for name, values in differences.items()
    ]
    return AuditLine(
        event.created_at,
        _(
            "SiFi's card platform sent a correction after the sync; it was not applied to "
            "%(provider)s (correct the entry there if needed)"
        )
        % {"provider": provider},
        changes,
    )


def _correction_requested(event: AuditEvent, provider: str) -> AuditLine:
    before, after = event.before or {}, event.after or {}
    changes = [
        f"{FIELD_LABELS['account']}: {before.get('account_label')} → {after.get('account_label')}"
    ]
    sentence = _("Correction requested for entry %(entry)s in %(provider)s") % {
        "entry": after.get("journal_entry_id"),
        "provider": provider,
    }
    return AuditLine(event.created_at, sentence, changes)


def _correction_updated(event: AuditEvent, provider: str) -> AuditLine:
    after = event.after or {}
    values = {"entry": after.get("journal_entry_id"), "provider": provider}
    if after.get("confirmed_after_unknown_outcome"):
        sentence = _(
            "Entry %(entry)s found corrected in %(provider)s (its answer had been lost): not "
            "sent again"
        )
    else:
        sentence = _("Entry %(entry)s corrected in place in %(provider)s")
    changes = [f"{FIELD_LABELS['account']}: {after.get('account_label', after.get('account'))}"]
    return AuditLine(event.created_at, sentence % values, changes)


def _correction_by_hand(event: AuditEvent, provider: str) -> AuditLine:
    reason = (event.after or {}).get("reason", "")
    return AuditLine(event.created_at, _("To change by hand: %(reason)s") % {"reason": reason})


def _correction_refused(event: AuditEvent, provider: str) -> AuditLine:
    reason = (event.after or {}).get("reason", "")
    return AuditLine(event.created_at, _("Correction not made: %(reason)s") % {"reason": reason})


def _correction_unknown(event: AuditEvent, provider: str) -> AuditLine:
    sentence = _(
        "%(provider)s did not answer the correction; whether it took it is not known (the next "
        "correction reads the entry first)"
    )
    return AuditLine(event.created_at, sentence % {"provider": provider})


def _late_receipts_received(event: AuditEvent, provider: str) -> AuditLine:
    added = int((event.after or {}).get("documents_added", 0))
    return AuditLine(
        event.created_at,
        ngettext(
            "SiFi's card platform sent %(n)s receipt after the sync: it goes to %(provider)s "
            "as a late receipt",
            "SiFi's card platform sent %(n)s receipts after the sync: they go to %(provider)s "
            "as late receipts",
            added,
        )
        % {"n": added, "provider": provider},
    )


def _late_receipt(sentence: str) -> Callable[[AuditEvent, str], AuditLine]:
    def describe(event: AuditEvent, provider: str) -> AuditLine:
        after = event.after or {}
        values = {
            "provider": provider,
            "filename": after.get("filename", ""),
            "error": after.get("error", ""),
            "link": after.get("link", ""),
        }
        return AuditLine(event.created_at, _(sentence) % values)

    return describe


DESCRIBERS: dict[str, Callable[[AuditEvent, str], AuditLine]] = {
    "transaction.late_receipts_received": _late_receipts_received,
    "transaction.late_receipt_attached": _late_receipt(
        gettext_noop("Late receipt %(filename)s attached to the entry in %(provider)s")
    ),
    "transaction.late_receipt_failed": _late_receipt(
        gettext_noop("Late receipt %(filename)s not attached: %(error)s")
    ),
    "transaction.late_receipt_link_only": _late_receipt(
        gettext_noop(
            "Late receipt %(filename)s: %(provider)s takes no files; its link is to be added "
            "to the entry by hand"
        )
    ),
    "transaction.late_receipt_retried": _late_receipt(
        gettext_noop("Late receipt %(filename)s to be sent again")
    ),
    "transaction.assigned": _assigned,
    "transaction.unverified": _unverified,
    "transaction.journal_entry_created": _entry_created,
    "transaction.journal_entry_drafted": _entry_drafted,
    "transaction.synced": _synced,
    "transaction.sync_failed": _failed,
    "transaction.corrected": _corrected,
    "transaction.changed_after_sync": _changed_after_sync,
    "transaction.correction_requested": _correction_requested,
    "transaction.correction_updated": _correction_updated,
    "transaction.correction_by_hand": _correction_by_hand,
    "transaction.correction_refused": _correction_refused,
    "transaction.correction_unknown": _correction_unknown,
}


def describe_event(event: AuditEvent, *, provider: str) -> AuditLine:
    """One audit event in words; an action without words of its own says what it is."""
    describer = DESCRIBERS.get(event.action)
    if describer is None:
        return AuditLine(event.created_at, event.action.replace("_", " ").replace(".", ": "))
    return describer(event, provider)


def failure_in_words(code: str, message: str, provider: str) -> str:
    """Why a push failed and what to do about it. `code` is "<provider key>_<kind>"; the
    message is the provider's (validation) or ours (unreachable: it already says to retry)."""
    kind = code.rsplit("_", 1)[-1] if code else ""
    message = message.strip() or _("%(provider)s gave no reason.") % {"provider": provider}
    if kind == "validation":
        return _("Failed: %(message)s Fix the account or the transaction, then retry.") % {
            "message": message
        }
    if kind == "unavailable":
        return _("Failed: %(message)s") % {"message": message}
    if kind == "closed":
        return _(
            "Failed: %(message)s Book it on the first open day from its sync run, or reopen "
            "the period in %(provider)s, then retry."
        ) % {"message": message, "provider": provider}
    return _("Failed: %(message)s Retry; if it fails again, tell us.") % {"message": message}


def retry_hint(codes: Iterable[str], provider: str) -> str:
    """What to do before retrying a run's failures, fitting why they failed (`codes`: their
    "<provider key>_<kind>" codes): a refused entry needs a fix first; books that could not
    be reached need only time."""
    kinds = {code.rsplit("_", 1)[-1] for code in codes if code}
    if "closed" in kinds and "validation" not in kinds:
        return _(
            "The books are closed on some of these dates: book them on the first open day, or "
            "reopen the period in %(provider)s, then retry."
        ) % {"provider": provider}
    if "validation" in kinds:
        return _(
            "Fix what the reasons below say first (for example assign another account), then "
            "retry; the rest is already in your books."
        )
    if kinds == {"unavailable"}:
        return _(
            "%(provider)s could not be reached: retry later, once it answers again; the rest "
            "is already in your books."
        ) % {"provider": provider}
    return _("Retry; if they fail again, tell us. The rest is already in your books.")


def conditions_in_words(conditions: dict[str, Any], names: dict[str, dict[int, str]]) -> list[str]:
    """A rule's conditions as a person reads them ("Merchant contains careem"); `names` maps
    budget, employee and card ids to their names."""
    words: list[str] = []
    if "merchant_contains" in conditions:
        words.append(_("Merchant contains “%(text)s”") % {"text": conditions["merchant_contains"]})
    if "merchant_equals" in conditions:
        words.append(_("Merchant is “%(text)s”") % {"text": conditions["merchant_equals"]})
    for key, label in (
        ("budget", _("Budget")),
        ("employee", _("Employee")),
        ("card", _("Card")),
    ):
        if key in conditions:
            name = names.get(key, {}).get(int(conditions[key]), "?")
            words.append(f"{label}: {name}")
    if "type" in conditions:
        words.append(f"{_('Type')}: {TYPE_WORDS.get(conditions['type'], conditions['type'])}")
    if "amount_min" in conditions and "amount_max" in conditions:
        words.append(
            _("Amount from %(low)s to %(high)s")
            % {"low": conditions["amount_min"], "high": conditions["amount_max"]}
        )
    elif "amount_min" in conditions:
        words.append(_("Amount from %(low)s") % {"low": conditions["amount_min"]})
    elif "amount_max" in conditions:
        words.append(_("Amount up to %(high)s") % {"high": conditions["amount_max"]})
    return words
