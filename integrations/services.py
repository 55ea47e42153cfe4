"""Writes of an organization's connection to its accounting system (Qoyod or Odoo): consent,
connect, configure, disconnect, and queueing a configuration sync (`jobs.start_config_sync`
queues it and hands it to a worker).

Every user-visible action is one function that checks its rules, changes the rows inside one
database transaction and writes the audit row in it. Calls to the provider happen outside
database transactions (never hold a lock while waiting on the network).

One organization, one accounting system: consenting to or connecting a provider while another
is connected (or needs attention) is a 409 naming the one to disconnect first; a partial
unique index keeps it so when two requests race.
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
from accounting.providers import provider_for
from accounting.services.receipts import revoke_receipt_links
from accounting.services.reconciliation import nightly_range
from accounting.services.runs import start_reconciliation
from integrations.models import (
    MANDATORY_ATTRIBUTES,
    OPTIONAL_ATTRIBUTES_BY_PROVIDER,
    SCOPES,
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


def _integration_for_update(
    *, organization: Organization, provider: str = Provider.QOYOD
) -> Integration:
    """The organization's integration row for `provider`, created if missing, locked for this
    transaction."""
    Integration.objects.get_or_create(organization=organization, provider=provider)
    return Integration.objects.select_for_update().get(organization=organization, provider=provider)


def provider_name(provider: str) -> str:
    """The provider's name as people read it, in their language."""
    return str(provider_for(provider).name)


def refuse_a_second_system(*, organization: Organization, provider: str) -> None:
    """A 409 if the organization keeps its books in another system now (connected or needing
    attention): it must be disconnected first."""
    other = (
        Integration.objects.filter(organization=organization)
        .exclude(provider=provider)
        .exclude(status=ConnectionStatus.NOT_CONNECTED)
        .first()
    )
    if other is None:
        return
    names = {"other": provider_name(other.provider), "this": provider_name(provider)}
    raise Conflict(
        _(
            "%(other)s is connected: an organization keeps its books in one accounting system. "
            "Disconnect %(other)s first, then connect %(this)s."
        )
        % names,
        code="other_provider_connected",
    )


def _lock_organization(organization: Organization) -> None:
    """Connecting takes turns per organization, so two providers cannot both pass the
    one-system check at once (the partial unique index is the last word)."""
    Organization.objects.select_for_update().filter(pk=organization.pk).first()


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
        **(
            {
                "instance_url": integration.instance_url,
                "database": integration.database,
                "login": integration.login,
                "company": integration.company_name,
                "journal": integration.journal_external_id,
            }
            if integration.provider == Provider.ODOO
            else {}
        ),
    }


@transaction.atomic
def record_consent(
    *, actor: Any, organization: Organization, accept: bool, provider: str = Provider.QOYOD
) -> Integration:
    """Record that `actor` accepted the provider's listed scopes now. Nothing is called on the
    provider. A 409 while another accounting system is connected."""
    if not accept:
        raise ValidationError(
            {
                "accept": [
                    _("Accept the permissions to connect %(provider)s.")
                    % {"provider": provider_name(provider)}
                ]
            }
        )
    refuse_a_second_system(organization=organization, provider=provider)
    integration = _integration_for_update(organization=organization, provider=provider)
    before = _snapshot(integration)
    integration.consented_scopes = list(SCOPES[provider])
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
    refuse_a_second_system(organization=organization, provider=Provider.QOYOD)
    require_consent(organization=organization, provider=Provider.QOYOD)

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

    integration = store_connection(
        actor=actor,
        organization=organization,
        provider=Provider.QOYOD,
        api_key=api_key,
        accounts_found=accounts_found,
    )
    return ConnectResult(integration=integration, accounts_found=accounts_found)


def require_consent(*, organization: Organization, provider: str) -> None:
    integration = Integration.objects.filter(organization=organization, provider=provider).first()
    if integration is None or not integration.consented_at:
        raise Conflict(
            _("Accept the permissions SiFi asks for before connecting %(provider)s.")
            % {"provider": provider_name(provider)},
            code="consent_required",
        )


def store_connection(
    *,
    actor: Any,
    organization: Organization,
    provider: str,
    api_key: str,
    accounts_found: int,
    details: dict[str, Any] | None = None,
) -> Integration:
    """Store a checked key (encrypted) and what connecting learned; audited. Takes the
    organization's turn and checks the one-system rule again: a 409 if another provider was
    connected meanwhile."""
    try:
        with transaction.atomic():
            _lock_organization(organization)
            refuse_a_second_system(organization=organization, provider=provider)
            integration = _integration_for_update(organization=organization, provider=provider)
            before = _snapshot(integration)
            for name, value in (details or {}).items():
                setattr(integration, name, value)
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
    except IntegrityError:  # another provider was connected at the same moment
        refuse_a_second_system(organization=organization, provider=provider)
        raise
    return integration


_UNSET: Any = object()


