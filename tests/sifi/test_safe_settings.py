"""Production settings are safe by default: no public secret, HTTPS only, `check --deploy`
clean. Settings are read once per process, so each case starts `manage.py` afresh."""

import base64
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def manage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    # Not this test process's keys, nor the browser tests' async switch (a deploy error).
    dropped = ("SECRET_KEY", "FIELD_ENCRYPTION_KEYS", "DJANGO_ALLOW_ASYNC_UNSAFE")
    base = {k: v for k, v in os.environ.items() if k not in dropped}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def production_keys() -> dict[str, str]:
    return {
        "SECRET_KEY": secrets.token_urlsafe(50),
        "FIELD_ENCRYPTION_KEYS": base64.urlsafe_b64encode(os.urandom(32)).decode(),
    }


@pytest.mark.slow
def test_check_deploy_is_clean_with_production_settings():
    result = manage(
        "check", "--deploy", "--fail-level", "WARNING", DEBUG="false", **production_keys()
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.slow
@pytest.mark.parametrize("missing", ["SECRET_KEY", "FIELD_ENCRYPTION_KEYS"])
def test_production_refuses_to_start_without_its_keys(missing):
    keys = production_keys()
    del keys[missing]
    result = manage("check", DEBUG="false", **keys)
    assert result.returncode != 0
    assert f"DEBUG is off, so {missing} must be set" in result.stderr


@pytest.mark.slow
def test_production_refuses_the_public_development_secret_key():
    keys = production_keys()
    keys["SECRET_KEY"] = "dev-only-insecure-secret-key-change-me-in-production"
    result = manage("check", DEBUG="false", **keys)
    assert result.returncode != 0
    assert "not the development default" in result.stderr


@pytest.mark.slow
def test_production_serves_https_only_with_hsts_and_secure_cookies():
    code = (
        "from django.conf import settings as s; "
        "print(s.SECURE_SSL_REDIRECT, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, "
        "s.SECURE_HSTS_SECONDS >= 31536000, s.SECURE_PROXY_SSL_HEADER)"
    )
    result = manage("shell", "-c", code, DEBUG="false", **production_keys())
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == (
        "True True True True ('HTTP_X_FORWARDED_PROTO', 'https')"
    )


@pytest.mark.slow
def test_production_calls_no_private_provider_address_unless_told():
    """ALLOW_PRIVATE_PROVIDER_URLS follows DEBUG: off in production (SPEC §3)."""
    code = "from django.conf import settings as s; print(s.ALLOW_PRIVATE_PROVIDER_URLS)"
    production = manage("shell", "-c", code, DEBUG="false", **production_keys())
    development = manage("shell", "-c", code, DEBUG="true")
    assert production.stdout.strip().splitlines()[-1] == "False", production.stderr
    assert development.stdout.strip().splitlines()[-1] == "True", development.stderr


def test_bin_secrets_writes_this_installations_own_keys_once(tmp_path):
    target = tmp_path / "secrets.env"
    subprocess.run([ROOT / "bin" / "secrets", str(target)], check=True, capture_output=True)
    first = target.read_text()
    subprocess.run([ROOT / "bin" / "secrets", str(target)], check=True, capture_output=True)
    assert target.read_text() == first  # kept: the encryption key decrypts stored API keys
    values = dict(line.split("=", 1) for line in first.splitlines())
    assert len(values["SECRET_KEY"]) >= 50
    assert len(base64.urlsafe_b64decode(values["FIELD_ENCRYPTION_KEYS"])) == 32
    assert oct(target.stat().st_mode & 0o777) == "0o600"
