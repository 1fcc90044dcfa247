"""When the SMTP listener is the first hop it checks SPF, DKIM and DMARC itself (against a
local DNS server here): a signed mail from an allowed address is verified; a forged From
of a domain with a DMARC policy is marked unverified and stays out of the customer's
conversation."""

from __future__ import annotations

import base64
import smtplib
from collections.abc import Iterator
from typing import Any

import dkim
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from dnslib import QTYPE, RR, TXT
from dnslib.server import BaseResolver, DNSLogger, DNSServer

from sahayak.conversations.models import Message
from tests.e2e.helpers import free_port

from . import corpus


class Zone(BaseResolver):
    def __init__(self, records: dict[str, str]):
        self.records = records

    def resolve(self, request: Any, handler: Any) -> Any:
        reply = request.reply()
        name = str(request.q.qname).rstrip(".").lower()
        if request.q.qtype == QTYPE.TXT and name in self.records:
            value = self.records[name]
            chunks = [value[i : i + 250] for i in range(0, len(value), 250)]
            reply.add_answer(RR(request.q.qname, QTYPE.TXT, rdata=TXT(chunks), ttl=60))
        return reply


@pytest.fixture
def keys() -> tuple[bytes, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )
    public = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return private, base64.b64encode(public).decode()


@pytest.fixture
def dns_zone(keys: tuple[bytes, str], settings: Any) -> Iterator[None]:
    import dns.resolver

    from sahayak.connectors.email import verify

    port = free_port()
    zone = Zone(
        {
            "mail.example": "v=spf1 ip4:127.0.0.1 -all",
            "sel._domainkey.mail.example": f"v=DKIM1; k=rsa; p={keys[1]}",
            "_dmarc.mail.example": "v=DMARC1; p=reject",
        }
    )
    quiet = DNSLogger(logf=lambda _line: None)
    server = DNSServer(zone, port=port, address="127.0.0.1", logger=quiet)
    server.start_thread()
    saved = dns.resolver.default_resolver
    settings.SAHAYAK_DNS_SERVER = f"127.0.0.1:{port}"
    settings.SAHAYAK_EMAIL_VERIFY_SENDERS = True
    verify._resolver_ready.cache_clear()
    try:
        yield
    finally:
        server.stop()
        dns.resolver.default_resolver = saved
        verify._resolver_ready.cache_clear()


def send(port: int, raw: bytes, mail_from: str) -> None:
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as client:
        client.ehlo("mx.mail.example")
        client.sendmail(mail_from, [corpus.SUPPORT], raw)


def signed(raw: bytes, private: bytes) -> bytes:
    signature = dkim.sign(
        raw,
        b"sel",
        b"mail.example",
        private,
        include_headers=[b"from", b"to", b"subject", b"date", b"message-id"],
    )
    return signature + raw


def test_signed_mail_passes_and_a_forged_from_fails_dmarc(
    smtp_listener: int, mailbox: Any, dns_zone: None, keys: tuple[bytes, str]
) -> None:
    send(smtp_listener, signed(corpus.plain(), keys[0]), "asha@mail.example")
    genuine = Message.objects.get(external_id="first@mail.example")
    results = genuine.metadata["email"]["auth"]
    assert results == {"spf": "pass", "dkim": "pass", "dmarc": "pass"}
    assert "unverified_sender" not in genuine.metadata["email"]

    forged = corpus.reply("Send the refund to my new account", message_id="forged@evil.example")
    send(smtp_listener, forged, "attacker@evil.example")
    message = Message.objects.get(external_id="forged@evil.example")
    assert message.metadata["email"]["auth"]["dmarc"] == "fail"
    assert message.metadata["email"]["unverified_sender"] is True
    assert message.conversation_id != genuine.conversation_id  # not threaded by subject
