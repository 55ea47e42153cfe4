"""Writes of an organization's connection to its accounting system: consent, connect,
disconnect, needs-attention, and secrets a session refreshed.

Every user-visible action is one function that checks its rules, changes the rows inside one
database transaction and writes the audit row in it. Calls to the provider happen outside
database transactions (never hold a lock while waiting on the network).

One organization, one accounting system: consenting to or connecting a provider while another
is connected (or needs attention) is a 409 naming the one to disconnect first; a partial
unique index keeps it so when two requests race.
"""

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounting.providers import provider_for
from accounting.services.receipts import revoke_receipt_links
from integrations.connect.base import Connected, flow_for
from integrations.models import ConnectionStatus, Integration
from sifi.exceptions import Conflict
from sifi.models import Organization
from sifi.services import record_audit

logger = logging.getLogger(__name__)

# What "Select attributes" always syncs.
MANDATORY_ATTRIBUTES = ("accounts",)


def integration_for_update(*, organization: Organization, provider: str) -> Integration:
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


def snapshot(integration: Integration) -> dict[str, Any]:
    """What the audit trail keeps of a connection: never a secret, at most the key's hint."""
    facts: dict[str, Any] = {
        "status": integration.status,
        "consented_scopes": list(integration.consented_scopes),
        "api_key_hint": integration.secret_hint,
        "attributes": list(integration.attributes),
        "source_account": integration.source_account_id,
        "input_vat_account": integration.input_vat_account_id,
        "output_vat_account": integration.output_vat_account_id,
        "auto_sync": integration.auto_sync,
    }
    if integration.location:
        facts["location"] = dict(integration.location)
    if integration.company_name:
        facts["company"] = integration.company_name
    if integration.journal_external_id is not None:
        facts["journal"] = integration.journal_external_id
    if integration.options:
        facts["options"] = dict(integration.options)
    return facts


@transaction.atomic
def record_consent(
    *, actor: Any, organization: Organization, accept: bool, provider: str
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
    integration = integration_for_update(organization=organization, provider=provider)
    before = snapshot(integration)
    integration.consented_scopes = list(flow_for(provider).scopes)
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
        after=snapshot(integration),
    )
    return integration


def require_consent(*, organization: Organization, provider: str) -> None:
    integration = Integration.objects.filter(organization=organization, provider=provider).first()
    if integration is None or not integration.consented_at:
        raise Conflict(
            _("Accept the permissions SiFi asks for before connecting %(provider)s.")
            % {"provider": provider_name(provider)},
            code="consent_required",
        )


@dataclass(frozen=True)
class ConnectResult:
    integration: Integration
    accounts_found: int | None


def connect(
    *, actor: Any, organization: Organization, provider: str, values: Mapping[str, Any]
) -> ConnectResult:
    """Check the credentials a person gave with real calls to the provider (its connect flow),
    then store them: the secrets encrypted, where the books are in plain.

    A refusal is a 400 on the field to fix and nothing is stored; the provider unreachable is a
    502 and nothing is stored. Needs consent first (409), and no other accounting system
    connected (409).
    """
    flow = flow_for(provider)
    cleaned = flow.clean(dict(values))
    refuse_a_second_system(organization=organization, provider=provider)
    require_consent(organization=organization, provider=provider)
    connected = flow.check(organization=organization, values=cleaned)
    integration = store_connection(
        actor=actor, organization=organization, provider=provider, connected=connected
    )
    return ConnectResult(integration=integration, accounts_found=connected.accounts_found)


def store_connection(
    *, actor: Any, organization: Organization, provider: str, connected: Connected
) -> Integration:
    """Store checked credentials (secrets encrypted) and what connecting learned; audited.
    Takes the organization's turn and checks the one-system rule again: a 409 if another
    provider was connected meanwhile."""
    try:
        with transaction.atomic():
            _lock_organization(organization)
            refuse_a_second_system(organization=organization, provider=provider)
            integration = integration_for_update(organization=organization, provider=provider)
            before = snapshot(integration)
            for name, value in connected.details.items():
                setattr(integration, name, value)
            integration.secrets = dict(connected.secrets)
            integration.secret_hint = connected.hint
            integration.location = dict(connected.location)
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
                after={**snapshot(integration), "accounts_found": connected.accounts_found},
            )
    except IntegrityError:  # another provider was connected at the same moment
        refuse_a_second_system(organization=organization, provider=provider)
        raise
    return integration


def disconnect(*, actor: Any, organization: Organization, provider: str) -> Integration:
    """Remove the secrets and the consent. The synced chart, configuration (Auto Sync
    included) and history stay
    (and where the books are: an address, a database and a login are not secrets). The receipt
    links written into the books stop working, if this provider held them. The provider is
    then told the credentials are no longer used, where it can be (OAuth revokes the grant),
    outside the database transaction and without failing the disconnect."""
    with transaction.atomic():
        integration = integration_for_update(organization=organization, provider=provider)
        was_connected = integration.status != ConnectionStatus.NOT_CONNECTED
        secrets, location = dict(integration.secrets), dict(integration.location)
        before = snapshot(integration)
        integration.secrets = {}
        integration.secret_hint = ""
        integration.status = ConnectionStatus.NOT_CONNECTED
        integration.attention_reason = ""
        integration.consented_scopes = []
        integration.consented_at = None
        integration.consented_by = None
        # Auto Sync stays as chosen: the nightly sync skips connections that are not connected,
        # and connecting again finds the organization's choice where it left it.
        integration.save()
        if was_connected:
            # Receipt links written into the books stop working with the connection (not when
            # a provider that never held the books is "disconnected": the other one's stay).
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
            after=snapshot(integration),
        )
    if secrets:
        try:
            flow_for(provider).revoke(secrets=secrets, location=location)
        except Exception:  # the secrets are gone from SiFi either way
            logger.warning("revoking %s credentials at disconnect failed", provider, exc_info=True)
    return integration


def mark_needs_attention(*, integration_id: int, reason: str) -> None:
    """The connection needs a person (the provider refused our credentials, the source
    account is gone): shown on the integration card with `reason`, audited."""
    with transaction.atomic():
        integration = Integration.objects.select_for_update().get(pk=integration_id)
        if integration.status == ConnectionStatus.NOT_CONNECTED:
            return
        before = snapshot(integration)
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
            after={**snapshot(integration), "reason": reason},
        )


def write_back_secrets(
    *, integration_id: int, previous: Mapping[str, str], changes: Mapping[str, str]
) -> dict[str, str]:
    """Store secrets a session refreshed (an OAuth provider's rotated tokens), unless another
    worker refreshed first: the change is written only while the stored secrets are still the
    `previous` ones the session read (compare-and-set under the row's lock). A connection
    disconnected meanwhile stays without secrets. Returns the secrets stored now."""
    with transaction.atomic():
        integration = Integration.objects.select_for_update().get(pk=integration_id)
        stored = dict(integration.secrets)
        if not stored or stored != dict(previous):
            return stored
        integration.secrets = {**stored, **changes}
        integration.save(update_fields=["secrets", "updated_at"])
        return dict(integration.secrets)
