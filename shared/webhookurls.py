"""Where a webhook may be sent (SSRF): http or https only, and never to a host that is or
resolves to a loopback, link-local, private, unspecified, multicast or reserved address, unless
WEBHOOK_ALLOW_PRIVATE says so. Checked when an endpoint is registered, and again at each
delivery by the resolver the delivery connects through (so a name that later resolves to such
an address, DNS rebinding included, is refused then)."""

import asyncio
import ipaddress
import socket
from urllib.parse import urlsplit

from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver

from shared.errors import BadInput

MAX_URL = 2048


class RefusedAddress(BadInput):
    """A webhook URL whose host is (or resolves to) an address it may not reach."""


def parse(url: str) -> tuple[str, int]:
    """The host and port of an acceptable webhook URL; BadInput otherwise."""
    if not isinstance(url, str) or not url or len(url) > MAX_URL:
        raise BadInput(f"url must be an http or https URL of at most {MAX_URL} characters")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise BadInput("url must be an http or https URL with a host")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise BadInput("url has a bad port") from None
    return parts.hostname, port


def refusal(address: str) -> str | None:
    """Why a webhook may not reach `address` (None: it may)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    for name in ("loopback", "link_local", "private", "unspecified", "multicast", "reserved"):
        if getattr(ip, f"is_{name}"):
            return f"{address} is a {name.replace('_', '-')} address"
    return None


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False
    return True


async def check(url: str, allow_private: bool) -> None:
    """Refuse `url` (BadInput) unless it may receive webhooks: its form, and each address its
    host resolves to now."""
    host, port = parse(url)
    if allow_private:
        return
    if _is_ip(host):
        addresses = [host]
    else:
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(
                host, port, type=socket.SOCK_STREAM
            )
        except OSError as e:
            raise BadInput(f"url host {host!r} does not resolve ({e})") from None
        addresses = [str(info[4][0]) for info in infos]
    for address in addresses:
        if (why := refusal(address)) is not None:
            raise RefusedAddress(f"url refused: {host} → {why}")


class GuardedResolver(AbstractResolver):
    """aiohttp's resolver, refusing names that resolve to an address a webhook may not reach.
    (aiohttp does not resolve an IP literal: `check` does, before each delivery.)"""

    def __init__(self) -> None:
        self._resolver = DefaultResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        found = await self._resolver.resolve(host, port, family)
        for result in found:
            if (why := refusal(result["host"])) is not None:
                raise RefusedAddress(f"refused: {host} → {why}")
        return found

    async def close(self) -> None:
        await self._resolver.close()
