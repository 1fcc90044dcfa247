"""Read a request's body on the event loop before the application sees the request.

uvicorn answers ``receive()`` with ``http.disconnect`` as soon as the client has closed its
connection, even when the whole body had already arrived and sits in its buffer. The WSGI
bridge reads the body later, from a worker thread, so a webhook sender that posts a complete
request and hangs up at once (short timeouts do this) had its body read as empty: 422, and
nothing stored. Taking the body while the request is being dispatched, before anything else
awaits, gets it whole; the application then reads it from memory, which also saves the
thread-to-loop hop per chunk.

A body the client abandoned half way is dropped without calling the application: there is no
complete request to act on and nobody to answer. Bodies larger than ``limit`` (uploads) are
streamed to the application as before.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
App = Callable[[MutableMapping[str, Any], Receive, Send], Awaitable[None]]

DEFAULT_LIMIT = 8 * 1024 * 1024


class WholeBody:
    """ASGI middleware: hand the application each HTTP request with its body already read."""

    def __init__(self, app: App, limit: int = DEFAULT_LIMIT):
        self.app = app
        self.limit = limit

    async def __call__(self, scope: MutableMapping[str, Any], receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not _has_body(scope, self.limit):
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return  # the client left before its request was complete
            chunk = message.get("body", b"")
            chunks.append(chunk)
            size += len(chunk)
            if not message.get("more_body", False):
                await self.app(scope, _replay(b"".join(chunks), False, receive), send)
                return
            if size > self.limit:  # no length announced, and larger than we hold in memory
                await self.app(scope, _replay(b"".join(chunks), True, receive), send)
                return


def _has_body(scope: MutableMapping[str, Any], limit: int) -> bool:
    """Whether the request announces a body we should take now (chunked, or a length up to
    ``limit``)."""
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return 0 < int(value) <= limit
            except ValueError:
                return False  # Django answers the bad header
        if name == b"transfer-encoding":
            return True
    return False


def _replay(body: bytes, more: bool, receive: Receive) -> Receive:
    """A ``receive`` that first gives back what was read, then defers to the server's."""
    given = False

    async def replay() -> Message:
        nonlocal given
        if given:
            return await receive()
        given = True
        return {"type": "http.request", "body": body, "more_body": more}

    return replay
