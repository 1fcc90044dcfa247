"""Every installed connector passes the channel contract (tests/connectors/contract.py)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from sahayak.accounts.services import create_api_token
from sahayak.connectors.email.mailboxes import MailboxSettings, forget_addresses, save_mailbox
from sahayak.conversations.models import Conversation
from sahayak.conversations.pipeline import receive
from tests.conftest import inbound
from tests.factories import InboxFactory

from .contract import ChannelContract, HttpFake, SmtpFake


class TestApiChannel(ChannelContract):
    kind = "api"

    @pytest.fixture
    def fake(self, webhook_server: Any) -> HttpFake:
        return HttpFake(webhook_server[1])

    @pytest.fixture
    def conversation(self, webhook_server: Any, db: Any) -> Conversation:
        inbox = InboxFactory(channel="api", config={"webhook_url": webhook_server[0]})
        return receive(inbound(inbox, external_id="first")).conversation

    def _post(self, client: Client, conversation: Conversation, body: dict[str, Any]) -> Any:
        _token, secret = create_api_token(user=_any_admin())
        return client.post(
            "/api/v1/inbound",
            json.dumps(body),
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {secret}",
        )

    def send_inbound(self, client: Client, conversation: Conversation, external_id: str) -> Any:
        body = {
            "inbox_id": conversation.inbox_id,
            "external_id": external_id,
            "sender": {"kind": "email", "address": "asha@mail.example"},
            "text": "Any news?",
        }
        return self._post(client, conversation, body)

    def send_bad_inbound(self, client: Client, conversation: Conversation) -> Any:
        body = {
            "inbox_id": conversation.inbox_id,
            "sender": {"kind": "email", "address": "not an address"},
            "text": "Hello",
        }
        return self._post(client, conversation, body)


@pytest.fixture
def mailbox(db: Any) -> Any:
    forget_addresses()
    yield save_mailbox(MailboxSettings(name="Support", address="help@shop.example"))
    forget_addresses()


class TestEmailChannel(ChannelContract):
    kind = "email"

    @pytest.fixture
    def fake(self, smtp_sink: Any) -> SmtpFake:
        return SmtpFake(smtp_sink)

    @pytest.fixture
    def conversation(self, mailbox: Any) -> Conversation:
        return receive(inbound(mailbox, external_id="first@mail.example")).conversation

    def _post(self, client: Client, raw: bytes) -> Any:
        _token, secret = create_api_token(user=_any_admin())
        return client.post(
            "/api/v1/inbound/email?recipient=help@shop.example",
            raw,
            content_type="message/rfc822",
            HTTP_AUTHORIZATION=f"Bearer {secret}",
        )

    def send_inbound(self, client: Client, conversation: Conversation, external_id: str) -> Any:
        raw = (
            "From: Asha <asha@mail.example>\r\nTo: help@shop.example\r\n"
            f"Subject: Parcel\r\nMessage-ID: <{external_id}@mail.example>\r\n\r\nAny news?\r\n"
        ).encode()
        return self._post(client, raw)

    def send_bad_inbound(self, client: Client, conversation: Conversation) -> Any:
        return self._post(client, b"To: help@shop.example\r\nSubject: no sender\r\n\r\nHi\r\n")


class TestWebFormChannel(ChannelContract):
    """Answered by email: the far end is the mail relay."""

    kind = "webform"

    @pytest.fixture
    def fake(self, smtp_sink: Any) -> SmtpFake:
        return SmtpFake(smtp_sink)

    @pytest.fixture
    def conversation(self, mailbox: Any) -> Conversation:
        form = InboxFactory(channel="webform")
        return receive(inbound(form, external_id="form:1")).conversation

    def _post(self, client: Client, conversation: Conversation, **fields: str) -> Any:
        data = {"name": "Asha", "subject": "Parcel", "message": "Any news?", **fields}
        return client.post(f"/form/{conversation.inbox.public_key}/", data)

    def send_inbound(self, client: Client, conversation: Conversation, external_id: str) -> Any:
        return self._post(client, conversation, email="asha@mail.example", submission=external_id)

    def send_bad_inbound(self, client: Client, conversation: Conversation) -> Any:
        return self._post(client, conversation, email="not an address", submission="x")


class TestPortalChannel(TestWebFormChannel):
    """The portal's sign-in and forms are tested in tests/portal."""

    kind = "portal"
    has_inbound = False

    @pytest.fixture
    def conversation(self, mailbox: Any) -> Conversation:
        portal = InboxFactory(channel="portal")
        return receive(inbound(portal, external_id="portal:1")).conversation


def _any_admin() -> Any:
    from tests.factories import UserFactory

    return UserFactory(role="admin")


class TestChatChannel(ChannelContract):
    """Replies to a visitor who has left go out by email: the far end is the mail relay.
    Live delivery and the visitor socket are tested in tests/connectors/chat."""

    kind = "chat"
    has_inbound = False

    @pytest.fixture
    def fake(self, smtp_sink: Any) -> SmtpFake:
        return SmtpFake(smtp_sink)

    @pytest.fixture
    def conversation(self, mailbox: Any) -> Conversation:
        chat = InboxFactory(channel="chat")
        return receive(inbound(chat, external_id="chat:1", thread_key="visitor-1")).conversation
