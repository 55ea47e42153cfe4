"""Writes of the core: organizations, people, service tokens, audit rows."""

from typing import Any

from django.db import transaction

from sifi.models import AuditEvent, Organization, Role, ServiceToken, User, hash_token


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
    person = actor if isinstance(actor, User) else None
    return AuditEvent.objects.create(
        organization=organization,
        actor=person,
        actor_label=str(actor) if actor is not None else "system",
        action=action,
        target_type=target_type,
        target_id=target_id,
        before=before,
        after=after,
    )


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


__all__ = ["Role", "create_service_token", "ensure_member", "record_audit"]
