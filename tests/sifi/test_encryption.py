"""Secrets are encrypted at rest and keys can be rotated."""

import io

from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import connection

from integrations.models import Integration
from sifi import fields


def test_api_key_is_ciphertext_in_the_database(org_a):
    Integration.objects.create(
        provider="qoyod", organization=org_a, secrets={"api_key": "qoyod-secret-key-1234"}
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT secrets FROM integrations_integration")
        (stored,) = cursor.fetchone()
    assert "qoyod-secret-key-1234" not in stored
    assert (
        Integration.objects.get(organization=org_a).secrets.get("api_key", "")
        == "qoyod-secret-key-1234"
    )


def test_a_value_encrypted_with_an_old_key_still_reads_after_rotation(settings):
    old_key = Fernet.generate_key().decode()
    new_key = Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [old_key]
    token = fields.encrypt("secret")
    settings.FIELD_ENCRYPTION_KEYS = [new_key, old_key]
    assert fields.decrypt(token) == "secret"
    rotated = fields.rotate(token)
    settings.FIELD_ENCRYPTION_KEYS = [new_key]
    assert fields.decrypt(rotated) == "secret"


def test_rotate_command_re_encrypts_with_the_newest_key(org_a, settings):
    old_key = Fernet.generate_key().decode()
    new_key = Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [old_key]
    Integration.objects.create(
        provider="qoyod", organization=org_a, secrets={"api_key": "rotate-me-9876"}
    )
    settings.FIELD_ENCRYPTION_KEYS = [new_key, old_key]
    call_command("rotate_encryption_keys", stdout=io.StringIO())
    settings.FIELD_ENCRYPTION_KEYS = [new_key]  # the old key is gone
    assert (
        Integration.objects.get(organization=org_a).secrets.get("api_key", "") == "rotate-me-9876"
    )
