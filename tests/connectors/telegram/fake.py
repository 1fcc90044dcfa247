"""A local Telegram Bot API: getMe, sendMessage, sendPhoto/sendDocument (multipart
uploads), getFile and file downloads, getUpdates, setWebhook/deleteWebhook, and its
``{"ok": false, "error_code", "description", "parameters"}`` errors."""

from __future__ import annotations

import itertools
import json
import threading
from typing import Any

from tests.connectors.fakes import Answer, ProviderFake, Request

TOKEN = "123456:ABC-test-token"


def error(code: int, description: str, retry_after: int | None = None) -> Answer:
    body: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
    if retry_after is not None:
        body["parameters"] = {"retry_after": retry_after}
    return Answer(code, body)


def ok(result: Any) -> Answer:
    return Answer(200, {"ok": True, "result": result})


class TelegramFake(ProviderFake):
    def __init__(self) -> None:
        super().__init__()
        self.ids = itertools.count(100)
        self.files: dict[str, tuple[str, bytes]] = {}
        self.updates: list[dict[str, Any]] = []
        self.webhook: dict[str, Any] = {}
        self.updates_lock = threading.Lock()
        self.route(
            "POST", r"/bot([^/]+)/(sendMessage|sendPhoto|sendDocument)", self._send, sends=True
        )
        self.route("POST", r"/bot([^/]+)/(\w+)", self._method)
        self.route("GET", r"/file/bot([^/]+)/(.+)", self._file)

    def _body(self, request: Request) -> dict[str, Any]:
        if request.headers.get("Content-Type", "").startswith("application/json"):
            return request.json()
        return {}

    def _send(self, request: Request, match: Any) -> Answer:
        if match.group(1) != TOKEN:
            return error(401, "Unauthorized")
        method = match.group(2)
        if method == "sendMessage":
            body = self._body(request)
            if not body.get("chat_id") or not body.get("text"):
                return error(400, "Bad Request: message text is empty")
            chat = body["chat_id"]
        else:
            field = "photo" if method == "sendPhoto" else "document"
            if f'name="{field}"'.encode() not in request.body:
                return error(400, f"Bad Request: there is no {field} in the request")
            chat = request.body.split(b'name="chat_id"\r\n\r\n', 1)[1].split(b"\r\n", 1)[0].decode()
        return ok(
            {
                "message_id": next(self.ids),
                "chat": {"id": int(chat), "type": "private"},
                "date": 1764680000,
            }
        )

    def _method(self, request: Request, match: Any) -> Answer:
        if match.group(1) != TOKEN:
            return error(401, "Unauthorized")
        method, body = match.group(2), self._body(request)
        if method == "getMe":
            return ok(
                {"id": 123456, "is_bot": True, "first_name": "Shop", "username": "sahayak_shop_bot"}
            )
        if method == "getFile":
            file_id = body.get("file_id")
            if file_id not in self.files:
                return error(400, "Bad Request: invalid file_id")
            path, content = self.files[file_id]
            return ok(
                {
                    "file_id": file_id,
                    "file_unique_id": file_id,
                    "file_size": len(content),
                    "file_path": path,
                }
            )
        if method == "getUpdates":
            if self.webhook.get("url"):
                return error(409, "Conflict: can't use getUpdates method while webhook is active")
            offset = int(body.get("offset") or 0)
            with self.updates_lock:
                self.updates = [u for u in self.updates if u["update_id"] >= offset]
                return ok(list(self.updates[:100]))
        if method == "setWebhook":
            self.webhook = body
            return ok(True)
        if method == "deleteWebhook":
            self.webhook = {}
            return ok(True)
        return error(404, "Not Found")

    def _file(self, request: Request, match: Any) -> Answer:
        if match.group(1) != TOKEN:
            return Answer(401, raw=b"", content_type="text/plain")
        for path, content in self.files.values():
            if path == match.group(2):
                return Answer(200, raw=content, content_type="application/octet-stream")
        return Answer(404, raw=b"", content_type="text/plain")

    def fail_next(self, *, permanent: bool) -> None:
        self.scripted.append(
            error(403, "Forbidden: bot was blocked by the user")
            if permanent
            else error(429, "Too Many Requests: retry after 7", 7)
        )

    def received(self) -> int:
        return len(self.calls("POST", r"/bot[^/]+/send\w+"))

    def sends(self) -> list[Request]:
        return self.calls("POST", r"/bot[^/]+/send\w+")


def update(
    update_id: int,
    message_id: int,
    text: str = "",
    *,
    user: int = 5550001,
    chat: dict[str, Any] | None = None,
    **fields: Any,
) -> dict[str, Any]:
    message: dict[str, Any] = {
        "message_id": message_id,
        "from": {
            "id": user,
            "is_bot": False,
            "first_name": "Eleni",
            "last_name": "P",
            "username": "eleni",
            "language_code": "el",
        },
        "chat": chat or {"id": user, "type": "private", "first_name": "Eleni"},
        "date": 1764680000,
        **fields,
    }
    if text:
        message["text"] = text
    return {"update_id": update_id, "message": message}


def raw(body: dict[str, Any]) -> bytes:
    return json.dumps(body).encode()
