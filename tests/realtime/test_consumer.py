"""The agent websocket: who may connect, which events reach whom, presence between agents."""

import asyncio
from typing import Any

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from channels.testing.websocket import WebsocketCommunicator

from sahayak.asgi import router
from sahayak.realtime import groups
from sahayak.realtime.broadcast import conversation_event
from tests.factories import ConversationFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


async def connect(user: Any) -> WebsocketCommunicator:
    from django.contrib.auth import get_user_model

    headers = [(b"origin", b"http://testserver"), (b"host", b"testserver")]
    communicator = WebsocketCommunicator(router, "/ws/agent/", headers=headers)
    if user is not None:
        # The session cookie of a signed-in browser.
        from django.test import Client

        client = Client()
        await database_sync_to_async(client.force_login)(user)
        cookie = f"sessionid={client.cookies['sessionid'].value}".encode()
        communicator.scope["headers"].append((b"cookie", cookie))
    assert get_user_model()
    return communicator


def run(coro: Any) -> Any:
    return asyncio.run(coro)


def test_an_anonymous_socket_is_refused():
    async def scenario():
        communicator = await connect(None)
        connected, code = await communicator.connect()
        assert not connected or code == 4401
        await communicator.disconnect()

    run(scenario())


def test_events_of_a_private_team_reach_only_those_who_may_see_them():
    team = TeamFactory(is_private=True)
    member, outsider = UserFactory(), UserFactory()
    team.members.add(member)
    secret = ConversationFactory(team=team)
    public = ConversationFactory()

    async def scenario():
        a, b = await connect(member), await connect(outsider)
        assert (await a.connect())[0] and (await b.connect())[0]
        layer = get_channel_layer()
        await layer.group_send(groups.AGENTS, conversation_event("message", secret))
        await layer.group_send(groups.AGENTS, conversation_event("message", public))
        got_a = [await a.receive_json_from(timeout=2), await a.receive_json_from(timeout=2)]
        assert [e["conversation_id"] for e in got_a] == [secret.pk, public.pk]
        got_b = await b.receive_json_from(timeout=2)
        assert got_b["conversation_id"] == public.pk  # the secret one never arrived
        assert await b.receive_nothing(timeout=0.2)
        await a.disconnect()
        await b.disconnect()

    run(scenario())


def test_watchers_see_each_other_viewing_typing_and_leaving():
    conversation = ConversationFactory()
    asha, ben = UserFactory(first_name="Asha"), UserFactory(first_name="Ben")

    async def scenario():
        a, b = await connect(asha), await connect(ben)
        await a.connect()
        await b.connect()
        await a.send_json_to({"type": "watch", "conversation_id": conversation.pk})
        await b.send_json_to({"type": "watch", "conversation_id": conversation.pk})
        seen_by_a = await a.receive_json_from(timeout=2)
        assert (seen_by_a["type"], seen_by_a["name"], seen_by_a["state"]) == (
            "presence",
            "Ben",
            "viewing",
        )
        seen_by_b = await b.receive_json_from(timeout=2)  # Asha answers Ben's hello
        assert (seen_by_b["name"], seen_by_b["state"]) == ("Asha", "viewing")
        await b.send_json_to({"type": "typing"})
        typing = await a.receive_json_from(timeout=2)
        assert (typing["name"], typing["state"]) == ("Ben", "typing")
        await b.disconnect()
        left = await a.receive_json_from(timeout=2)
        assert (left["name"], left["state"]) == ("Ben", "left")
        await a.disconnect()

    run(scenario())


def test_an_outsider_cannot_watch_a_private_conversation():
    team = TeamFactory(is_private=True)
    secret = ConversationFactory(team=team)
    outsider = UserFactory()

    async def scenario():
        socket = await connect(outsider)
        await socket.connect()
        await socket.send_json_to({"type": "watch", "conversation_id": secret.pk})
        reply = await socket.receive_json_from(timeout=2)
        assert reply["type"] == "error"
        await socket.disconnect()

    run(scenario())


def test_a_mention_is_pushed_to_the_mentioned_agent():
    from sahayak.conversations import services

    conversation = ConversationFactory()
    author, priya = UserFactory(), UserFactory(username="priya")

    async def scenario():
        socket = await connect(priya)
        await socket.connect()
        await database_sync_to_async(services.reply)(
            conversation=conversation, author=author, text="@priya please look", note=True
        )
        pushed = []
        for _ in range(2):  # the note's conversation event and the notification
            pushed.append(await socket.receive_json_from(timeout=2))
        notify = [p for p in pushed if p["type"] == "notify"]
        assert notify and notify[0]["conversation_id"] == conversation.pk
        await socket.disconnect()

    run(scenario())


def test_removal_from_a_team_and_deactivation_take_effect_on_an_open_socket():
    team = TeamFactory(is_private=True)
    member = UserFactory()
    team.members.add(member)
    secret = ConversationFactory(team=team)

    async def scenario():
        socket = await connect(member)
        assert (await socket.connect())[0]
        layer = get_channel_layer()
        await layer.group_send(groups.AGENTS, conversation_event("message", secret))
        assert (await socket.receive_json_from(timeout=2))["conversation_id"] == secret.pk

        await database_sync_to_async(team.members.remove)(member)  # committed: pushed now
        await asyncio.sleep(0.2)
        await layer.group_send(groups.AGENTS, conversation_event("message", secret))
        assert await socket.receive_nothing(timeout=0.3)

        def deactivate() -> None:
            member.is_active = False
            member.save()

        await database_sync_to_async(deactivate)()
        closed = await socket.receive_output(timeout=2)
        assert closed["type"] == "websocket.close" and closed["code"] == 4401
        await socket.disconnect()

    run(scenario())
