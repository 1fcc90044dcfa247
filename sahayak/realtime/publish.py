"""Send an event to a channel-layer group from synchronous code (views, tasks, the worker).

Web requests run on a pool of threads beside the server's event loop. The in-memory channel
layer keeps asyncio queues that belong to that loop, so an event must be handed to the loop
itself (``run_coroutine_threadsafe``); ``async_to_sync`` would run it on a throwaway loop
whose wake-ups the consumers never see. Processes without a server loop (the worker, the
shell) fall back to ``async_to_sync``, which is right for the Redis layer they share.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

logger = logging.getLogger(__name__)

_server_loop: asyncio.AbstractEventLoop | None = None


def remember_server_loop() -> None:
    """Called on the server's event loop (by the ASGI router) to note where consumers live."""
    global _server_loop
    if _server_loop is None:
        _server_loop = asyncio.get_running_loop()


def group_send(group: str, event: dict[str, Any]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    loop = _server_loop
    try:
        if loop is None or not loop.is_running():
            async_to_sync(layer.group_send)(group, event)
        elif _on_loop(loop):
            loop.create_task(layer.group_send(group, event))
        else:
            asyncio.run_coroutine_threadsafe(layer.group_send(group, event), loop)
    except Exception:  # a lost live update must never break the operation that caused it
        logger.exception("could not publish %s to %s", event.get("type"), group)


def _on_loop(loop: asyncio.AbstractEventLoop) -> bool:
    try:
        return asyncio.get_running_loop() is loop
    except RuntimeError:
        return False
