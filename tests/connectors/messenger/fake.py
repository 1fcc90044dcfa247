"""A local Graph API for the Messenger Platform and Instagram messaging: the Send API
(JSON, or multipart with ``filedata``), the page/account lookup, attachment files on a
"CDN", Graph error bodies; and signed page/instagram webhooks to Sahayak."""

from __future__ import annotations

import itertools
import time
from typing import Any

from tests.connectors.fakes import Answer, ProviderFake, Request
from tests.connectors.whatsapp.fake import error, signed  # the same Graph error and signature

TOKEN = "EAAPage-token"
APP_SECRET = "meta-app-secret"
PAGE_ID = "110000000000001"
IG_ID = "17841400000000001"
PSID = "2400000000000001"

__all__ = ["error", "signed"]


class MetaFake(ProviderFake):
    def __init__(self) -> None:
        super().__init__()
        self.ids = itertools.count(1)
        self.files: dict[str, tuple[bytes, str]] = {}
        self.route("POST", r"/v21\.0/(\d+)/messages", self._send, sends=True)
        self.route("GET", r"/v21\.0/(\d+)", self._account)
        self.route("GET", r"/cdn/(\w+)", self._file)

    @property
    def api(self) -> str:
        return f"{self.base}/v21.0"

    def _send(self, request: Request, match: Any) -> Answer:
        if request.query.get("access_token") != [TOKEN]:
            return error(190, "Invalid OAuth access token.", 401)
        if match.group(1) not in (PAGE_ID, IG_ID):
            return error(100, "Unsupported post request.")
        if request.headers.get("Content-Type", "").startswith("multipart/"):
            if b'name="filedata"' not in request.body or b'name="recipient"' not in request.body:
                return error(100, "(#100) Upload attachment failure.")
            body: dict[str, Any] = {}
        else:
            body = request.json()
            if not body.get("recipient", {}).get("id") or not body.get("message"):
                return error(100, "(#100) param recipient must be non-empty.")
            if body.get("messaging_type") not in ("RESPONSE", "UPDATE", "MESSAGE_TAG"):
                return error(100, "(#100) messaging_type is invalid")
        return Answer(200, {"recipient_id": PSID, "message_id": f"m_out{next(self.ids):05d}"})

    def _account(self, request: Request, match: Any) -> Answer:
        if request.query.get("access_token") != [TOKEN]:
            return error(190, "Invalid OAuth access token.", 401)
        return Answer(200, {"name": "Sahayak Shop", "id": match.group(1)})

    def _file(self, request: Request, match: Any) -> Answer:
        content, content_type = self.files[match.group(1)]
        return Answer(200, raw=content, content_type=content_type)

    def fail_next(self, *, permanent: bool) -> None:
        self.scripted.append(
            error(551, "This person isn't available right now.")
            if permanent
            else error(613, "Calls to this api have exceeded the rate limit.", 400)
        )

    def received(self) -> int:
        return len(self.calls("POST", r"/v21\.0/\d+/messages"))


def event(kind: str, messaging: list[dict[str, Any]]) -> dict[str, Any]:
    account = PAGE_ID if kind == "messenger" else IG_ID
    return {
        "object": "page" if kind == "messenger" else "instagram",
        "entry": [{"id": account, "time": int(time.time() * 1000), "messaging": messaging}],
    }


def msg(mid: str, text: str = "", sender: str = PSID, **message: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"mid": mid, **message}
    if text:
        body["text"] = text
    return {
        "sender": {"id": sender},
        "recipient": {"id": PAGE_ID},
        "timestamp": int(time.time() * 1000),
        "message": body,
    }
