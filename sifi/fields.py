"""A model field that keeps secrets encrypted at rest with Fernet (cryptography).

MultiFernet encrypts with the first key of FIELD_ENCRYPTION_KEYS and decrypts with any of
them, which is what makes key rotation possible (see `manage.py rotate_encryption_keys`).
"""

import json
from collections.abc import Mapping
from functools import cache
from typing import TYPE_CHECKING, Any

from cryptography.fernet import Fernet, MultiFernet
from django.conf import settings
from django.db import models


@cache
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(key.encode()) for key in keys])


def fernet() -> MultiFernet:
    return _fernet(tuple(settings.FIELD_ENCRYPTION_KEYS))


def encrypt(plaintext: str) -> str:
    return fernet().encrypt(plaintext.encode()).decode()


def decrypt(ciphertext: str) -> str:
    return fernet().decrypt(ciphertext.encode()).decode()


def rotate(ciphertext: str) -> str:
    """Re-encrypt a value with the newest key."""
    return fernet().rotate(ciphertext.encode()).decode()


class EncryptedTextField(models.TextField):
    """Plain text in Python, Fernet ciphertext in the database. Never filter on it."""

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> str | None:
        if value is None or value == "":
            return value
        return decrypt(value)

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return encrypt(value)


if TYPE_CHECKING:
    _SecretsField = models.Field[Mapping[str, str] | None, dict[str, str]]
else:
    _SecretsField = models.Field


class EncryptedJSONField(_SecretsField):
    """A mapping of secrets (name → text) in Python, one Fernet ciphertext of its JSON in the
    database: a provider's API key, or OAuth's refresh token, whatever it needs. Never filter
    on it. An empty mapping is stored as an empty string."""

    def get_internal_type(self) -> str:
        return "TextField"

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> dict[str, str]:
        if value is None or value == "":
            return {}
        return dict(json.loads(decrypt(value)))

    def to_python(self, value: Any) -> dict[str, str]:
        if isinstance(value, dict):
            return value
        if value is None or value == "":
            return {}
        return dict(json.loads(decrypt(value)))

    def get_prep_value(self, value: Any) -> Any:
        if not value:
            return ""
        return encrypt(json.dumps(dict(value), sort_keys=True))

    def value_to_string(self, obj: Any) -> str:  # dumpdata: never the plaintext
        return ""
