"""Writes of the core: organizations, people, service tokens, audit rows."""

import json
from typing import Any

from django.db import transaction

from sifi.models import AuditEvent, Organization, Role, ServiceToken, User, hash_token

# The audit trail has two writers, both here: `record_audit` for one change, and
# `bulk_audit_sql` for a set-based change that writes its rows inside its own statement.


def _actor(actor: Any) -> tuple[User | None, str]:
    """Who acted: a person (with their name kept as it was), or the system."""
    person = actor if isinstance(actor, User) else None
    return person, str(actor) if actor is not None else "system"


def record_audit(
    *,
    organization: Organization,
    actor: Any,
    action: str,
    target_type: str,
    target_id: int,
    before: Any = None,
    after: Any = None,
) -> AuditEvent:
    """Append one audit row. Call it inside the transaction of the change it records."""
    person, label = _actor(actor)
    return AuditEvent.objects.create(
        organization=organization,
        actor=person,
        actor_label=label,
        action=action,
        target_type=target_type,
        target_id=target_id,
        before=before,
        after=after,
    )


def bulk_audit_sql(
    *,
    rows: str,
    organization: Organization,
    actor: Any,
    action: str,
    target_type: str,
    after: Any,
) -> tuple[str, list[Any]]:
    """The twin of `record_audit` for set-based changes: an `INSERT … SELECT … RETURNING 1`
    writing one audit row per row of `rows` (a CTE of the caller's statement with the
    columns `target_id` and `before`, jsonb), all with the same actor, action and `after`.

    Returns the SQL to place as a CTE of that statement and its parameters, in order; the
    rows are written in the same database transaction as the change, or not at all.
    """
    person, label = _actor(actor)
    sql = f"""
    INSERT INTO {AuditEvent._meta.db_table}
        (organization_id, actor_id, actor_label, action, target_type, target_id,
         before, after, created_at)
    SELECT %s, %s, %s, %s, %s, {rows}.target_id, {rows}.before, %s::jsonb, now()
    FROM {rows}
    RETURNING 1
    """  # noqa: S608 (table and CTE names are ours; values are parameters)
    params = [
        organization.pk,
        person.pk if person else None,
        label,
        action,
        target_type,
        json.dumps(after),
    ]
    return sql, params


@transaction.atomic
def create_service_token(
    *, organization: Organization, name: str = "ingestion", raw_token: str | None = None
) -> str:
    """Create an ingestion token and return it in clear: the only time it is ever shown.

    With `raw_token` (the demo's fixed token) it is idempotent: an existing token is kept.
    """
    raw = raw_token or ServiceToken.new_raw_token()
    if not raw.startswith(ServiceToken.PREFIX):
        raise ValueError(f"Service tokens start with {ServiceToken.PREFIX!r}")
    ServiceToken.objects.get_or_create(
        token_hash=hash_token(raw),
        defaults={"organization": organization, "name": name, "hint": raw[-4:]},
    )
    return raw


@transaction.atomic
def ensure_member(
    *, organization: Organization, username: str, role: str, password: str, **names: str
) -> User:
    """Create the user if missing; an existing user is left exactly as it is."""
    user, created = User.objects.get_or_create(
        username=username, defaults={"organization": organization, "role": role, **names}
    )
    if created:
        user.set_password(password)
        user.save(update_fields=["password"])
    return user


__all__ = ["Role", "bulk_audit_sql", "create_service_token", "ensure_member", "record_audit"]