def _posting_account(
    *, organization: Organization, account_id: int, field: str, provider: str
) -> Account:
    """An active posting account of the organization's synced chart of `provider`, or a 400
    on `field`."""
    name = provider_name(provider)
    account = Account.objects.filter(
        organization=organization, provider=provider, pk=account_id
    ).first()
    if account is None:
        raise ValidationError(
            {
                field: [
                    _("Pick an account from your synced %(provider)s chart.") % {"provider": name}
                ]
            }
        )
    if not account.active:
        raise ValidationError(
            {
                field: [
                    _("Account %(account)s is inactive in %(provider)s.")
                    % {"account": account, "provider": name}
                ]
            }
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


def configure_qoyod(
    *,
    actor: Any,
    organization: Organization,
    source_account_id: int | None = _UNSET,
    input_vat_account_id: int | None = _UNSET,
    auto_sync: bool = _UNSET,
) -> Integration:
    """`configure` for Qoyod (kept by its name: scripts and the demo call it)."""
    return configure(
        actor=actor,
        organization=organization,
        provider=Provider.QOYOD,
        source_account_id=source_account_id,
        input_vat_account_id=input_vat_account_id,
        auto_sync=auto_sync,
    )


def _journal(integration: Integration, journal_id: str | None) -> dict[str, Any]:
    name = provider_name(integration.provider)
    if not provider_for(integration.provider).keeps_journals:
        raise ValidationError(
            {"journal": [_("%(provider)s keeps no journals.") % {"provider": name}]}
        )
    for row in integration.journals or []:
        if row.get("id") == journal_id:
            return dict(row)
    raise ValidationError(
        {
            "journal": [
                _("Pick one of the general journals of %(provider)s (Sync now refreshes them).")
                % {"provider": name}
            ]
        }
    )


@transaction.atomic
def configure(
    *,
    actor: Any,
    organization: Organization,
    provider: str,
    source_account_id: int | None = _UNSET,
    input_vat_account_id: int | None = _UNSET,
    auto_sync: bool = _UNSET,
    journal_id: str | None = _UNSET,
) -> Integration:
    """Set the Source Account, the Input VAT account, Auto Sync and/or (books with journals)
    the journal entries go to. Both accounts must be active posting accounts of the
    provider's synced chart, and not the same account; the journal one of its general
    journals (None: back to the default one chosen when connecting)."""
    integration = _integration_for_update(organization=organization, provider=provider)
    if integration.status == ConnectionStatus.NOT_CONNECTED:
        raise Conflict(
            _("Connect %(provider)s before configuring it.")
            % {"provider": provider_name(provider)},
            code="not_connected",
        )
    before = _snapshot(integration)
    if source_account_id is not _UNSET:
        integration.source_account = (
            None
            if source_account_id is None
            else _posting_account(
                organization=organization,
                account_id=source_account_id,
                field="source_account",
                provider=provider,
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
                provider=provider,
            )
        )
    if journal_id is not _UNSET and journal_id is not None:
        chosen = _journal(integration, journal_id)
        integration.journal_external_id = chosen["id"]
        integration.journal_name = f"{chosen.get('code')} · {chosen.get('name')}"
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


def disconnect_qoyod(*, actor: Any, organization: Organization) -> Integration:
    """`disconnect` for Qoyod (kept by its name: scripts and the demo call it)."""
    return disconnect(actor=actor, organization=organization, provider=Provider.QOYOD)


@transaction.atomic
def disconnect(*, actor: Any, organization: Organization, provider: str) -> Integration:
    """Remove the key and the consent. The synced chart, configuration and history stay (and
    where the books are: an Odoo address, database and login are not secrets). The receipt
    links written into the books stop working, if this provider held them."""
    integration = _integration_for_update(organization=organization, provider=provider)
    was_connected = integration.status != ConnectionStatus.NOT_CONNECTED
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
    if was_connected:
        # Receipt links written into the books stop working with the connection (not when a
        # provider that never held the books is "disconnected": the other one's links stay).
        revoke_receipt_links(
            organization=organization,
            actor=actor,
            reason=f"{provider_for(provider).name} was disconnected.",
        )
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


def normalize_attributes(
    attributes: Iterable[str] | None, provider: str = Provider.QOYOD
) -> list[str]:
    """Accounts are always synced; attributes the provider does not offer are a 400."""
    optional = OPTIONAL_ATTRIBUTES_BY_PROVIDER.get(provider, ())
    requested = list(attributes or [])
    unknown = sorted(set(requested) - set(MANDATORY_ATTRIBUTES) - set(optional))
    if unknown:
        allowed = ", ".join((*MANDATORY_ATTRIBUTES, *optional))
        raise ValidationError(
            {"attributes": [f"Unknown attribute(s): {', '.join(unknown)}. Choose from: {allowed}."]}
        )
    return [*MANDATORY_ATTRIBUTES, *(a for a in optional if a in requested)]


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
    provider: str = Provider.QOYOD,
) -> tuple[Job, bool]:
    """Queue a configuration sync (chart of accounts, chosen attributes): the job, and whether
    it is new (a new job still has to be handed to a worker: `jobs.start_config_sync`).

    Idempotent while one runs: a second request gets the job already queued or running, so
    two syncs of one organization never run at once (also enforced by a unique index).
    """
    with transaction.atomic():
        integration = _integration_for_update(organization=organization, provider=provider)
        if integration.status == ConnectionStatus.NOT_CONNECTED:
            raise Conflict(
                _("Connect %(provider)s before syncing.") % {"provider": provider_name(provider)},
                code="not_connected",
            )
        if attributes is not None:
            integration.attributes = normalize_attributes(attributes, provider)
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
                queue_config_sync(
                    actor=None,
                    organization=integration.organization,
                    trigger="auto",
                    provider=integration.provider,
                )
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
