"""Queueing configuration syncs (on demand and nightly with Auto Sync) and the nightly
reconciliations (`jobs.start_config_sync` hands a new job to a worker)."""

import datetime
import logging
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounting.providers import provider_for
from accounting.services.reconciliation import nightly_range
from accounting.services.runs import start_reconciliation
from integrations.connect.base import flow_for
from integrations.connect.oauth import OAuthFlow
from integrations.models import ConnectionStatus, Integration, Job, JobStatus
from integrations.selectors import CONFIG_SYNC_JOB, connected_provider
from integrations.services.connection import (
    MANDATORY_ATTRIBUTES,
    integration_for_update,
    provider_name,
)
from sifi.exceptions import Conflict, DomainError
from sifi.models import Organization

logger = logging.getLogger(__name__)

# A queued/running job not heard from for this long is taken as dead (its worker was killed).
STALE_JOB_AFTER = timedelta(minutes=15)


def normalize_attributes(attributes: Iterable[str] | None, provider: str) -> list[str]:
    """Accounts are always synced; attributes the provider does not offer are a 400."""
    optional = flow_for(provider).optional_attributes
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
    provider: str | None = None,
    trigger: str = "manual",
) -> tuple[Job, bool]:
    """Queue a configuration sync (chart of accounts, chosen attributes) of the organization's
    connection to `provider` (None: the system it keeps its books in now): the job, and
    whether it is new (a new job still has to be handed to a worker: `jobs.start_config_sync`).

    Idempotent while one runs: a second request gets the job already queued or running, so
    two syncs of one organization never run at once (also enforced by a unique index).
    """
    provider = provider or connected_provider(organization=organization)
    if provider is None:
        raise Conflict(_("Connect an accounting system before syncing."), code="not_connected")
    with transaction.atomic():
        integration = integration_for_update(organization=organization, provider=provider)
        if integration.status == ConnectionStatus.NOT_CONNECTED:
            raise Conflict(
                _("Connect %(provider)s before syncing.") % {"provider": provider_name(provider)},
                code="not_connected",
            )
        # (a provider without a connect flow, a test's stand-in for books, has no company step)
        flow = flow_for(provider) if provider_for(provider).connect_flow else None
        if isinstance(flow, OAuthFlow) and not integration.location.get(flow.company_field):
            raise Conflict(
                _("Choose the company %(provider)s keeps your books in before syncing.")
                % {"provider": provider_name(provider)},
                code="company_not_chosen",
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
