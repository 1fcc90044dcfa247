"""The visitor's websocket: sessions, idempotent messages, limits, agents' replies and typing."""

from __future__ import annotations

from typing import Any

import pytest
from channels.db import database_sync_to_async
from django.utils import timezone

from sahayak.connectors.chat.models import ChatSession
from sahayak.conversations import services as conversations
from sahayak.conversations.models import Conversation, DeliveryStatus, Message
from tests.factories import InboxFactory, UserFactory
from tests.realtime.test_consumer import connect as agent_socket

from .conftest import SITE, hello, receive_type, run, say, visitor_socket

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_new_visitor_gets_a_token_and_a_message_is_stored_once_however_often_sent(chat_inbox):
    async def scenario() -> dict[str, Any]:
        socket, welcome = await hello(chat_inbox)
        assert welcome["token"] and welcome["messages"] == [] and not welcome["verified"]
        first = await say(socket, "c1", "Bonjour, où est ma commande ?")
        again = await say(socket, "c1", "Bonjour, où est ma commande ?")
        await socket.disconnect()
        return {"first": first, "again": again, "token": welcome["token"]}

    got = run(scenario())
    assert got["first"]["type"] == "ack" and got["first"]["client_id"] == "c1"
    assert got["again"]["message"]["id"] == got["first"]["message"]["id"]
    message = Message.objects.get()
    assert message.text == "Bonjour, où est ma commande ?"
    conversation = message.conversation
    assert (conversation.channel, conversation.inbox_id) == ("chat", chat_inbox.pk)
    session = ChatSession.objects.get()
    assert session.token_hash != got["token"]  # only a hash is kept
    assert session.context["page"] == f"{SITE}/shoes"
    assert session.contact.identities.get().kind == "chat"
    assert session.contact.locale == "fr"
    assert message.metadata["chat"]["page"] == f"{SITE}/shoes"


def test_a_returning_visitor_sees_the_history_and_no_one_else_does(chat_inbox, admin):
    async def scenario() -> tuple[dict[str, Any], dict[str, Any]]:
        socket, welcome = await hello(chat_inbox)
        await say(socket, "a1", "My order is late")
        await socket.disconnect()
        conversation = await database_sync_to_async(Conversation.objects.get)()
        await database_sync_to_async(conversations.reply)(
            conversation=conversation, author=admin, text="Internal: check courier", note=True
        )
        again, back = await hello(chat_inbox, token=welcome["token"])
        await again.disconnect()
        stranger, other = await hello(chat_inbox)
        await stranger.disconnect()
        return back, other

    back, other = run(scenario())
    assert back["token"] is None  # the same visitor: no new token
    assert [m["text"] for m in back["messages"]] == ["My order is late"]  # the note is not there
    assert other["messages"] == [] and other["token"]


def test_a_socket_from_an_unlisted_site_or_for_an_unknown_inbox_is_refused(chat_inbox):
    async def scenario() -> list[Any]:
        codes = []
        for socket in (
            visitor_socket(chat_inbox, origin="https://evil.example"),
            visitor_socket(chat_inbox, origin=""),
            visitor_socket(InboxFactory.build(public_key="nope"), origin=SITE),
        ):
            connected, code = await socket.connect()
            codes.append(code if not connected else "open")
        return codes

    assert run(scenario()) == [4403, 4403, 4404]


def test_messages_too_long_or_too_many_are_refused_with_a_reason(chat_inbox, settings):
    settings.SAHAYAK_CHAT_MAX_CHARS = 20
    settings.SAHAYAK_CHAT_RATE = 3  # every attempt counts, refused ones too

    async def scenario() -> list[dict[str, Any]]:
        socket, _welcome = await hello(chat_inbox)
        answers = [
            await say(socket, "long", "x" * 21),
            await say(socket, "m1", "one"),
            await say(socket, "m2", "two"),
            await say(socket, "m3", "three"),
            await say(socket, "bad id!", "four"),
        ]
        await socket.disconnect()
        return answers

    long, one, two, three, bad = run(scenario())
    assert (long["type"], long["code"], long["client_id"]) == ("error", "too_long", "long")
    assert one["type"] == two["type"] == "ack"
    assert (three["type"], three["code"]) == ("error", "rate")
    assert bad["type"] == "error"
    assert sorted(Message.objects.values_list("text", flat=True)) == ["one", "two"]


def test_saying_anything_before_hello_is_an_error(chat_inbox):
    async def scenario() -> dict[str, Any]:
        socket = visitor_socket(chat_inbox)
        await socket.connect()
        await socket.send_json_to({"type": "message", "client_id": "x", "text": "hi"})
        answer = await socket.receive_json_from(timeout=5)
        await socket.disconnect()
        return answer

    assert run(scenario())["code"] == "hello_first"
    assert not Message.objects.exists()


