"""Connecting through OAuth 2.0's authorization code (the `oauth` connect style): start an
authorization, finish it on the callback, and choose the company when the grant reaches
several.

The `state` we send along is the only thing that ties a callback to the person who asked: a
random token, stored as its SHA-256, single-use, bound to the user and the organization, and
valid `settings.OAUTH_STATE_TTL_SECONDS`. A callback that fails any check stores nothing.
"""

import hashlib
import secrets
from collections.abc import Mapping
from dataclasses import replace
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from integrations.connect.base import Connected, flow_for
from integrations.connect.oauth import AuthorizationRefused, OAuthFlow
from integrations.models import ConnectionStatus, Integration, OAuthState
from integrations.services.connection import (
    ConnectResult,
    integration_for_update,
    provider_name,
    refuse_a_second_system,
    require_consent,
    snapshot,
    store_connection,
)
from sifi.exceptions import Conflict
from sifi.models import Organization
from sifi.services import record_audit


def _oauth_flow(provider: str) -> OAuthFlow:
    flow = flow_for(provider)
    if not isinstance(flow, OAuthFlow):
        raise Conflict(
            _("%(provider)s is not connected through a sign-in page.")
            % {"provider": provider_name(provider)},
            code="not_oauth",
        )
    return flow


def _state_hash(state: str) -> str:
    return hashlib.sha256(state.encode()).hexdigest()


def start_authorization(*, actor: Any, organization: Organization, provider: str) -> str:
    """The provider's consent page to send `actor` to, with a new single-use state. Needs
    consent (409), no other accounting system (409), and this one not connected already
    (409: disconnect first)."""
    flow = _oauth_flow(provider)
    refuse_a_second_system(organization=organization, provider=provider)
    require_consent(organization=organization, provider=provider)
    if Integration.objects.filter(
        organization=organization, provider=provider, status=ConnectionStatus.CONNECTED
    ).exists():
        raise Conflict(
            _("%(provider)s is connected already. Disconnect it first to connect again.")
            % {"provider": provider_name(provider)},
            code="already_connected",
        )
    state = secrets.token_urlsafe(32)
    OAuthState.objects.create(
        organization=organization,
        user=actor,
        provider=provider,
        state_hash=_state_hash(state),
        expires_at=timezone.now() + timedelta(seconds=settings.OAUTH_STATE_TTL_SECONDS),
    )
    return flow.authorize_url(state=state)


def _take_state(*, actor: Any, organization: Organization, provider: str, state: str) -> None:
    """Use the state once, whatever follows; refused if unknown, used, expired, or another
    user's, organization's or provider's."""
    refused = AuthorizationRefused(
        _(
            "This sign-in link is not valid any more (used, expired after %(minutes)s minutes, "
            "or started by someone else). Start connecting %(provider)s again."
        )
        % {
            "minutes": settings.OAUTH_STATE_TTL_SECONDS // 60,
            "provider": provider_name(provider),
        }
    )
    if not state:
        raise refused
    with transaction.atomic():
        row = (
            OAuthState.objects.select_for_update()
            .filter(state_hash=_state_hash(state), used_at__isnull=True)
            .first()
        )
        if row is None:
            raise refused
        row.used_at = timezone.now()
        row.save(update_fields=["used_at"])
    if (
        row.user_id != actor.pk
        or row.organization_id != organization.pk
        or row.provider != provider
        or row.expires_at <= timezone.now()
    ):
        raise refused


