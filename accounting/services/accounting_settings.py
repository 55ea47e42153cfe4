"""The organization's accounting choices (`AccountingSettings`): read with their defaults,
changed with an audit row."""

from typing import Any

from django.db import transaction

from accounting.models import AccountingSettings, PostingDatePolicy, VatReclaim
from sifi.models import Organization
from sifi.services import record_audit


def accounting_settings_for(organization: Organization) -> AccountingSettings:
    """The organization's settings; an organization that never changed them has the defaults
    (an unsaved row: reading writes nothing)."""
    found = AccountingSettings.objects.filter(organization=organization).first()
    return found or AccountingSettings(organization=organization)


def vat_reclaim_of(organization_id: int) -> str:
    """The organization's VAT reclaim choice (`VatReclaim`), read where an entry is built."""
    found = (
        AccountingSettings.objects.filter(organization_id=organization_id)
        .values_list("vat_reclaim", flat=True)
        .first()
    )
    return found or VatReclaim.AS_REPORTED


def posting_date_policy_of(organization_id: int) -> str:
    """The organization's posting-date policy (`PostingDatePolicy`), read where an entry is
    dated."""
    found = (
        AccountingSettings.objects.filter(organization_id=organization_id)
        .values_list("posting_date_policy", flat=True)
        .first()
    )
    return found or PostingDatePolicy.TRANSACTION_DATE


@transaction.atomic
def change_accounting_settings(
    *,
    organization: Organization,
    actor: Any,
    vat_reclaim: str | None = None,
    posting_date_policy: str | None = None,
) -> AccountingSettings:
    """Change the given choices (None: unchanged), audited with what they were. Idempotent:
    the same values again write no audit row."""
    current, _created = AccountingSettings.objects.select_for_update().get_or_create(
        organization=organization
    )
    before, after = {}, {}
    if vat_reclaim is not None and vat_reclaim != current.vat_reclaim:
        before["vat_reclaim"], after["vat_reclaim"] = current.vat_reclaim, vat_reclaim
        current.vat_reclaim = vat_reclaim
    if posting_date_policy is not None and posting_date_policy != current.posting_date_policy:
        before["posting_date_policy"] = current.posting_date_policy
        after["posting_date_policy"] = posting_date_policy
        current.posting_date_policy = posting_date_policy
    if after:
        current.full_clean()
        current.save()
        record_audit(
            organization=organization,
            actor=actor,
            action="accounting_settings.changed",
            target_type="accounting_settings",
            target_id=current.pk,
            before=before,
            after=after,
        )
    return current
