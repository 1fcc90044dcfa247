"""Who the visitor is: signed identities join the business's customer, typed emails do not."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

import pytest

from sahayak.connectors.chat import services
from sahayak.connectors.chat.models import ChatSession
from sahayak.contacts.models import Contact, Identity
from sahayak.conversations.delivery import deliver
from sahayak.conversations.models import DeliveryStatus, Message
from sahayak.conversations.pipeline import receive
from tests.conftest import inbound
from tests.factories import ContactFactory, IdentityFactory

from .conftest import hello, receive_type, run, say

pytestmark = pytest.mark.django_db(transaction=True)


def signed(inbox: Any, user_id: str, **extra: Any) -> dict[str, Any]:
    return {"user_id": user_id, "signature": services.sign_user_id(inbox, user_id), **extra}


def test_a_signed_user_id_joins_the_existing_customer_and_shows_their_chats(chat_inbox):
    meera = ContactFactory(name="Meera Iyer")
    IdentityFactory(contact=meera, kind="external", address="shop-user-42", verified=True)

    async def scenario() -> tuple[dict[str, Any], dict[str, Any]]:
        # Meera chats on her laptop, signed in to the shop...
        laptop, first = await hello(chat_inbox, identity=signed(chat_inbox, "shop-user-42"))
        await say(laptop, "l1", "Hello from my laptop")
        await laptop.disconnect()
        # ...then on her phone, first anonymous, then she signs in there too.
        phone, anonymous = await hello(chat_inbox)
        await say(phone, "p1", "Hello from my phone")
        await phone.disconnect()
        phone, known = await hello(
            chat_inbox, token=anonymous["token"], identity=signed(chat_inbox, "shop-user-42")
        )
        await phone.disconnect()
        return first, known

    first, known = run(scenario())
    assert first["verified"] and known["verified"]
    assert [m["text"] for m in known["messages"]] == ["Hello from my laptop", "Hello from my phone"]
    # One profile: the phone's anonymous contact was merged into Meera's.
    assert set(ChatSession.objects.values_list("contact", flat=True)) == {meera.pk}
    assert Contact.objects.filter(merged_into__isnull=True).count() == 1


def test_a_forged_signature_is_refused_and_changes_nothing(chat_inbox):
    meera = ContactFactory(name="Meera Iyer")
    IdentityFactory(contact=meera, kind="external", address="shop-user-42")
    forged = {"user_id": "shop-user-42", "signature": "0" * 64}

    async def scenario() -> dict[str, Any]:
        socket = await _open(chat_inbox)
        await socket.send_json_to({"type": "hello", "identity": forged, "context": {}})
        answer = await socket.receive_json_from(timeout=5)
        await socket.disconnect()
        return answer

    answer = run(scenario())
    assert (answer["type"], answer["code"]) == ("error", "identity")
    assert not ChatSession.objects.filter(contact=meera).exists()


async def _open(inbox: Any) -> Any:
    from .conftest import visitor_socket

    socket = visitor_socket(inbox)
    await socket.connect()
    return socket


def test_another_user_on_the_same_browser_gets_a_fresh_chat(chat_inbox):
    async def scenario() -> tuple[dict[str, Any], dict[str, Any]]:
        socket, first = await hello(chat_inbox, identity=signed(chat_inbox, "user-a"))
        await say(socket, "a1", "Private question of user A")
        await socket.disconnect()
        socket, second = await hello(
            chat_inbox, token=first["token"], identity=signed(chat_inbox, "user-b")
        )
        await socket.disconnect()
        return first, second

    first, second = run(scenario())
    assert second["token"] and second["token"] != first["token"]
    assert second["messages"] == [] and second["full"]


def test_a_typed_email_is_claimed_only_when_nobody_has_it(chat_inbox):
    owner = ContactFactory(name="Real Owner")
    IdentityFactory(contact=owner, kind="email", address="owner@mail.example")

    async def scenario() -> list[dict[str, Any]]:
        impostor, _w = await hello(chat_inbox)
        await impostor.send_json_to(
            {"type": "details", "name": "Eve", "email": "Owner@Mail.example"}
        )
        saved = await receive_type(impostor, "details_saved")
        await impostor.disconnect()
        newcomer, _w = await hello(chat_inbox)
        await newcomer.send_json_to({"type": "details", "name": "Ann", "email": "ann@mail.example"})
        await receive_type(newcomer, "details_saved")
        await newcomer.send_json_to({"type": "details", "email": "not an address"})
        bad = await receive_type(newcomer, "error")
        await newcomer.disconnect()
        return [saved, bad]

    _saved, bad = run(scenario())
    assert bad["code"] == "email"
    eve = ChatSession.objects.get(contact__name="Eve")
    assert eve.contact_id != owner.pk  # never merged on a typed address
    assert eve.context["email"] == "owner@mail.example"  # kept to answer by email
    assert not owner.chat_sessions.exists()
    ann = Identity.objects.get(address="ann@mail.example")
    assert ann.contact.name == "Ann" and not ann.verified


def test_the_transcript_goes_only_to_a_proven_address_with_our_subject(
    chat_inbox, smtp_sink, settings
):
    """A typed address could be anyone's: transcripts go only to a proven one (here, the
    email the shop signed in with), under our own subject, a few times an hour at most."""
    from sahayak.connectors.email.mailboxes import MailboxSettings, save_mailbox

    settings.SAHAYAK_CHAT_TRANSCRIPTS_PER_HOUR = 2
    save_mailbox(MailboxSettings(name="Support", address="help@shop.example", from_name="Shop"))

    async def scenario() -> list[dict[str, Any]]:
        socket, welcome = await hello(chat_inbox)
        nothing = await _ask(socket, {"type": "transcript"})
        await say(socket, "t1", "FREE MONEY click http://spam.example")
        await socket.send_json_to({"type": "details", "email": "victim@mail.example"})
        await receive_type(socket, "details_saved")
        typed = await _ask(socket, {"type": "transcript"})
        await socket.disconnect()
        socket, _w = await hello(
            chat_inbox,
            token=welcome["token"],
            identity=signed(chat_inbox, "shop-user-7", email="ann@mail.example"),
        )
        sent = [await _ask(socket, {"type": "transcript"}) for _ in range(3)]
        await socket.disconnect()
        return [nothing, typed, *sent]

    nothing, typed, first, second, third = run(scenario())
    assert nothing["code"] == "empty"
    assert typed["code"] == "email"  # nothing goes to the typed address
    assert first["type"] == second["type"] == "transcript_sent"
    assert third["code"] == "rate"
    transcript = Message.objects.filter(metadata__automatic="transcript").first()
    assert transcript.channel == "email"
    assert deliver(transcript.pk) == DeliveryStatus.SENT  # what the worker does
    mail = smtp_sink.parsed()
    assert mail["To"] == "ann@mail.example"
    assert "Transcript of your chat with" in mail["Subject"] and "FREE" not in mail["Subject"]
    assert "FREE MONEY" in mail.get_body(("plain",)).get_content()
    assert all("victim" not in str(m[1]) for m in smtp_sink.messages)


async def _ask(socket: Any, event: dict[str, Any]) -> dict[str, Any]:
    await socket.send_json_to(event)
    return await receive_type(socket, "transcript_sent", "error")


def test_a_chat_visitor_who_writes_by_email_later_is_the_same_customer(chat_inbox, api_inbox):
    async def scenario() -> None:
        socket, _w = await hello(chat_inbox)
        await socket.send_json_to({"type": "details", "email": "ann@mail.example"})
        await receive_type(socket, "details_saved")
        await socket.disconnect()

    run(scenario())
    result = receive(inbound(api_inbox, sender_address="ann@mail.example", external_id="later"))
    assert result.contact == ChatSession.objects.get().contact


def test_the_secret_command_makes_prints_and_rotates_the_signing_secret(chat_inbox):
    from io import StringIO

    from django.core.management import CommandError, call_command

    chat_inbox.config = {"allowed_origins": ["*"]}
    chat_inbox.save()

    def secret(*args: str) -> str:
        out = StringIO()
        call_command("chat_secret", *args, stdout=out)
        return out.getvalue().strip()

    first = secret(str(chat_inbox.pk))
    assert len(first) >= 32 and secret(chat_inbox.public_key) == first
    rotated = secret(str(chat_inbox.pk), "--rotate")
    assert rotated != first
    chat_inbox.refresh_from_db()
    old = hmac.new(first.encode(), b"u1", hashlib.sha256).hexdigest()
    assert not services.signature_valid(chat_inbox, "u1", old)
    assert services.signature_valid(chat_inbox, "u1", services.sign_user_id(chat_inbox, "u1"))
    with pytest.raises(CommandError):
        secret("no-such-inbox")


def test_undoing_the_sign_in_merge_keeps_the_signed_in_visitor_with_the_user(chat_inbox):
    from sahayak.contacts.models import ContactMerge
    from sahayak.contacts.services import undo_contact_merge

    meera = ContactFactory(name="Meera Iyer")
    IdentityFactory(contact=meera, kind="external", address="shop-user-42", verified=True)
    session, _token = services.start_session(inbox=chat_inbox, context={})
    anonymous = session.contact
    services.post_message(session=session, client_id="a1", text="Hello, anonymous so far")
    services.identify(session=session, **signed(chat_inbox, "shop-user-42"))

    undo_contact_merge(merge=ContactMerge.objects.get(), actor=None)

    session.refresh_from_db()
    assert session.contact_id == meera.pk  # still signed in as Meera's user
    later = services.post_message(session=session, client_id="a2", text="Still me")
    assert later.contact.pk == meera.pk and later.conversation.contact_id == meera.pk
    assert Contact.objects.get(pk=anonymous.pk).merged_into_id is None
