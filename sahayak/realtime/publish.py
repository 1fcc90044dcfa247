"""Send an event to a channel-layer group from synchronous code (views, tasks, the worker).

Web requests run on a pool of threads beside the server's event loop. The in-memory channel
layer keeps asyncio queues that belong to that loop, so an event must be handed to the loop
itself (``run_coroutine_threadsafe``); ``async_to_sync`` would run it on a throwaway loop
whose wake-ups the consumers never see.

Processes without a server loop (the worker, the IMAP fetcher, the shell) publish to the
Redis layer they share through one long-lived loop in a thread of their own. ``async_to_sync``
would start a thread and a loop for every event (about 2 ms each: a sixth of an email's
whole ingestion) and open new Redis connections each time.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
from collections.abc import Coroutine, Sequence
from typing import Any

from channels.layers import get_channel_layer

logger = logging.getLogger(__name__)

_server_loop: asyncio.AbstractEventLoop | None = None

# Seconds a publish from a process without a server loop may wait on the layer (Redis)
# before it is given up, logged, and the caller goes on.
PUBLISH_TIMEOUT = 10.0


def remember_server_loop() -> None:
    """Called on the server's event loop (by the ASGI router) to note where consumers live."""
    global _server_loop
    if _server_loop is None:
        _server_loop = asyncio.get_running_loop()


def group_send(group: str, event: dict[str, Any]) -> None:
    group_send_many([(group, event)])


def group_send_many(sends: Sequence[tuple[str, dict[str, Any]]]) -> None:
    """Send each (group, event) in order, handing them to the loop once for all."""
    layer = get_channel_layer()
    if layer is None or not sends:
        return

    async def send_all() -> None:
        for group, event in sends:
            await layer.group_send(group, event)

    loop = _server_loop
    try:
        if loop is None or not loop.is_running():
            _publisher().run(send_all())
        elif _on_loop(loop):
            loop.create_task(send_all())
        else:
            asyncio.run_coroutine_threadsafe(send_all(), loop)
    except Exception:  # a lost live update must never break the operation that caused it
        kinds = ", ".join(dict.fromkeys(str(event.get("type")) for _, event in sends))
        logger.exception("could not publish %s (%d)", kinds, len(sends))


def _on_loop(loop: asyncio.AbstractEventLoop) -> bool:
    try:
        return asyncio.get_running_loop() is loop
    except RuntimeError:
        return False


class _Publisher:
    """An event loop in a daemon thread. Each publish waits for its send, so events leave
    in the order they were published, as they did with ``async_to_sync``."""

    def __init__(self) -> None:
        self.pid = os.getpid()
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(
            target=self.loop.run_forever, name="sahayak-publish", daemon=True
        )
        self.thread.start()

    def run(self, coroutine: Coroutine[Any, Any, Any]) -> None:
        future = asyncio.run_coroutine_threadsafe(coroutine, self.loop)
        try:
            future.result(PUBLISH_TIMEOUT)
        except TimeoutError:
            future.cancel()
            raise


_publisher_lock = threading.Lock()
_the_publisher: _Publisher | None = None


def _publisher() -> _Publisher:
    """This process's publisher, started on first use (again in a forked child: a fork
    keeps the object but not its thread)."""
    global _the_publisher
    current = _the_publisher
    if current is not None and current.pid == os.getpid():
        return current
    with _publisher_lock:
        if _the_publisher is None or _the_publisher.pid != os.getpid():
            _the_publisher = _Publisher()
        return _the_publisher
