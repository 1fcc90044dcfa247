"""A chat inbox and visitor sockets spoken to through the real ASGI router."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
from channels.testing.websocket import WebsocketCommunicator

from sahayak.asgi import router
from tests.factories import InboxFactory

SITE = "https://shop.example"


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    """Rate-limit counters live in the cache: one test's visitors must not slow the next."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def chat_inbox(db: Any) -> Any:
    return InboxFactory(
        name="Website chat",
        channel="chat",
        config={"allowed_origins": [SITE], "secret": "identity-secret", "greeting": "Hello"},
    )


def visitor_socket(inbox: Any, origin: str = SITE) -> WebsocketCommunicator:
    headers = [(b"origin", origin.encode()), (b"host", b"testserver")]
    return WebsocketCommunicator(router, f"/ws/chat/{inbox.public_key}/", headers=headers)


async def hello(
    inbox: Any, token: str | None = None, **extra: Any
) -> tuple[WebsocketCommunicator, dict[str, Any]]:
    """A connected visitor socket and the server's welcome."""
    socket = visitor_socket(inbox)
    connected, code = await socket.connect()
    assert connected, code
    context = {"page": f"{SITE}/shoes", "browser": "Firefox/140", "locale": "fr-FR"}
    await socket.send_json_to({"type": "hello", "token": token, "context": context, **extra})
    welcome = await socket.receive_json_from(timeout=5)
    assert welcome["type"] == "welcome", welcome
    return socket, welcome


async def say(socket: WebsocketCommunicator, client_id: str, text: str) -> dict[str, Any]:
    await socket.send_json_to({"type": "message", "client_id": client_id, "text": text})
    return await receive_type(socket, "ack", "error")


async def receive_type(socket: WebsocketCommunicator, *kinds: str) -> dict[str, Any]:
    """The next event of one of ``kinds``, skipping others (pongs, presence)."""
    while True:
        event = await socket.receive_json_from(timeout=5)
        if event["type"] in kinds:
            return event


def run(coro: Any) -> Any:
    return asyncio.run(coro)
