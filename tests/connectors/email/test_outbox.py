"""Without a relay, outbound mail is kept in a local outbox a new user can read."""

from __future__ import annotations

from typing import Any

import pytest

from sahayak.connectors.email.mailboxes import MailboxSettings, forget_addresses, save_mailbox
from sahayak.conversations.delivery import deliver
from sahayak.conversations.models import DeliveryStatus
from sahayak.conversations.pipeline import receive
from sahayak.conversations.services import reply
from tests.conftest import inbound

pytestmark = pytest.mark.django_db


@pytest.fixture
def no_relay(settings: Any, tmp_path: Any) -> Any:
    settings.SAHAYAK_SMTP_URL = ""
    settings.SAHAYAK_OUTBOX_DIR = str(tmp_path / "sent-mail")
    forget_addresses()
    yield save_mailbox(MailboxSettings(name="Support", address="help@shop.example"))
    forget_addresses()


def test_a_reply_without_relay_is_kept_and_shown_under_sent_mail(
    no_relay: Any, admin: Any, web: Any
) -> None:
    conversation = receive(inbound(no_relay, external_id="o1@mail.example")).conversation
    message = reply(conversation=conversation, author=admin, text="Ελέγχουμε την παραγγελία.")
    assert deliver(message.pk) == DeliveryStatus.SENT
    listing = web.get("/settings/mailboxes/sent/").content.decode()
    assert "asha@mail.example" in listing and "nothing leaves this machine" in listing
    key = listing.split("/settings/mailboxes/sent/")[1].split("/")[0]
    detail = web.get(f"/settings/mailboxes/sent/{key}/").content.decode()
    assert "Ελέγχουμε την παραγγελία." in detail


def test_sent_mail_is_for_managers_and_unknown_keys_are_404(
    no_relay: Any, web: Any, outsider: Any
) -> None:
    assert web.get("/settings/mailboxes/sent/no-such-key/").status_code == 404
    from django.test import Client

    client = Client()
    client.force_login(outsider)
    assert client.get("/settings/mailboxes/sent/").status_code == 403
