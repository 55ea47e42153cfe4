"""Writes of the Qoyod connection: consent, connect, configure, disconnect, and queueing a
configuration sync (`jobs.start_config_sync` queues it and hands it to a worker).

Every user-visible action is one function that checks its rules, changes the rows inside one
database transaction and writes the audit row in it. Calls to Qoyod happen outside database
transactions (never hold a lock while waiting on the network).
"""

import datetime
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounting.models import Account
from accounting.services.receipts import revoke_receipt_links
from accounting.services.reconciliation import nightly_range
from accounting.services.runs import start_reconciliation
from integrations.models import (
    MANDATORY_ATTRIBUTES,
    OPTIONAL_ATTRIBUTES,
    QOYOD_SCOPES,
    ConnectionStatus,
    Integration,
    Job,
    JobStatus,
    Provider,
)
from integrations.providers.qoyod import QoyodAuthError, QoyodError
from integrations.providers.qoyod.provider import open_qoyod_client
from integrations.selectors import CONFIG_SYNC_JOB
from sifi.exceptions import Conflict, DomainError, UpstreamError
from sifi.models import Organization
from sifi.services import record_audit

logger = logging.getLogger(__name__)

# A queued/running job not heard from for this long is taken as dead (its worker was killed).
STALE_JOB_AFTER = timedelta(minutes=15)


def _integration_for_update(*, organization: Organization) -> Integration:
    """The organization's Qoyod integration row, created if missing, locked for this transaction."""
    Integration.objects.get_or_create(organization=organization, provider=Provider.QOYOD)
    return Integration.objects.select_for_update().get(
        organization=organization, provider=Provider.QOYOD
    )


def _snapshot(integration: Integration) -> dict[str, Any]:
    """What the audit trail keeps of a connection: never the key, at most its hint."""
    return {
        "status": integration.status,
        "consented_scopes": list(integration.consented_scopes),
        "api_key_hint": integration.api_key_hint,
        "attributes": list(integration.attributes),
        "source_account": integration.source_account_id,
        "input_vat_account": integration.input_vat_account_id,
        "auto_sync": integration.auto_sync,
    }


@transaction.atomic
def record_consent(*, actor: Any, organization: Organization, accept: bool) -> Integration:
    """Record that `actor` accepted the listed scopes now. Nothing is called on Qoyod."""
    if not accept:
        raise ValidationError({"accept": [_("Accept the permissions to connect Qoyod.")]})
    integration = _integration_for_update(organization=organization)
    before = _snapshot(integration)
    integration.consented_scopes = list(QOYOD_SCOPES)
    integration.consented_by = actor
    integration.consented_at = timezone.now()
    integration.save()
    record_audit(
        organization=organization,
        actor=actor,
        action="integration.consent",
        target_type="integration",
        target_id=integration.pk,
        before=before,
        after=_snapshot(integration),
    )
    return integration


@dataclass(frozen=True)
class ConnectResult:
    integration: Integration
    accounts_found: int


def connect_qoyod(*, actor: Any, organization: Organization, api_key: str) -> ConnectResult:
    """Validate the key with a real call to Qoyod, then store it encrypted.

    A key Qoyod rejects is a 400 and nothing is stored; Qoyod unreachable is a 502 and
    nothing is stored. Needs consent first (409 otherwise).
    """
    api_key = api_key.strip()
    if not api_key:
        raise ValidationError({"api_key": [_("Paste the API key from Qoyod.")]})
    integration = Integration.objects.filter(
        organization=organization, provider=Provider.QOYOD
    ).first()
    if integration is None or not integration.consented_at:
        raise Conflict(
            _("Accept the permissions SiFi asks for before connecting Qoyod."),
            code="consent_required",
        )

    try:
        with open_qoyod_client(api_key=api_key) as client:
            accounts_found = client.validate_key()
    except QoyodAuthError:
        raise ValidationError(
            {
                "api_key": [
                    _(
                        "Qoyod rejected this API key (wrong, not saved in Qoyod, or another "
                        "company's)."
                    )
                ]
            }
        ) from None
    except QoyodError as exc:
        raise UpstreamError(
            _("Could not check the key with Qoyod: %(reason)s Nothing was saved; try again.")
            % {"reason": exc.message},
            code="qoyod_unavailable",
        ) from None

    with transaction.atomic():
        integration = _integration_for_update(organization=organization)
        before = _snapshot(integration)
        integration.api_key = api_key
        integration.api_key_hint = api_key[-4:]
        integration.status = ConnectionStatus.CONNECTED
        integration.attention_reason = ""
        integration.connected_by = actor
        integration.connected_at = timezone.now()
        if not integration.attributes:
            integration.attributes = list(MANDATORY_ATTRIBUTES)
        integration.save()
        record_audit(
            organization=organization,
            actor=actor,
            action="integration.connect",
            target_type="integration",
            target_id=integration.pk,
            before=before,
            after={**_snapshot(integration), "accounts_found": accounts_found},
        )
    return ConnectResult(integration=integration, accounts_found=accounts_found)