def finish_authorization(
    *, actor: Any, organization: Organization, provider: str, params: Mapping[str, str]
) -> ConnectResult:
    """The callback: check the state (single-use, same user and organization, not expired),
    then let the flow exchange the code and store what it learned. Reconnecting a connection
    that needs attention replaces its secrets, clears the reason and keeps its configuration
    (the chosen company, the accounts, Auto Sync). Raises
    `AuthorizationRefused` with a sentence (nothing stored) or `UpstreamError`."""
    flow = _oauth_flow(provider)
    _take_state(
        actor=actor, organization=organization, provider=provider, state=params.get("state", "")
    )
    if params.get("error"):
        raise AuthorizationRefused(
            _("%(provider)s did not grant access (%(reason)s). Nothing was saved.")
            % {"provider": provider_name(provider), "reason": params["error"]}
        )
    refuse_a_second_system(organization=organization, provider=provider)
    reconnecting = Integration.objects.filter(
        organization=organization, provider=provider, status=ConnectionStatus.NEEDS_ATTENTION
    ).first()
    connected = flow.exchange(organization=organization, params=params)
    chosen = reconnecting.location.get(flow.company_field) if reconnecting else None
    if chosen and reconnecting is not None:
        connected = _with_the_same_company(
            flow,
            organization=organization,
            connected=connected,
            company_id=str(chosen),
            company_name=reconnecting.company_name,
        )
    else:
        connected = _with_the_only_company(flow, organization=organization, connected=connected)
    integration = store_connection(
        actor=actor, organization=organization, provider=provider, connected=connected
    )
    return ConnectResult(integration=integration, accounts_found=connected.accounts_found)


def _with_the_only_company(
    flow: OAuthFlow, *, organization: Organization, connected: Connected
) -> Connected:
    """A grant that reaches one company keeps the books in it, if it can (a company in
    another currency is refused: the grant is revoked and nothing stored); several: the
    person chooses (`choose_company`)."""
    companies = connected.details.get("companies") or []
    if len(companies) != 1 or connected.location.get(flow.company_field):
        return connected
    (company,) = companies
    refusal = flow.company_refusal(organization=organization, company=company)
    if refusal:
        flow.revoke(secrets=connected.secrets, location=connected.location)
        raise AuthorizationRefused(refusal)
    return replace(
        connected,
        location={**connected.location, flow.company_field: str(company["id"])},
        details={**connected.details, "company_name": str(company.get("name", ""))},
    )


def _with_the_same_company(
    flow: OAuthFlow,
    *,
    organization: Organization,
    connected: Connected,
    company_id: str,
    company_name: str,
) -> Connected:
    """Reconnecting a connection that needs attention keeps its books where they were: the
    new grant must reach the chosen company (else it is revoked and nothing stored: the
    configuration's accounts belong to that company's chart)."""
    companies = connected.details.get("companies") or []
    company = next((row for row in companies if str(row.get("id")) == company_id), None)
    refusal = (
        _(
            "This %(provider)s sign-in does not reach %(company)s, where SiFi keeps this "
            "organization's books. Sign in as a user of %(company)s, or disconnect "
            "%(provider)s and connect it again to choose another company. Nothing was saved."
        )
        % {"provider": provider_name(flow.key), "company": company_name or company_id}
        if company is None
        else flow.company_refusal(organization=organization, company=company)
    )
    if refusal or company is None:
        flow.revoke(secrets=connected.secrets, location=connected.location)
        raise AuthorizationRefused(refusal or "")
    return replace(
        connected,
        location={**connected.location, flow.company_field: company_id},
        details={**connected.details, "company_name": str(company.get("name", ""))},
    )


@transaction.atomic
def choose_company(
    *, actor: Any, organization: Organization, provider: str, company_id: str
) -> Integration:
    """Keep the books in one of the companies the grant reaches (`Integration.companies`):
    a 400 for an unknown one or one whose currency is not the organization's."""
    flow = _oauth_flow(provider)
    integration = integration_for_update(organization=organization, provider=provider)
    if integration.status == ConnectionStatus.NOT_CONNECTED:
        raise Conflict(
            _("Connect %(provider)s before choosing a company.")
            % {"provider": provider_name(provider)},
            code="not_connected",
        )
    company = next(
        (row for row in integration.companies if str(row.get("id")) == str(company_id)), None
    )
    field = flow.company_field
    if company is None:
        raise ValidationError({field: [flow.unknown_company_message()]})
    refusal = flow.company_refusal(organization=organization, company=company)
    if refusal:
        raise ValidationError({field: [refusal]})
    before = snapshot(integration)
    integration.location = {**integration.location, field: str(company["id"])}
    integration.company_name = str(company.get("name", ""))
    integration.save(update_fields=["location", "company_name", "updated_at"])
    record_audit(
        organization=organization,
        actor=actor,
        action="integration.choose_company",
        target_type="integration",
        target_id=integration.pk,
        before=before,
        after=snapshot(integration),
    )
    return integration
