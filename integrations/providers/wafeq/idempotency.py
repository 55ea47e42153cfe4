"""The `X-Wafeq-Idempotency-Key` we send with a write (providers-api.md §3.6).

Wafeq answers a write sent again with the same key (and the same body) within one hour with
the original answer (`X-Wafeq-Idempotent-Replayed: true`) instead of creating a second object.
It wants a UUID (anything else is a 400). So the key must be the same on every retry of the
same write, whichever worker sends it and after any restart: it is a UUIDv5 of the
organization and our reference in a fixed namespace, never a random one.

- `organization`: whose books (our organization's id, or Wafeq's organization id: each is
  stable, and one SiFi organization keeps its books in one Wafeq organization).
- `reference`: our reference for the entry (the SiFi transaction reference).
- `parts`: what else tells two writes of the same entry apart: "file" and the content's
  digest for an upload; a revision of the body when it changed since (a receipt added):
  Wafeq refuses, or replays the old answer for, a known key with another body, so a changed
  body takes a new key — and only after the lookup by `external_id` found nothing (SPEC §3b).

After the hour, Wafeq forgets the key: the lookup by `external_id` is what finds an entry an
earlier attempt created.
"""

import hashlib
import uuid

# Never change it: a retry after a deploy must send the key the first attempt sent.
NAMESPACE = uuid.UUID("0b7c3f0e-6a51-5d7e-9c1f-8a2e4d6b9f13")


def idempotency_key(organization: str | int, reference: str, *parts: str) -> str:
    """The key for one write of `reference`'s entry in `organization`'s books: the same
    arguments give the same UUID, in every process, forever."""
    if not str(organization) or not reference:
        raise ValueError("An idempotency key needs the organization and our reference.")
    name = ":".join([str(organization), reference, *parts])
    return str(uuid.uuid5(NAMESPACE, name))


def upload_key(organization: str | int, reference: str, content: bytes) -> str:
    """The key for uploading one receipt of `reference`'s entry: the same file, the same key
    (a retried upload is answered with the file already stored, where Wafeq honours keys on
    uploads at all)."""
    return idempotency_key(organization, reference, "file", hashlib.sha256(content).hexdigest())


def is_valid_key(key: str) -> bool:
    """Whether Wafeq will take `key` (a UUID in its canonical text form)."""
    try:
        return str(uuid.UUID(key)) == key.lower()
    except ValueError:
        return False
