"""A URL a person types (Odoo's instance URL) is called only over HTTPS and never at a private,
loopback or link-local address, unless ALLOW_PRIVATE_PROVIDER_URLS (SPEC §3): checked when it
is typed, and again at the socket on every connection (DNS rebinding)."""

import ipaddress
from typing import Any

import pytest

from integrations import provider_urls
from integrations.provider_urls import (
    ProviderHostUnknown,
    UnsafeProviderUrl,
    check_instance_url,
    normalize_instance_url,
)
from integrations.providers.odoo.client import OdooClient
from integrations.providers.odoo.connect import OdooConnect
from integrations.providers.odoo.errors import OdooUnsafeAddress

PUBLIC = "104.18.32.7"

# Odoo is the provider whose instance URL people type.
ODOO: dict[str, Any] = {
    "web_client_segments": OdooConnect.web_client_segments,
    "invalid_message": str(OdooConnect.address_message),
}


@pytest.fixture
def dns(monkeypatch):
    """A resolver the test controls: host → addresses (a list per call, or one list)."""
    answers: dict[str, list] = {}

    def resolve(host, port):
        if host not in answers:
            try:
                return [ipaddress.ip_address(host.strip("[]"))]
            except ValueError:
                raise ProviderHostUnknown(f"We could not find the server {host}.") from None
        answer = answers[host]
        current = answer.pop(0) if answer and isinstance(answer[0], list) else answer
        return [ipaddress.ip_address(a) for a in current]

    monkeypatch.setattr(provider_urls, "resolve", resolve)
    return answers


@pytest.fixture
def production(settings):
    settings.ALLOW_PRIVATE_PROVIDER_URLS = False


@pytest.mark.parametrize(
    ("typed", "normalized"),
    [
        ("acme.odoo.com", "https://acme.odoo.com"),
        ("https://Acme.Odoo.com/", "https://acme.odoo.com"),
        ("https://acme.odoo.com/web#action=12&model=account.move", "https://acme.odoo.com"),
        ("https://acme.odoo.com/odoo/accounting?debug=1", "https://acme.odoo.com"),
        ("https://acme.odoo.com/web/login", "https://acme.odoo.com"),
        ("https://erp.acme.sa:8443/erp/web", "https://erp.acme.sa:8443/erp"),
        ("  https://erp.acme.sa/jsonrpc  ", "https://erp.acme.sa"),
    ],
)
def test_what_people_paste_from_their_browser_becomes_the_instance_url(typed, normalized):
    assert normalize_instance_url(typed, **ODOO) == normalized


@pytest.mark.parametrize(
    "typed", ["", "ftp://acme.odoo.com", "https://bot:secret@acme.odoo.com", "https://"]
)
def test_urls_that_are_not_an_odoo_address_are_refused(typed):
    with pytest.raises(UnsafeProviderUrl):
        normalize_instance_url(typed, **ODOO)


def test_a_public_https_address_is_accepted(production, dns):
    dns["acme.odoo.com"] = [PUBLIC]
    assert check_instance_url("https://acme.odoo.com/web", **ODOO) == "https://acme.odoo.com"


def test_plain_http_is_refused_before_anything_is_resolved(production, dns):
    dns["acme.odoo.com"] = [PUBLIC]
    with pytest.raises(UnsafeProviderUrl, match="https://"):
        check_instance_url("http://acme.odoo.com", **ODOO)


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.1.2.3",
        "172.16.0.9",
        "192.168.1.20",
        "169.254.169.254",  # the cloud's metadata service
        "100.64.0.1",
        "0.0.0.0",
        "::1",
        "fe80::1",
        "fd00::7",
        "::ffff:127.0.0.1",
        "224.0.0.1",
    ],
)
def test_private_loopback_and_link_local_addresses_are_refused(production, dns, address):
    dns["odoo.acme.sa"] = [address]
    with pytest.raises(UnsafeProviderUrl, match="private network"):
        check_instance_url("https://odoo.acme.sa", **ODOO)


def test_every_address_of_a_host_is_checked(production, dns):
    dns["odoo.acme.sa"] = [PUBLIC, "10.0.0.8"]
    with pytest.raises(UnsafeProviderUrl):
        check_instance_url("https://odoo.acme.sa", **ODOO)


def test_an_ip_literal_is_judged_as_an_address(production, dns):
    with pytest.raises(UnsafeProviderUrl):
        check_instance_url("https://127.0.0.1:8069", **ODOO)
    with pytest.raises(UnsafeProviderUrl):
        check_instance_url("https://[::1]:8069", **ODOO)


def test_an_unknown_host_says_so(production, dns):
    with pytest.raises(ProviderHostUnknown, match="could not find"):
        check_instance_url("https://no-such-odoo.example", **ODOO)


def test_allowing_private_addresses_allows_http_to_them_but_never_to_the_internet(settings, dns):
    settings.ALLOW_PRIVATE_PROVIDER_URLS = True
    dns["odoo.local"] = ["192.168.1.20"]
    dns["acme.odoo.com"] = [PUBLIC]
    assert check_instance_url("http://odoo.local:8069", **ODOO) == "http://odoo.local:8069"
    assert check_instance_url("https://acme.odoo.com", **ODOO) == "https://acme.odoo.com"
    with pytest.raises(UnsafeProviderUrl, match="https://"):
        check_instance_url("http://acme.odoo.com", **ODOO)


def test_a_host_that_turns_private_after_the_check_is_refused_at_the_socket(production, dns):
    """DNS rebinding: public when typed, 127.0.0.1 when connecting. The client's network
    backend resolves and checks again, and refuses before anything is sent."""
    dns["odoo.acme.sa"] = [[PUBLIC], ["127.0.0.1"]]
    url = check_instance_url("https://odoo.acme.sa", **ODOO)
    with (
        OdooClient(url, database="d", username="u", api_key="k") as client,
        pytest.raises(OdooUnsafeAddress) as refused,
    ):
        client.version()
    assert "private network" in refused.value.message


def test_the_sandbox_on_this_machine_is_refused_unless_allowed(odoo_sandbox, settings):
    settings.ALLOW_PRIVATE_PROVIDER_URLS = False
    with (
        OdooClient(odoo_sandbox.url, database="demo", username="u", api_key="k") as client,
        pytest.raises(OdooUnsafeAddress),
    ):
        client.version()
    assert odoo_sandbox.stats().get("served", 0) == 0  # nothing reached it
    settings.ALLOW_PRIVATE_PROVIDER_URLS = True
    with OdooClient(odoo_sandbox.url, database="demo", username="u", api_key="k") as client:
        assert client.version().major == 17