_UNSET: Any = object()


def _posting_account(*, organization: Organization, account_id: int, field: str) -> Account:
    """An active posting account of the organization's synced chart, or a 400 on `field`."""
    account = Account.objects.filter(organization=organization, pk=account_id).first()
    if account is None:
        raise ValidationError({field: [_("Pick an account from your synced Qoyod chart.")]})
    if not account.active:
        raise ValidationError(
            {field: [_("Account %(account)s is inactive in Qoyod.") % {"account": account}]}
        )
    if account.is_heading:
        raise ValidationError(
            {
                field: [
                    _(
                        "Account %(account)s is a heading (it has sub-accounts); pick one of "
                        "its sub-accounts."
                    )
                    % {"account": account}
                ]
            }
        )
    return account


@transaction.atomic
def configure_qoyod(
    *,
    actor: Any,
    organization: Organization,
    source_account_id: int | None = _UNSET,
    input_vat_account_id: int | None = _UNSET,
    auto_sync: bool = _UNSET,
) -> Integration:
    """Set the Source Account, the Input VAT account and/or Auto Sync. Both accounts must be
    active posting accounts of this organization's synced chart, and not the same account."""
    integration = _integration_for_update(organization=organization)
    if integration.status == ConnectionStatus.NOT_CONNECTED:
        raise Conflict(_("Connect Qoyod before configuring it."), code="not_connected")
    before = _snapshot(integration)
    if source_account_id is not _UNSET:
        integration.source_account = (
            None
            if source_account_id is None
            else _posting_account(
                organization=organization, account_id=source_account_id, field="source_account"
            )
        )
    if input_vat_account_id is not _UNSET:
        integration.input_vat_account = (
            None
            if input_vat_account_id is None
            else _posting_account(
                organization=organization,
                account_id=input_vat_account_id,
                field="input_vat_account",
            )
        )
    if (
        integration.input_vat_account_id is not None
        and integration.input_vat_account_id == integration.source_account_id
    ):
        raise ValidationError(
            {
                "input_vat_account": [
                    _("The Input VAT account cannot be the Source Account (the wallet).")
                ]
            }
        )
    if auto_sync is not _UNSET:
        integration.auto_sync = bool(auto_sync)
    integration.save()
    record_audit(
        organization=organization,
        actor=actor,
        action="integration.configure",
        target_type="integration",
        target_id=integration.pk,
        before=before,
        after=_snapshot(integration),
    )
    return integration


@transaction.atomic
def disconnect_qoyod(*, actor: Any, organization: Organization) -> Integration:
    """Remove the key and the consent. The synced chart, configuration and history stay."""
    integration = _integration_for_update(organization=organization)
    before = _snapshot(integration)
    integration.api_key = ""
    integration.api_key_hint = ""
    integration.status = ConnectionStatus.NOT_CONNECTED
    integration.attention_reason = ""
    integration.consented_scopes = []
    integration.consented_at = None
    integration.consented_by = None
    integration.auto_sync = False
    integration.save()
    # Receipt links written into the books stop working with the connection.
    revoke_receipt_links(organization=organization, actor=actor, reason="Qoyod was disconnected.")
    record_audit(
        organization=organization,
        actor=actor,
        action="integration.disconnect",
        target_type="integration",
        target_id=integration.pk,
        before=before,
        after=_snapshot(integration),
    )
    return integration


def mark_needs_attention(*, integration_id: int, reason: str) -> None:
    """The connection needs a person (Qoyod refused our key, the source account is gone):
    shown on the integration card with `reason`, audited."""
    with transaction.atomic():
        integration = Integration.objects.select_for_update().get(pk=integration_id)
        if integration.status == ConnectionStatus.NOT_CONNECTED:
            return
        before = _snapshot(integration)
        integration.status = ConnectionStatus.NEEDS_ATTENTION
        integration.attention_reason = reason
        integration.save(update_fields=["status", "attention_reason", "updated_at"])
        record_audit(
            organization=integration.organization,
            actor=None,
            action="integration.needs_attention",
            target_type="integration",
            target_id=integration.pk,
            before=before,
            after={**_snapshot(integration), "reason": reason},
        )


