"""The body is taken whole before the application runs: a client that hangs up after a complete
request still has it processed; a half-sent one is not acted on."""

from __future__ import annotations

import asyncio
from typing import Any

from sahayak.request_body import WholeBody


def _scope(headers: list[tuple[bytes, bytes]], method: str = "POST") -> dict[str, Any]:
    return {"type": "http", "method": method, "headers": headers}


def _server(messages: list[dict[str, Any]]):
    """A ``receive`` that gives ``messages`` and then, like uvicorn after a hang-up, only
    ``http.disconnect``."""
    queue = list(messages)

    async def receive() -> dict[str, Any]:
        return queue.pop(0) if queue else {"type": "http.disconnect"}

    return receive


class _App:
    def __init__(self) -> None:
        self.calls = 0
        self.bodies: list[bytes] = []

    async def __call__(self, scope, receive, send) -> None:
        self.calls += 1
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body", False):
                break
        self.bodies.append(body)


async def _nothing(message: Any) -> None:
    return None


def _run(middleware: WholeBody, scope: dict[str, Any], messages: list[dict[str, Any]]) -> None:
    asyncio.run(middleware(scope, _server(messages), _nothing))


def test_a_body_sent_in_pieces_reaches_the_app_whole_even_after_the_client_left():
    app = _App()
    parts = [
        {"type": "http.request", "body": b'{"text": ', "more_body": True},
        {"type": "http.request", "body": '"নমস্কার"}'.encode(), "more_body": False},
    ]
    length = str(sum(len(p["body"]) for p in parts)).encode()
    _run(WholeBody(app), _scope([(b"content-length", length)]), parts)
    assert app.bodies == ['{"text": "নমস্কার"}'.encode()]


def test_a_request_abandoned_half_way_is_not_handed_on():
    app = _App()
    parts = [{"type": "http.request", "body": b'{"te', "more_body": True}]
    _run(WholeBody(app), _scope([(b"content-length", b"20")]), parts)
    assert app.calls == 0


def test_bodies_over_the_limit_are_streamed_as_sent():
    app = _App()
    parts = [
        {"type": "http.request", "body": b"a" * 10, "more_body": True},
        {"type": "http.request", "body": b"b" * 10, "more_body": True},
        {"type": "http.request", "body": b"c" * 10, "more_body": False},
    ]
    _run(WholeBody(app, limit=15), _scope([(b"transfer-encoding", b"chunked")]), parts)
    assert app.bodies == [b"a" * 10 + b"b" * 10 + b"c" * 10]
    announced = _App()
    _run(WholeBody(announced, limit=15), _scope([(b"content-length", b"30")]), parts[:])
    assert announced.calls == 1  # handed on untouched: Django answers 413 where it must


def test_requests_without_a_body_pass_straight_through():
    seen: list[Any] = []

    async def app(scope, receive, send) -> None:
        seen.append(receive)

    receive = _server([])
    asyncio.run(WholeBody(app)(_scope([], method="GET"), receive, _nothing))
    assert seen == [receive]
