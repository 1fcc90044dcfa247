"""Webhooks and mailbox servers reach only public hosts unless an admin allows others, are
checked when connecting (a DNS answer cannot change between check and connect), and only
http(s) URLs are accepted for webhooks."""

from __future__ import annotations

import socket
from typing import Any

import pytest

from sahayak import netguard
from sahayak.connectors.email.imap import connect
from sahayak.connectors.email.mailboxes import ServerSettings
from sahayak.connectors.email.outbound import send_mime
from sahayak.conversations.channels import DeliveryError, OutboundMessage

pytestmark = pytest.mark.django_db


@pytest.fixture
def nothing_allowed(settings: Any) -> None:
    settings.SAHAYAK_ALLOWED_HOSTS = []


@pytest.mark.parametrize(
    "host",
    ["127.0.0.1", "localhost", "10.1.2.3", "192.168.0.10", "169.254.169.254", "::1", "0.0.0.0"],  # noqa: S104
)
def test_internal_addresses_are_refused(nothing_allowed: None, host: str) -> None:
    with pytest.raises(netguard.DestinationRefused):
        netguard.vetted_address(host, 443)


def test_an_ipv4_mapped_loopback_is_refused(nothing_allowed: None, monkeypatch: Any) -> None:
    monkeypatch.setattr(
        socket,
        "getaddrinfo",
        lambda *a, **k: [(socket.AF_INET6, socket.SOCK_STREAM, 6, "", ("::ffff:127.0.0.1", 443))],
    )
    with pytest.raises(netguard.DestinationRefused):
        netguard.vetted_address("sneaky.example", 443)


def test_an_allow_list_names_hosts_or_networks(settings: Any) -> None:
    settings.SAHAYAK_ALLOWED_HOSTS = ["10.0.0.0/8", "mail.internal"]
    assert netguard.vetted_address("10.9.8.7", 25) == "10.9.8.7"
    with pytest.raises(netguard.DestinationRefused):
        netguard.vetted_address("192.168.1.1", 25)


@pytest.mark.parametrize("url", ["file:///etc/passwd", "gopher://x/", "ftp://h/", "not a url"])
def test_only_http_urls_are_webhooks(url: str) -> None:
    with pytest.raises(netguard.DestinationRefused):
        netguard.check_scheme(url)


def _message(url: str) -> OutboundMessage:
    return OutboundMessage(
        message_id=1,
        conversation_id=1,
        channel="api",
        inbox_config={"webhook_url": url},
        text="hi",
        html="",
        subject="",
        author_name="Agent",
        recipients={},
    )


def test_a_webhook_on_this_machine_is_refused_without_the_allow_list(
    nothing_allowed: None, webhook_server: Any
) -> None:
    from sahayak.connectors.api.adapter import ApiChannelAdapter

    url, recorder = webhook_server
    with pytest.raises(DeliveryError) as refused:
        ApiChannelAdapter().send(_message(url))
    assert refused.value.permanent and "SAHAYAK_ALLOWED_HOSTS" in str(refused.value)
    assert recorder.requests == []


def test_the_connection_goes_to_the_address_that_was_checked(
    settings: Any, webhook_server: Any, monkeypatch: Any
) -> None:
    """DNS rebinding: the name answers 127.0.0.1 (allowed) for the check and an address
    nobody listens on afterwards; the request still reaches the checked address, with the
    name in the Host header."""
    from sahayak.connectors.api.adapter import ApiChannelAdapter

    settings.SAHAYAK_ALLOWED_HOSTS = ["127.0.0.0/8"]
    url, recorder = webhook_server
    port = int(url.rsplit(":", 1)[1].split("/")[0])
    real = socket.getaddrinfo
    answers = iter(["127.0.0.1"])

    def rebinding(host: str, *args: Any, **kwargs: Any) -> Any:
        if host == "hooks.shop.example":
            address = next(answers, "192.0.2.1")  # TEST-NET: nothing answers there
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    ApiChannelAdapter().send(_message(f"http://hooks.shop.example:{port}/hook"))
    assert recorder.requests[0]["headers"]["Host"] == f"hooks.shop.example:{port}"


def test_a_mailbox_relay_on_this_machine_is_refused(nothing_allowed: None, smtp_sink: Any) -> None:
    from email.message import EmailMessage

    mime = EmailMessage()
    mime["From"], mime["To"], mime["Subject"] = "a@shop.example", "b@mail.example", "x"
    relay = ServerSettings(host="127.0.0.1", port=smtp_sink.port, security="none")
    with pytest.raises(DeliveryError) as refused:
        send_mime(relay, mime, "a@shop.example", "b@mail.example")
    assert refused.value.permanent and smtp_sink.messages == []
    # The operator's own relay (SAHAYAK_SMTP_URL) is trusted.
    trusted = ServerSettings(
        host="127.0.0.1", port=smtp_sink.port, security="none", check_destination=False
    )
    send_mime(trusted, mime, "a@shop.example", "b@mail.example")
    assert len(smtp_sink.messages) == 1


def test_a_mailbox_imap_server_on_this_machine_is_refused(nothing_allowed: None) -> None:
    with pytest.raises(netguard.DestinationRefused):
        connect(ServerSettings(host="localhost", port=143, security="none"))
