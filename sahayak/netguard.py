"""Outbound connections to hosts that agents and supervisors configure (webhooks, mailbox
SMTP/IMAP servers) must not reach the server's own network.

A host is resolved at connect time and refused when any of its addresses is private,
loopback, link-local, multicast, reserved or unspecified, unless ``SAHAYAK_ALLOWED_HOSTS``
names it (a host name, an address or a network). The connection then goes to the address
that was checked (the name is kept for TLS and the Host header), so a DNS answer that
changes between the check and the connect (rebinding) cannot redirect it.

Servers the operator sets in the environment (``SAHAYAK_SMTP_URL``) are not checked.
"""

from __future__ import annotations

import ipaddress
import smtplib
import socket
import ssl
from functools import cache
from typing import Any

import httpx
from django.conf import settings
from django.utils.translation import gettext as _

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class DestinationRefused(Exception):
    """The configured host may not be connected to; the message is safe to show."""


@cache
def _allow_list(entries: tuple[str, ...]) -> tuple[frozenset[str], tuple[Network, ...]]:
    names: set[str] = set()
    networks: list[Network] = []
    for entry in entries:
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            names.add(entry.lower().rstrip("."))
    return frozenset(names), tuple(networks)


def _internal(ip: IPAddress) -> bool:
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
    )


def vetted_address(host: str, port: int) -> str:
    """The address to connect to for ``host``, after checking every address it has."""
    names, networks = _allow_list(tuple(settings.SAHAYAK_ALLOWED_HOSTS))
    host = host.strip().strip("[]")
    if not host:
        raise DestinationRefused(_("No host is set."))
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise DestinationRefused(
            _("The host name %(host)s does not resolve.") % {"host": host}
        ) from exc
    allowed_name = host.lower().rstrip(".") in names
    addresses = [ipaddress.ip_address(info[4][0]) for info in infos]
    for ip in addresses:
        if _internal(ip) and not allowed_name and not any(ip in net for net in networks):
            raise DestinationRefused(
                _(
                    "%(host)s is an address of a private network, this machine or a link; "
                    "an administrator can allow it with SAHAYAK_ALLOWED_HOSTS."
                )
                % {"host": host}
            )
    return str(addresses[0])


def check_scheme(url: str, schemes: tuple[str, ...] = ("http", "https")) -> httpx.URL:
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError) as exc:
        raise DestinationRefused(_("The address is not a valid URL.")) from exc
    if parsed.scheme not in schemes or not parsed.host:
        raise DestinationRefused(
            _("Only %(schemes)s addresses are allowed.") % {"schemes": ", ".join(schemes)}
        )
    return parsed


def post(url: str, **kwargs: Any) -> httpx.Response:
    """``httpx.post`` to a checked destination, pinned to the address that was checked."""
    parsed = check_scheme(url)
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    ip = vetted_address(parsed.host, port)
    headers = dict(kwargs.pop("headers", {}) or {})
    headers["Host"] = parsed.netloc.decode("ascii")
    target = parsed.copy_with(host=ip)
    with httpx.Client(follow_redirects=False) as client:
        return client.post(
            target, headers=headers, extensions={"sni_hostname": parsed.host}, **kwargs
        )


class PinnedSMTP(smtplib.SMTP):
    """SMTP to a checked address; STARTTLS still verifies the certificate of the name."""

    def __init__(self, host: str, port: int, *, timeout: float):
        self._pinned = vetted_address(host, port)
        super().__init__(host, port, timeout=timeout)

    def _get_socket(self, host: str, port: int, timeout: float) -> socket.socket:
        return socket.create_connection((self._pinned, port), timeout, self.source_address)


class PinnedSMTPSSL(smtplib.SMTP_SSL):
    def __init__(self, host: str, port: int, *, timeout: float, context: ssl.SSLContext):
        self._pinned = vetted_address(host, port)
        super().__init__(host, port, timeout=timeout, context=context)

    def _get_socket(self, host: str, port: int, timeout: float) -> socket.socket:
        raw = socket.create_connection((self._pinned, port), timeout, self.source_address)
        return self.context.wrap_socket(raw, server_hostname=host)
