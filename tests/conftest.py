"""Shared fixtures. Every test gets three named agents: an admin, a teammate and an outsider
of a private team, so permission checks come for free."""

from __future__ import annotations

import email
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import Message
from email.policy import default as default_policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from django.conf import settings as django_settings
from django.test import Client
from django.utils import translation

from sahayak.accounts.models import Role
from sahayak.accounts.services import create_api_token
from sahayak.conversations.inbound import InboundMessage

from .e2e.helpers import free_port
from .factories import InboxFactory, TeamFactory, UserFactory


@pytest.fixture(autouse=True)
def _media_root(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _fresh_counters(settings: Any, tmp_path: Any) -> Iterator[None]:
    """Rate-limit and throttle counters (in-process cache) and the outbox start empty."""
    from django.core.cache import caches
    from django.core.cache.backends.locmem import LocMemCache

    settings.SAHAYAK_OUTBOX_DIR = str(tmp_path / "sent-mail")
    # Test peers (webhooks, SMTP and IMAP servers) listen on this machine.
    settings.SAHAYAK_ALLOWED_HOSTS = ["127.0.0.0/8", "localhost"]
    yield
    if isinstance(caches["default"], LocMemCache):
        caches["default"].clear()


@pytest.fixture(autouse=True)
def _fresh_routing_config() -> Iterator[None]:
    """The process keeps the routing configuration it read; a test's rolled-back policies
    must not be seen by the next test."""
    from sahayak.routing import config

    config.forget()
    yield
    config.forget()


@pytest.fixture(autouse=True)
def _default_language() -> Iterator[None]:
    """A request in another language must not leak into the next test."""
    yield
    translation.activate(django_settings.LANGUAGE_CODE)


@pytest.fixture
def admin(db: Any) -> Any:
    return UserFactory(username="owner", email="owner@support.example", role=Role.ADMIN)


@pytest.fixture
def private_team(db: Any) -> Any:
    return TeamFactory(name="VIP", is_private=True)


@pytest.fixture
def teammate(private_team: Any) -> Any:
    user = UserFactory(username="teammate", email="teammate@support.example")
    private_team.members.add(user)
    return user


@pytest.fixture
def outsider(db: Any) -> Any:
    return UserFactory(username="outsider", email="outsider@support.example")


@pytest.fixture
def web(admin: Any) -> Client:
    """A browser-like client signed in as the admin."""
    client = Client()
    client.force_login(admin)
    return client


@pytest.fixture
def api_inbox(db: Any) -> Any:
    return InboxFactory(name="API", channel="api")


class ApiClient:
    """A Django test client speaking JSON with a bearer token."""

    def __init__(self, secret: str | None):
        self.client = Client()
        self.headers = {"HTTP_AUTHORIZATION": f"Bearer {secret}"} if secret else {}

    def _send(self, method: str, path: str, body: Any = None, **extra: Any) -> Any:
        kwargs: dict[str, Any] = {**self.headers, **extra}
        if body is not None:
            kwargs["data"] = body if isinstance(body, (bytes, str)) else json.dumps(body)
            kwargs["content_type"] = "application/json"
        return getattr(self.client, method)(path, **kwargs)

    def get(self, path: str, **extra: Any) -> Any:
        return self._send("get", path, **extra)

    def post(self, path: str, body: Any = None, **extra: Any) -> Any:
        return self._send("post", path, body, **extra)

    def patch(self, path: str, body: Any = None, **extra: Any) -> Any:
        return self._send("patch", path, body, **extra)

    def put(self, path: str, body: Any = None, **extra: Any) -> Any:
        return self._send("put", path, body, **extra)

    def delete(self, path: str, **extra: Any) -> Any:
        return self._send("delete", path, **extra)


def client_for(user: Any) -> ApiClient:
    _token, secret = create_api_token(user=user)
    return ApiClient(secret)


@pytest.fixture
def api(admin: Any) -> ApiClient:
    return client_for(admin)


@pytest.fixture
def anon_api() -> ApiClient:
    return ApiClient(None)


def inbound(inbox: Any, **overrides: Any) -> InboundMessage:
    values: dict[str, Any] = {
        "channel": inbox.channel,
        "inbox": inbox,
        "sender_kind": "email",
        "sender_address": "asha@mail.example",
        "sender_name": "Asha",
        "text": "My parcel has not arrived yet.",
    }
    values.update(overrides)
    return InboundMessage(**values)


@dataclass
class Recorder:
    """What a local HTTP server received; ``statuses`` are answered in order, then 200."""

    statuses: list[int] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)


@pytest.fixture
def webhook_server() -> Iterator[tuple[str, Recorder]]:
    """A real HTTP server on 127.0.0.1 standing in for the business's webhook receiver."""
    recorder = Recorder()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            recorder.requests.append({"headers": dict(self.headers), "body": body})
            status = recorder.statuses.pop(0) if recorder.statuses else 200
            self.send_response(status)
            self.send_header("X-Message-Id", f"remote-{len(recorder.requests)}")
            self.end_headers()
            self.wfile.write(b"ok" if status < 400 else b"nope")

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook", recorder
    server.shutdown()
    server.server_close()


@dataclass
class Sink:
    """An SMTP server that keeps what it is sent; ``answer`` scripts its reply to DATA."""

    port: int
    messages: list[tuple[str, list[str], bytes]] = field(default_factory=list)
    answers: list[str] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        if self.answers:
            return self.answers.pop(0)
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 OK"

    def parsed(self, index: int = -1) -> Message:
        return email.message_from_bytes(self.messages[index][2], policy=default_policy)


@pytest.fixture
def smtp_sink(settings: Any) -> Iterator[Sink]:
    port = free_port()
    sink = Sink(port)
    controller = Controller(sink, hostname="127.0.0.1", port=port, enable_SMTPUTF8=True)
    controller.start()
    settings.SAHAYAK_SMTP_URL = f"smtp://127.0.0.1:{port}?security=none"
    yield sink
    controller.stop()