def normalize_attributes(attributes: Iterable[str] | None) -> list[str]:
    """Accounts are always synced; unknown attributes are a 400."""
    requested = list(attributes or [])
    unknown = sorted(set(requested) - set(MANDATORY_ATTRIBUTES) - set(OPTIONAL_ATTRIBUTES))
    if unknown:
        allowed = ", ".join((*MANDATORY_ATTRIBUTES, *OPTIONAL_ATTRIBUTES))
        raise ValidationError(
            {"attributes": [f"Unknown attribute(s): {', '.join(unknown)}. Choose from: {allowed}."]}
        )
    return [*MANDATORY_ATTRIBUTES, *(a for a in OPTIONAL_ATTRIBUTES if a in requested)]


def _fail_stale_jobs(*, organization: Organization) -> None:
    cutoff = timezone.now() - STALE_JOB_AFTER
    Job.objects.filter(
        organization=organization,
        kind=CONFIG_SYNC_JOB,
        status__in=[JobStatus.QUEUED, JobStatus.RUNNING],
        updated_at__lt=cutoff,
    ).update(
        status=JobStatus.FAILED,
        error="The sync stopped without finishing (the worker was restarted). Start it again.",
        finished_at=timezone.now(),
    )


def queue_config_sync(
    *,
    actor: Any,
    organization: Organization,
    attributes: Iterable[str] | None = None,
    trigger: str = "manual",
) -> tuple[Job, bool]:
    """Queue a configuration sync (chart of accounts, chosen attributes): the job, and whether
    it is new (a new job still has to be handed to a worker: `jobs.start_config_sync`).

    Idempotent while one runs: a second request gets the job already queued or running, so
    two syncs of one organization never run at once (also enforced by a unique index).
    """
    with transaction.atomic():
        integration = _integration_for_update(organization=organization)
        if integration.status == ConnectionStatus.NOT_CONNECTED:
            raise Conflict(_("Connect Qoyod before syncing."), code="not_connected")
        if attributes is not None:
            integration.attributes = normalize_attributes(attributes)
            integration.save(update_fields=["attributes", "updated_at"])
        _fail_stale_jobs(organization=organization)
        active = Job.objects.filter(
            organization=organization,
            kind=CONFIG_SYNC_JOB,
            status__in=[JobStatus.QUEUED, JobStatus.RUNNING],
        ).first()
        if active is not None:
            return active, False
        try:
            with transaction.atomic():
                job = Job.objects.create(
                    organization=organization,
                    kind=CONFIG_SYNC_JOB,
                    created_by=actor if getattr(actor, "pk", None) else None,
                    params={
                        "attributes": list(integration.attributes or MANDATORY_ATTRIBUTES),
                        "trigger": trigger,
                    },
                )
        except IntegrityError:  # another request queued one a moment ago
            existing = Job.objects.get(
                organization=organization,
                kind=CONFIG_SYNC_JOB,
                status__in=[JobStatus.QUEUED, JobStatus.RUNNING],
            )
            return existing, False
    return job, True


def queue_nightly_auto_syncs() -> list[tuple[Job, bool]]:
    """One configuration sync per organization with Auto Sync on (the nightly beat task hands
    the new ones to workers). One organization failing does not stop the others."""
    queued: list[tuple[Job, bool]] = []
    integrations = Integration.objects.filter(
        auto_sync=True, status=ConnectionStatus.CONNECTED
    ).select_related("organization")
    for integration in integrations:
        try:
            queued.append(
                queue_config_sync(actor=None, organization=integration.organization, trigger="auto")
            )
        except DomainError:
            logger.exception(
                "auto sync not started for organization %s", integration.organization_id
            )
    return queued


def start_nightly_reconciliations(*, today: datetime.date) -> list[int]:
    """One reconciliation of the last 35 days per organization with Auto Sync on (the nightly
    beat task): its findings show as a banner on the Accounting page. One organization
    failing does not stop the others."""
    started: list[int] = []
    date_from, date_to = nightly_range(today)
    integrations = Integration.objects.filter(
        auto_sync=True, status=ConnectionStatus.CONNECTED
    ).select_related("organization")
    for integration in integrations:
        try:
            reconciliation = start_reconciliation(
                organization=integration.organization,
                actor=None,
                date_from=date_from,
                date_to=date_to,
                trigger="nightly",
            )
        except (DomainError, ValidationError) as refused:
            logger.warning(
                "nightly reconciliation not started for organization %s: %s",
                integration.organization_id,
                refused,
            )
            continue
        started.append(reconciliation.pk)
    return started
