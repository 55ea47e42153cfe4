"""Reads of integrations and jobs, always scoped to one organization."""

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from accounting.providers import provider_for, provider_keys
from integrations.models import ConnectionStatus, Integration, Job, JobStatus, TaxRate
from sifi.models import Organization

CONFIG_SYNC_JOB = "config_sync"


def integration_for(*, organization: Organization, provider: str) -> Integration:
    """The organization's integration row, or an unsaved one in state "not connected"."""
    integration = (
        Integration.objects.select_related(
            "source_account", "input_vat_account", "output_vat_account"
        )
        .filter(organization=organization, provider=provider)
        .first()
    )
    return integration or Integration(organization=organization, provider=provider)


def is_syncing(*, integration: Integration) -> bool:
    if integration.pk is None:
        return False
    return Job.objects.filter(
        organization_id=integration.organization_id,
        kind=CONFIG_SYNC_JOB,
        status__in=[JobStatus.QUEUED, JobStatus.RUNNING],
    ).exists()


def connection_state(*, integration: Integration) -> str:
    """not_connected / connected / needs_attention / syncing, as the UI shows it."""
    if integration.status == ConnectionStatus.NOT_CONNECTED or integration.pk is None:
        return ConnectionStatus.NOT_CONNECTED
    if integration.status == ConnectionStatus.NEEDS_ATTENTION:
        return ConnectionStatus.NEEDS_ATTENTION
    if is_syncing(integration=integration):
        return "syncing"
    return ConnectionStatus.CONNECTED


def connected_provider(*, organization: Organization) -> str | None:
    """The provider the organization keeps its books in now (connected or needing attention),
    if any: one at most."""
    return (
        Integration.objects.filter(organization=organization)
        .exclude(status=ConnectionStatus.NOT_CONNECTED)
        .values_list("provider", flat=True)
        .first()
    )


def provider_list(*, organization: Organization) -> list[dict]:
    """Every registered accounting system (settings.ACCOUNTING_PROVIDERS) with the
    organization's state; the UI shows them as cards. `blocked_by` names the other system the
    organization keeps its books in (disconnect it first), if any. A provider registered
    without a connect flow yet cannot be connected: no card."""
    rows = []
    connected = connected_provider(organization=organization)
    for key in provider_keys():
        provider = provider_for(key)
        if not provider.connect_flow:
            continue
        integration = integration_for(organization=organization, provider=key)
        rows.append(
            {
                "provider": key,
                "name": str(provider.name),
                "description": provider.description,
                "state": connection_state(integration=integration),
                "blocked_by": str(provider_for(connected).name)
                if connected and connected != key
                else "",
            }
        )
    return rows


def job_list(*, organization: Organization) -> QuerySet[Job]:
    return Job.objects.filter(organization=organization)


def job_get(*, organization: Organization, job_id: int) -> Job:
    """The job if it belongs to the organization; 404 otherwise (even if it exists elsewhere)."""
    return get_object_or_404(job_list(organization=organization), pk=job_id)


def latest_config_job(*, organization: Organization) -> Job | None:
    return job_list(organization=organization).filter(kind=CONFIG_SYNC_JOB).first()


def wizard_step(
    *,
    integration: Integration,
    has_accounts: bool,
    blocked_by: str = "",
    company_field: str = "",
) -> str:
    """Where the connect wizard stands: consent → api_key (the credentials) → company (when
    the grant reaches several and none is chosen: `company_field` names where the choice is
    kept) → attributes → configuration; "blocked" while another accounting system is
    connected. Connected again after the chart was last synced (a disconnect, a new key):
    the attributes step again, so the chart is synced fresh before it is configured."""
    if integration.status == ConnectionStatus.NOT_CONNECTED:
        if blocked_by:
            return "blocked"
        return "api_key" if integration.consented_at else "consent"
    if company_field and not integration.location.get(company_field):
        return "company"
    if not has_accounts:
        return "attributes"
    synced, connected = integration.last_sync_at, integration.connected_at
    if synced is not None and connected is not None and synced < connected:
        return "attributes"
    return "configuration"


def tax_rate_list(*, organization: Organization, provider: str) -> QuerySet[TaxRate]:
    """The provider's active tax rates for the organization, by name."""
    return TaxRate.objects.filter(organization=organization, provider=provider, active=True)
