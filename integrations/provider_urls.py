"""Addresses people type for their accounting system (an instance URL): what we will call.

SPEC §3: such a URL is called only over HTTPS and never at a private, loopback or link-local
address (nor any other address that is not on the public internet), unless
`settings.ALLOW_PRIVATE_PROVIDER_URLS` is on; that also allows plain HTTP to such addresses
(the sandboxes, tests). Clients never follow redirects.

Checked twice:
- when a person types the URL (`check_instance_url`): a clear form error, nothing stored;
- on every connection (`GuardedTransport`): the network backend resolves the host itself,
  checks every address it resolves to, and connects to a checked address (TLS still verifies
  the name). A host that resolved to a public address when it was typed and to an internal
  one later (DNS rebinding) is refused at the socket, before a byte is sent.
"""

import ipaddress
import socket
from collections.abc import Iterable
from typing import Any

import httpcore
import httpx
from django.conf import settings
from django.utils.translation import gettext as _

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class ProviderUrlError(Exception):
    """A typed URL we will not call, with a sentence a person can act on."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class UnsafeProviderUrl(ProviderUrlError):
    """Not HTTPS, or an address that is not on the public internet."""


class ProviderHostUnknown(ProviderUrlError):
    """The host name does not resolve (typo, or the DNS is down)."""


def normalize_instance_url(
    raw: str, *, web_client_segments: Iterable[str] = (), invalid_message: str = ""
) -> str:
    """`https://host[:port][/path]`, lower-case host, without the web client's paths, query,
    fragment or trailing slash. No network: only the shape is checked.

    What people paste from their browser carries the web client's paths, which are not the
    instance's: the path is cut at the first of `web_client_segments` (an instance behind a
    proxy may live under a path of its own: that part is kept). `invalid_message` says what
    to enter when the text is no address at all."""
    invalid = invalid_message or _("Enter the address of your accounting system.")
    web_client = set(web_client_segments)
    text = raw.strip()
    if "://" not in text:
        text = f"https://{text}"
    try:
        url = httpx.URL(text)
    except (httpx.InvalidURL, ValueError):
        raise UnsafeProviderUrl(invalid) from None
    if url.scheme not in ("http", "https") or not url.host:
        raise UnsafeProviderUrl(invalid)
    if url.userinfo:
        raise UnsafeProviderUrl(_("Enter the address without a user name or password in it."))
    segments = [segment for segment in url.path.split("/") if segment]
    for index, segment in enumerate(segments):
        if segment in web_client:
            segments = segments[:index]
            break
    path = "".join(f"/{segment}" for segment in segments)
    host = url.raw_host.decode("ascii")
    if ":" in host:  # an IPv6 literal
        host = f"[{host}]"
    port = f":{url.port}" if url.port else ""
    return f"{url.scheme}://{host}{port}{path}"


def is_public(address: IPAddress) -> bool:
    """On the public internet: not private, loopback, link-local, shared, reserved or
    multicast (an IPv4 address written as IPv6 is judged as the IPv4 one)."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast


def resolve(host: str, port: int) -> list[IPAddress]:
    """Every address `host` resolves to (an IP literal is itself). Tests replace this."""
    try:
        return [ipaddress.ip_address(host.strip("[]"))]
    except ValueError:
        pass
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise ProviderHostUnknown(
            _("We could not find the server %(host)s. Check the address.") % {"host": host}
        ) from None
    addresses: list[IPAddress] = []
    for _family, _type, _proto, _canonical, sockaddr in found:
        address = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
        if address not in addresses:
            addresses.append(address)
    return addresses


def _allow_private() -> bool:
    return bool(getattr(settings, "ALLOW_PRIVATE_PROVIDER_URLS", False))


def check_addresses(host: str, port: int, *, scheme: str) -> list[IPAddress]:
    """The addresses of `host` we may connect to, or UnsafeProviderUrl saying why none."""
    allow_private = _allow_private()
    if scheme != "https" and not allow_private:
        raise UnsafeProviderUrl(
            _("Use an https:// address: SiFi sends your API key only over an encrypted connection.")
        )
    addresses = resolve(host, port)
    if not addresses:
        raise ProviderHostUnknown(
            _("We could not find the server %(host)s. Check the address.") % {"host": host}
        )
    internal = [address for address in addresses if not is_public(address)]
    if internal and not allow_private:
        raise UnsafeProviderUrl(
            _(
                "%(host)s leads to %(address)s, an address on a private network (or this "
                "machine). SiFi only calls accounting systems on the public internet."
            )
            % {"host": host, "address": internal[0]}
        )
    if scheme != "https" and len(internal) != len(addresses):
        raise UnsafeProviderUrl(
            _("Use an https:// address: SiFi sends your API key only over an encrypted connection.")
        )
    return addresses


def check_instance_url(
    raw: str, *, web_client_segments: Iterable[str] = (), invalid_message: str = ""
) -> str:
    """The normalized URL if we may call it now (resolves the host); else a ProviderUrlError
    (`normalize_instance_url` says what the keywords do)."""
    url = normalize_instance_url(
        raw, web_client_segments=web_client_segments, invalid_message=invalid_message
    )
    parsed = httpx.URL(url)
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    check_addresses(parsed.raw_host.decode("ascii"), port, scheme=parsed.scheme)
    return url


class GuardedBackend(httpcore.SyncBackend):
    """Connects only to addresses `check_addresses` allows, and to the address it checked."""

    def __init__(self, *, scheme: str) -> None:
        self.scheme = scheme

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        try:
            addresses = check_addresses(host, port, scheme=self.scheme)
        except ProviderHostUnknown as exc:
            raise httpcore.ConnectError(exc.message) from None
        last_error: Exception | None = None
        for address in addresses:
            try:
                return super().connect_tcp(
                    str(address),
                    port,
                    timeout=timeout,
                    local_address=local_address,
                    socket_options=socket_options,
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last_error = exc
        assert last_error is not None
        raise last_error


class GuardedTransport(httpx.HTTPTransport):
    """httpx's transport, connecting through `GuardedBackend`; no proxies from the
    environment (a proxy would connect for us, unchecked)."""

    def __init__(self, *, scheme: str, verify: bool = True) -> None:
        super().__init__(verify=verify, trust_env=False)
        limits = httpx.Limits(max_connections=10, max_keepalive_connections=5)
        # httpx offers no way to choose its pool's network backend: build the same pool
        # httpx would (its defaults), with ours.
        self._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(verify=verify, trust_env=False),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=GuardedBackend(scheme=scheme),
        )
