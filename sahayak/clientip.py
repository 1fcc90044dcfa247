"""The client's real address, for rate limits and logs.

Behind a reverse proxy every request comes from the proxy; the client is named in
``X-Forwarded-For``. That header is believed only from the proxies listed in
``SAHAYAK_TRUSTED_PROXIES`` (addresses or networks), never from anyone else — not even from
localhost by default — since any client can send it.
"""

from __future__ import annotations

import ipaddress
from functools import cache
from typing import Any

from django.conf import settings
from django.http import HttpRequest

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@cache
def _trusted(entries: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(entry, strict=False) for entry in entries)


def _is_trusted(address: str, networks: tuple[Network, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return False
    return any(ip in network for network in networks)


def client_address(request: HttpRequest) -> str:
    """REMOTE_ADDR, or — when that is a trusted proxy — the nearest untrusted address in
    X-Forwarded-For (read from the right, where our own proxies appended)."""
    remote = str(request.META.get("REMOTE_ADDR", "") or "")
    return _behind_proxies(remote, str(request.META.get("HTTP_X_FORWARDED_FOR", "")))


def scope_client_address(scope: dict[str, Any]) -> str:
    """The same for a websocket's ASGI scope."""
    client = scope.get("client") or ("", 0)
    forwarded = ""
    for name, value in scope.get("headers", []):
        if name == b"x-forwarded-for":
            forwarded = value.decode("latin-1")
    return _behind_proxies(str(client[0] or ""), forwarded)


def _behind_proxies(remote: str, forwarded: str) -> str:
    networks = _trusted(tuple(settings.SAHAYAK_TRUSTED_PROXIES))
    if not networks or not _is_trusted(remote, networks):
        return remote
    hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
    for hop in reversed(hops):
        if not _is_trusted(hop, networks):
            return hop[:64]
    return remote
