"""Mailboxes are set up from the API and the workspace; raw mail comes in over HTTP; the
agent sees the folded quote and the original, after a permission check."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from sahayak.connectors.email.inbound import ingest
from sahayak.conversations.models import Inbox, Message
from tests.conftest import client_for

from . import corpus

pytestmark = pytest.mark.django_db


def test_api_creates_and_updates_a_mailbox_keeping_passwords_write_only(
    api: Any, outsider: Any
) -> None:
    body = {
        "name": "Billing",
        "address": "Billing@Shop.example",
        "aliases": ["invoices@shop.example"],
        "imap": {"host": "imap.shop.example", "port": 993, "username": "b", "password": "s3cret"},
    }
    created = api.post("/api/v1/mailboxes", body)
    assert created.status_code == 201, created.content
    data = created.json()
    assert data["address"] == "billing@shop.example"
    assert "password" not in data["imap"]
    inbox = Inbox.objects.get(pk=data["id"])
    assert inbox.channel == "email" and inbox.config["imap"]["password"] == "s3cret"
    body["imap"]["password"] = ""  # empty keeps the saved one
    body["from_name"] = "Shop billing"
    updated = api._send("put", f"/api/v1/mailboxes/{inbox.pk}", body)
    assert updated.status_code == 200, updated.content
    inbox.refresh_from_db()
    assert inbox.config["imap"]["password"] == "s3cret"
    assert inbox.config["from_name"] == "Shop billing"
    clash = api.post("/api/v1/mailboxes", {**body, "name": "Other", "aliases": []})
    assert clash.status_code == 422 and "already belongs" in clash.json()["detail"]
    denied = client_for(outsider).post("/api/v1/mailboxes", {**body, "address": "x@shop.example"})
    assert denied.status_code == 403


def test_raw_email_over_http_is_stored_once_and_refusals_have_reasons(
    api: Any, mailbox: Any, settings: Any
) -> None:
    def post(raw: bytes, query: str = "") -> Any:
        return api.client.post(
            f"/api/v1/inbound/email{query}",
            data=raw,
            content_type="message/rfc822",
            **api.headers,
        )

    first = post(corpus.greek_8bit())
    assert first.status_code == 201, first.content
    assert first.json()["status"] == "stored"
    again = post(corpus.greek_8bit())
    assert again.status_code == 200 and again.json()["status"] == "duplicate"
    assert post(corpus.plain(to="nobody@else.example")).status_code == 422
    assert (
        post(corpus.plain(to="nobody@else.example"), f"?inbox_id={mailbox.pk}").status_code == 201
    )
    settings.SAHAYAK_EMAIL_MAX_BYTES = 500
    too_big = post(corpus.plain("x" * 1000, message_id="big@mail.example"))
    assert too_big.status_code == 413 and "larger" in too_big.json()["detail"]
    settings.SAHAYAK_EMAIL_MAX_BYTES = 10**6
    settings.SAHAYAK_EMAIL_SENDER_RATE = 1
    limited = post(corpus.plain("again", message_id="rate@mail.example"))
    assert limited.status_code == 429 and limited["Retry-After"]
    assert (
        Client().post("/api/v1/inbound/email", data=b"x", content_type="message/rfc822").status_code
        == 401
    )
    assert Message.objects.count() == 2


def test_workspace_mailbox_pages_for_managers_only(web: Client, outsider: Any) -> None:
    page = web.get("/settings/mailboxes/new/")
    assert page.status_code == 200
    response = web.post(
        "/settings/mailboxes/new/",
        {
            "name": "Support",
            "address": "support@shop.example",
            "aliases": "help@shop.example\n",
            "on_closed": "new",
            "subject_window_days": 7,
            "subject_threading": "on",
            "imap_security": "ssl",
            "imap_folder": "INBOX",
            "imap_after": "flag",
            "imap_move_to": "Sahayak",
            "smtp_host": "smtp.shop.example",
            "smtp_security": "starttls",
            "is_active": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    inbox = Inbox.objects.get(channel="email")
    assert inbox.config["aliases"] == ["help@shop.example"]
    assert inbox.config["smtp"] == {
        "host": "smtp.shop.example",
        "port": 587,
        "security": "starttls",
        "username": "",
        "password": "",
    }
    assert "support@shop.example" in web.get("/settings/mailboxes/").content.decode()
    bad = web.post("/settings/mailboxes/new/", {"name": "X", "address": "not an address"})
    assert bad.status_code == 422
    outsider_client = Client()
    outsider_client.force_login(outsider)
    assert outsider_client.get("/settings/mailboxes/").status_code == 403


def test_timeline_folds_the_quote_and_links_the_original(
    web: Client, mailbox: Any, outsider: Any, private_team: Any
) -> None:
    outcome = ingest(
        corpus.reply(
            "Thanks, that helps.\n\nOn Mon, 3 Nov 2026, Shop <support@shop.example> wrote:\n> We shipped it.",
            message_id="thanks@mail.example",
            in_reply_to="x@shop.example",
        )
    )
    page = web.get(f"/c/{outcome.conversation_id}/").content.decode()
    assert "Thanks, that helps." in page
    assert '<details class="quoted">' in page and "We shipped it." in page
    original = web.get(f"/c/{outcome.conversation_id}/m/{outcome.message_id}/original/")
    assert original.status_code == 200
    assert b"".join(original.streaming_content).startswith(b"From: Asha Rao")
    conversation = Message.objects.get(pk=outcome.message_id).conversation
    conversation.team = private_team
    conversation.save()
    stranger = Client()
    stranger.force_login(outsider)
    url = f"/c/{outcome.conversation_id}/m/{outcome.message_id}/original/"
    assert stranger.get(url).status_code == 404


def test_an_email_inbox_made_without_an_address_is_listed_not_a_server_error(api):
    """Inboxes created in the admin (or by the demo before) may lack mailbox settings."""
    from tests.factories import InboxFactory

    inbox = InboxFactory(channel="email", name="Bare")
    assert api.get("/api/v1/mailboxes").status_code == 200
    body = api.get(f"/api/v1/mailboxes/{inbox.pk}").json()
    assert (body["name"], body["address"]) == ("Bare", "")


def test_a_mailbox_language_is_used_when_the_customer_s_cannot_be_told(db: Any) -> None:
    from sahayak.connectors.email.inbound import ingest
    from sahayak.connectors.email.mailboxes import MailboxError, MailboxSettings, save_mailbox
    from sahayak.conversations.models import Conversation

    from . import corpus

    save_mailbox(MailboxSettings(name="Shop", address=corpus.SUPPORT, language="fr"))
    ingest(corpus.plain("ok", subject="?"))
    assert Conversation.objects.get().language == "fr"
    with pytest.raises(MailboxError):
        save_mailbox(MailboxSettings(name="Bad", address="b@shop.example", language="xx"))
