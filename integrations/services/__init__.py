"""Writes of an organization's connection to its accounting system, one module per concept:
`connection` (consent, connect, disconnect, needs attention, refreshed secrets),
`authorization` (OAuth 2.0: start, the callback, the company choice),
`configuration` (source account, Input VAT account, journal, Auto Sync) and `sync_jobs`
(queueing configuration syncs and the nightly work). The names below are what the rest of the
project calls."""

from integrations.services.authorization import (
    choose_company,
    finish_authorization,
    start_authorization,
)
from integrations.services.configuration import configure
from integrations.services.connection import (
    MANDATORY_ATTRIBUTES,
    ConnectResult,
    connect,
    disconnect,
    mark_needs_attention,
    provider_name,
    record_consent,
    refuse_a_second_system,
    require_consent,
    store_connection,
    write_back_secrets,
)
from integrations.services.sync_jobs import (
    STALE_JOB_AFTER,
    normalize_attributes,
    queue_config_sync,
    queue_nightly_auto_syncs,
    start_nightly_reconciliations,
)

__all__ = [
    "MANDATORY_ATTRIBUTES",
    "STALE_JOB_AFTER",
    "ConnectResult",
    "choose_company",
    "configure",
    "connect",
    "disconnect",
    "finish_authorization",
    "mark_needs_attention",
    "normalize_attributes",
    "provider_name",
    "queue_config_sync",
    "queue_nightly_auto_syncs",
    "record_consent",
    "refuse_a_second_system",
    "require_consent",
    "start_authorization",
    "start_nightly_reconciliations",
    "store_connection",
    "write_back_secrets",
]
