"""Chat across server processes: two ``sahayak serve`` sharing Redis, the visitor on one and
the agent on the other; and acknowledgements lost with the socket, resent, stored once."""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
import websockets

from .helpers import django_eval, kill, prepare_env, start_server

pytestmark = pytest.mark.slow

REDIS_URL = "redis://127.0.0.1:6379/0"
SHOP = "https://shop.example"

SETUP = """
from sahayak.accounts.models import Role, User
from sahayak.accounts.services import create_api_token
from sahayak.conversations.models import Inbox
user = User.objects.create_user("asha", "asha@support.example", "pw-for-sockets",
    first_name="Asha", role=Role.ADMIN)
inbox = Inbox.objects.create(name="Shop chat", channel="chat",
    config={"allowed_origins": ["https://shop.example"]})
_token, secret = create_api_token(user=user)
result = {"key": inbox.public_key, "token": secret}
"""


def redis_up() -> bool:
    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_timeout=1).ping())
    except redis.RedisError:
        return False


@pytest.fixture
def two_servers(tmp_path: Path) -> Iterator[dict[str, Any]]:
    if not redis_up():
        pytest.skip("no Redis at 127.0.0.1:6379")
    env = prepare_env(tmp_path, "sahayak_e2e_chat_redis")
    env["REDIS_URL"] = REDIS_URL
    env["SAHAYAK_CHANNEL_PREFIX"] = f"test-{uuid.uuid4().hex[:8]}"  # alone on the shared Redis
    data = django_eval(SETUP, env)
    first, base_a = start_server(env, "--no-worker")
    second, base_b = start_server(env, "--no-worker")
    yield {"a": base_a, "b": base_b, **data}
    kill(first)
    kill(second)


def ws_url(base: str, path: str) -> str:
    return base.replace("http://", "ws://") + path


async def next_of(socket: Any, kind: str, timeout: float = 10) -> dict[str, Any]:
    async with asyncio.timeout(timeout):
        while True:
            event = json.loads(await socket.recv())
            if event.get("type") == kind:
                return event


def session_cookie(base: str) -> str:
    """Sign in through the login form, as a browser does."""
    with httpx.Client(base_url=base, timeout=10) as client:
        page = client.get("/login/")
        csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
        assert csrf, "no CSRF token on the login page"
        client.post(
            "/login/",
            data={
                "username": "asha",
                "password": "pw-for-sockets",
                "csrfmiddlewaretoken": csrf.group(1),
            },
            headers={"Referer": f"{base}/login/"},
        )
        return f"sessionid={client.cookies['sessionid']}"


async def visitor_hello(base: str, key: str, token: str | None = None) -> tuple[Any, dict]:
    socket = await websockets.connect(
        ws_url(base, f"/ws/chat/{key}/"), origin=websockets.Origin(SHOP)
    )
    await socket.send(json.dumps({"type": "hello", "token": token, "context": {}}))
    return socket, await next_of(socket, "welcome")


def test_a_visitor_on_one_process_and_an_agent_on_another_talk_both_ways(two_servers):
    a, b, key = two_servers["a"], two_servers["b"], two_servers["key"]
    cookie = session_cookie(b)
    api = httpx.Client(
        base_url=b, headers={"Authorization": f"Bearer {two_servers['token']}"}, timeout=10
    )

    async def scenario() -> dict[str, Any]:
        agent = await websockets.connect(
            ws_url(b, "/ws/agent/"),
            origin=websockets.Origin(b),
            additional_headers={"Cookie": cookie},
        )
        visitor, welcome = await visitor_hello(a, key)
        assert welcome["agents_online"]  # the agent's socket on B counts on A too
        await visitor.send(json.dumps({"type": "message", "client_id": "v1", "text": "Hallo?"}))
        ack = await next_of(visitor, "ack")
        # Process A stored it; the agent's workspace on B hears of it at once.
        event = await next_of(agent, "event")
        conversation_id = event["conversation_id"]
        await agent.send(json.dumps({"type": "watch", "conversation_id": conversation_id}))
        viewing = await next_of(visitor, "agent")
        await visitor.send(json.dumps({"type": "typing"}))
        typing = await next_of(agent, "presence")
        # The agent answers through B's API; the visitor's socket on A shows it.
        reply = await asyncio.to_thread(
            api.post,
            f"/api/v1/conversations/{conversation_id}/messages",
            json={"text": "Hello from process B"},
        )
        assert reply.status_code == 201, reply.text
        pushed = await next_of(visitor, "message")
        await visitor.close()
        await agent.close()
        return {
            "ack": ack,
            "viewing": viewing,
            "typing": typing,
            "pushed": pushed,
            "conversation": conversation_id,
        }

    got = asyncio.run(scenario())
    assert got["ack"]["message"]["text"] == "Hallo?"
    assert got["viewing"]["name"] == "Asha"
    assert got["typing"]["state"] == "typing"
    assert got["pushed"]["message"]["text"] == "Hello from process B"
    assert got["pushed"]["message"]["author"] == "Asha"
    # The reply is recorded as sent, by the process that stored it (no worker runs here).
    items = api.get(f"/api/v1/conversations/{got['conversation']}/messages").json()["items"]
    statuses = {m["text"]: m["delivery_status"] for m in items}
    assert statuses["Hello from process B"] in ("sent", "read")


def test_messages_whose_acks_were_lost_are_resent_on_another_process_and_stored_once(
    two_servers,
):
    a, b, key = two_servers["a"], two_servers["b"], two_servers["key"]
    texts = [f"message {n}" for n in range(5)]

    async def scenario() -> tuple[list[dict], dict]:
        visitor, welcome = await visitor_hello(a, key)
        for n, text in enumerate(texts):
            await visitor.send(json.dumps({"type": "message", "client_id": f"c{n}", "text": text}))
        # The line drops before the acknowledgements are read.
        visitor.transport.abort()
        # The widget reconnects (here to the other process) and resends its whole outbox.
        again, _welcome = await visitor_hello(b, key, token=welcome["token"])
        for n, text in enumerate(texts):
            await again.send(json.dumps({"type": "message", "client_id": f"c{n}", "text": text}))
        acks = [await next_of(again, "ack") for _ in texts]
        await again.close()
        history, reloaded = await visitor_hello(a, key, token=welcome["token"])
        await history.close()
        return acks, reloaded

    acks, reloaded = asyncio.run(scenario())
    assert [ack["client_id"] for ack in acks] == [f"c{n}" for n in range(5)]
    assert len({ack["message"]["id"] for ack in acks}) == 5
    assert [m["text"] for m in reloaded["messages"]] == texts  # each exactly once