def test_an_agents_reply_typing_and_the_visitors_typing_and_reading_flow_live(chat_inbox, admin):
    admin.first_name, admin.last_name = "Asha", "Rao"
    admin.save()

    async def scenario() -> dict[str, Any]:
        visitor, _welcome = await hello(chat_inbox)
        ack = await say(visitor, "q1", "Is the shop open on Sunday?")
        conversation_id = ack["message"]["id"] and (
            await database_sync_to_async(lambda: Message.objects.get().conversation_id)()
        )
        agent = await agent_socket(admin)
        await agent.connect()
        await agent.send_json_to({"type": "watch", "conversation_id": conversation_id})
        viewing = await receive_type(visitor, "agent")
        await agent.send_json_to({"type": "typing"})
        typing = await receive_type(visitor, "agent")
        await visitor.send_json_to({"type": "typing"})
        seen_by_agent = await receive_type(agent, "presence")
        conversation = await database_sync_to_async(Conversation.objects.get)(pk=conversation_id)
        await database_sync_to_async(conversations.reply)(
            conversation=conversation, author=admin, text="Yes, from 10 to 4 <b>only</b>."
        )
        pushed = await receive_type(visitor, "message")
        await visitor.send_json_to({"type": "read", "up_to": pushed["message"]["id"]})
        await visitor.send_json_to({"type": "ping"})
        await receive_type(visitor, "pong")
        await visitor.disconnect()
        await agent.disconnect()
        return {"viewing": viewing, "typing": typing, "agent": seen_by_agent, "pushed": pushed}

    got = run(scenario())
    assert got["viewing"] == {"type": "agent", "state": "viewing", "name": "Asha"}
    assert got["typing"]["state"] == "typing"
    assert got["agent"]["state"] == "typing" and got["agent"]["user_id"] is None
    message = got["pushed"]["message"]
    assert message["from"] == "agent" and message["author"] == "Asha"
    assert message["initials"] == "A"
    assert message["text"] == "Yes, from 10 to 4 <b>only</b>."  # text, never HTML
    stored = Message.objects.get(pk=message["id"])
    assert stored.delivery_status == DeliveryStatus.READ


def test_agents_online_follows_the_workspace_heartbeat(chat_inbox, admin):
    async def scenario() -> tuple[bool, bool]:
        _visitor, before = await hello(chat_inbox)
        await _visitor.disconnect()
        agent = await agent_socket(admin)
        await agent.connect()  # an open workspace says the agent is here
        await agent.send_json_to({"type": "ping"})
        await receive_type(agent, "pong")
        visitor, after = await hello(chat_inbox)
        await visitor.disconnect()
        await agent.disconnect()
        return before["agents_online"], after["agents_online"]

    assert run(scenario()) == (False, True)
    admin.refresh_from_db()
    assert timezone.now() - admin.last_seen_at < timezone.timedelta(minutes=1)


def test_a_teams_inbox_counts_only_its_members_as_available(chat_inbox, private_team):
    chat_inbox.team = private_team
    chat_inbox.save()
    stranger = UserFactory(last_seen_at=timezone.now())

    async def scenario() -> bool:
        visitor, welcome = await hello(chat_inbox)
        await visitor.disconnect()
        return bool(welcome["agents_online"])

    assert stranger.role != "admin"
    assert run(scenario()) is False
    member = UserFactory(last_seen_at=timezone.now())
    private_team.members.add(member)
    assert run(scenario()) is True


def test_malformed_frames_get_an_error_and_the_socket_stays_usable(chat_inbox):
    async def scenario() -> list[dict[str, Any]]:
        socket, _welcome = await hello(chat_inbox)
        answers = []
        lone_surrogate = '{"type": "message", "client_id": "x", "text": "bad \\ud800"}'
        for frame in ("{not json", "[1, 2]", '"hello"', lone_surrogate):
            await socket.send_to(text_data=frame)
            answers.append(await receive_type(socket, "error"))
        answers.append(await say(socket, "after", "still here"))
        await socket.disconnect()
        return answers

    *errors, ack = run(scenario())
    assert [e["code"] for e in errors] == ["invalid"] * 4
    assert ack["type"] == "ack"


def test_the_ack_comes_once_stored_and_listeners_hear_of_it_after_in_order(chat_inbox):
    """Routing, rules and agents' live updates run after the visitor has the ack (they do
    not hold it up), and hear a socket's messages in the order they were sent."""
    import asyncio
    import threading

    from sahayak.conversations.events import EventKind, conversation_event

    release = threading.Event()
    heard: list[str] = []

    def slow_listener(event: Any, **_: Any) -> None:
        if event.kind == EventKind.MESSAGE_RECEIVED:
            release.wait(10)
            heard.append(event.message.text)

    conversation_event.connect(slow_listener, dispatch_uid="test-slow-listener")
    try:

        async def scenario() -> list[dict[str, Any]]:
            socket, _ = await hello(chat_inbox)
            first = await say(socket, "c1", "first")
            assert heard == []  # acknowledged while the listener was still busy
            release.set()
            acks = [first, await say(socket, "c2", "second")]
            for _ in range(200):
                if len(heard) == 2:
                    break
                await asyncio.sleep(0.05)
            await socket.disconnect()
            return acks

        acks = run(scenario())
    finally:
        release.set()
        conversation_event.disconnect(dispatch_uid="test-slow-listener")
    assert [a["type"] for a in acks] == ["ack", "ack"]
    assert heard == ["first", "second"]
    assert Message.objects.count() == 2
