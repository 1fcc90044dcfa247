"""Publishing from code that runs without the server's event loop (the worker, the IMAP
fetcher): events reach the shared Redis layer in order, through one long-lived thread."""

from __future__ import annotations

import asyncio
import threading
import uuid

import pytest
import redis
from channels_redis.core import RedisChannelLayer

from sahayak.realtime import publish

REDIS_URL = "redis://127.0.0.1:6379/0"


@pytest.fixture
def redis_layer(monkeypatch):
    try:
        redis.Redis.from_url(REDIS_URL, socket_timeout=1).ping()
    except redis.RedisError:
        pytest.skip("no Redis on 127.0.0.1:6379")
    prefix = f"sahayak-test-{uuid.uuid4().hex[:12]}"
    layer = RedisChannelLayer(hosts=[REDIS_URL], prefix=prefix)
    monkeypatch.setattr(publish, "get_channel_layer", lambda: layer)
    monkeypatch.setattr(publish, "_server_loop", None)
    yield layer
    client = redis.Redis.from_url(REDIS_URL)
    for key in client.scan_iter(f"{prefix}*"):
        client.delete(key)


def _publisher_threads() -> int:
    return sum(t.name == "sahayak-publish" for t in threading.enumerate())


def test_events_from_a_thread_without_a_loop_arrive_in_order(redis_layer):
    async def join() -> str:
        channel = await redis_layer.new_channel()
        await redis_layer.group_add("agents-test", channel)
        return channel

    channel = asyncio.run(join())
    before = _publisher_threads()

    def worker() -> None:
        for n in range(60):
            publish.group_send("agents-test", {"type": "conversation.event", "n": n})

    thread = threading.Thread(target=worker)
    thread.start()
    thread.join()

    async def drain() -> list[int]:
        received = []
        for _ in range(60):
            message = await asyncio.wait_for(redis_layer.receive(channel), 5)
            received.append(message["n"])
        return received

    assert asyncio.run(drain()) == list(range(60))
    # One publishing thread for the process, not one per event.
    assert _publisher_threads() == max(before, 1)


def test_an_unreachable_layer_is_logged_and_the_caller_goes_on(monkeypatch, caplog):
    class Broken:
        async def group_send(self, group, event):
            raise ConnectionError("layer down")

    monkeypatch.setattr(publish, "get_channel_layer", lambda: Broken())
    monkeypatch.setattr(publish, "_server_loop", None)
    publish.group_send("agents-test", {"type": "conversation.event"})
    assert "could not publish conversation.event" in caplog.text


def test_a_commits_updates_are_handed_over_once_and_arrive_in_order(redis_layer, monkeypatch):
    async def join() -> str:
        channel = await redis_layer.new_channel()
        await redis_layer.group_add("agents-test", channel)
        return channel

    channel = asyncio.run(join())
    runner = publish._publisher()
    handed: list[int] = []
    original = runner.run

    def counting_run(coroutine):
        handed.append(1)
        return original(coroutine)

    monkeypatch.setattr(runner, "run", counting_run)
    sends = [("agents-test", {"type": "conversation.event", "n": n}) for n in range(25)]
    sender = threading.Thread(target=publish.group_send_many, args=(sends,))
    sender.start()

    async def drain() -> list[int]:
        return [(await asyncio.wait_for(redis_layer.receive(channel), 5))["n"] for _ in range(25)]

    assert asyncio.run(drain()) == list(range(25))
    sender.join()
    assert len(handed) == 1
