"""Local stand-ins for messaging providers: real HTTP servers on 127.0.0.1 that answer
the providers' documented requests with their documented bodies and errors.

``ProviderFake`` is the server: routes, a log of every request, and scripted failures
(``fail_next``: the next call that sends a message gets that status and error body).
Each provider's fake adds its routes and its way of signing webhooks to Sahayak.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    def form(self) -> dict[str, list[str]]:
        return parse_qs(self.body.decode())


@dataclass
class Answer:
    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    raw: bytes | None = None
    content_type: str = "application/json"


Handler = Callable[[Request, re.Match[str]], Answer]


class ProviderFake:
    def __init__(self) -> None:
        self.routes: list[tuple[str, re.Pattern[str], Handler, bool]] = []
        self.requests: list[Request] = []
        self.scripted: list[Answer] = []
        self.lock = threading.Lock()
        fake = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length", "0") or 0)
                body = self.rfile.read(length) if length else b""
                parts = urlsplit(self.path)
                request = Request(
                    self.command, parts.path, parse_qs(parts.query), dict(self.headers), body
                )
                answer = fake.answer(request)
                payload = answer.raw if answer.raw is not None else json.dumps(answer.body).encode()
                self.send_response(answer.status)
                self.send_header("Content-Type", answer.content_type)
                self.send_header("Content-Length", str(len(payload)))
                for name, value in answer.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_DELETE = _serve  # noqa: N815

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def route(self, method: str, pattern: str, handler: Handler, *, sends: bool = False) -> None:
        """``sends``: a call that delivers a message (what ``fail_next`` fails)."""
        self.routes.append((method, re.compile(pattern), handler, sends))

    def answer(self, request: Request) -> Answer:
        with self.lock:
            self.requests.append(request)
        for method, pattern, handler, sends in self.routes:
            match = pattern.fullmatch(request.path)
            if match and method == request.method:
                if sends:
                    with self.lock:
                        scripted = self.scripted.pop(0) if self.scripted else None
                    if scripted is not None:
                        return scripted
                return handler(request, match)
        return Answer(404, {"error": {"message": f"no route {request.method} {request.path}"}})

    def start(self) -> ProviderFake:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def calls(self, method: str, pattern: str) -> list[Request]:
        compiled = re.compile(pattern)
        return [r for r in self.requests if r.method == method and compiled.fullmatch(r.path)]
