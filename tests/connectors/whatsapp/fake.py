"""A local WhatsApp Cloud API (Graph API): messages, media, templates, phone number
lookup and its error bodies; and signed webhooks from "Meta" to Sahayak."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
from typing import Any

from tests.connectors.fakes import Answer, ProviderFake, Request

TOKEN = "EAAG-test-token"
APP_SECRET = "app-secret-for-tests"
PHONE_ID = "106540352242922"
WABA_ID = "102290129340398"

TEMPLATES = [
    {
        "name": "order_update",
        "language": "en_US",
        "status": "APPROVED",
        "category": "UTILITY",
        "id": "1",
        "components": [
            {"type": "HEADER", "format": "TEXT", "text": "Order {{1}}"},
            {"type": "BODY", "text": "Hello {{1}}, your order {{2}} has shipped."},
            {"type": "FOOTER", "text": "Sahayak Shop"},
            {
                "type": "BUTTONS",
                "buttons": [
                    {"type": "URL", "text": "Track", "url": "https://shop.example/t/{{1}}"}
                ],
            },
        ],
    },
    {
        "name": "order_update",
        "language": "fr",
        "status": "APPROVED",
        "category": "UTILITY",
        "id": "2",
        "components": [
            {"type": "HEADER", "format": "TEXT", "text": "Commande {{1}}"},
            {"type": "BODY", "text": "Bonjour {{1}}, votre commande {{2}} est partie."},
            {
                "type": "BUTTONS",
                "buttons": [
                    {"type": "URL", "text": "Suivre", "url": "https://shop.example/t/{{1}}"}
                ],
            },
        ],
    },
    {
        "name": "follow_up",
        "language": "en_US",
        "status": "APPROVED",
        "category": "UTILITY",
        "id": "3",
        "components": [{"type": "BODY", "text": "We are still here if you need us."}],
    },
    {
        "name": "old_promo",
        "language": "en_US",
        "status": "REJECTED",
        "category": "MARKETING",
        "id": "4",
        "components": [{"type": "BODY", "text": "Sale!"}],
    },
]


def error(code: int, message: str, status: int = 400) -> Answer:
    return Answer(
        status,
        {"error": {"message": message, "type": "OAuthException", "code": code, "fbtrace_id": "Af"}},
    )


class WhatsAppFake(ProviderFake):
    def __init__(self) -> None:
        super().__init__()
        self.ids = itertools.count(1)
        self.files: dict[str, tuple[bytes, str]] = {}
        self.uploads: dict[str, tuple[str, bytes]] = {}
        self.media_down = False  # the media endpoint answers 503 while set
        base = r"/v21\.0"
        self.route("POST", rf"{base}/(\d+)/messages", self._send, sends=True)
        self.route("POST", rf"{base}/(\d+)/media", self._upload)
        self.route("GET", rf"{base}/(\d+)/message_templates", self._templates)
        self.route("GET", rf"{base}/(media-[\w-]+)", self._media_info)
        self.route("GET", r"/files/(media-[\w-]+)", self._file)
        self.route("GET", rf"{base}/(\d+)", self._phone)

    @property
    def api(self) -> str:
        return f"{self.base}/v21.0"

    def _authorized(self, request: Request) -> bool:
        return request.headers.get("Authorization") == f"Bearer {TOKEN}"

    def _send(self, request: Request, match: Any) -> Answer:
        if not self._authorized(request):
            return error(190, "Invalid OAuth access token.", 401)
        body = request.json()
        if body.get("messaging_product") != "whatsapp" or not body.get("to"):
            return error(100, "Invalid parameter")
        kind = body.get("type")
        if kind not in ("text", "image", "audio", "video", "document", "sticker", "template"):
            return error(100, f"Unsupported type {kind}")
        media = kind in ("image", "audio", "video", "document", "sticker")
        if media and body[kind].get("id") not in self.uploads:
            return error(131053, "Media upload error")
        if kind == "template":
            names = {(t["name"], t["language"]) for t in TEMPLATES if t["status"] == "APPROVED"}
            template = body["template"]
            if (template["name"], template["language"]["code"]) not in names:
                return error(132001, "Template name does not exist in the translation")
        wamid = f"wamid.HBgM{next(self.ids):06d}"
        return Answer(
            200,
            {
                "messaging_product": "whatsapp",
                "contacts": [{"input": body["to"], "wa_id": body["to"]}],
                "messages": [{"id": wamid}],
            },
        )

    def _upload(self, request: Request, match: Any) -> Answer:
        if not self._authorized(request):
            return error(190, "Invalid OAuth access token.", 401)
        if b"messaging_product" not in request.body or b'name="file"' not in request.body:
            return error(100, "Param file must be a file")
        media_id = f"media-up-{next(self.ids)}"
        self.uploads[media_id] = (request.headers.get("Content-Type", ""), request.body)
        return Answer(200, {"id": media_id})

    def _templates(self, request: Request, match: Any) -> Answer:
        if not self._authorized(request):
            return error(190, "Invalid OAuth access token.", 401)
        # Two per page, to follow the cursors as the real API makes one do.
        start = int((request.query.get("after") or ["0"])[0])
        page = TEMPLATES[start : start + 2]
        paging: dict[str, Any] = {"cursors": {"before": str(start), "after": str(start + 2)}}
        if start + 2 < len(TEMPLATES):
            paging["next"] = f"{self.api}/{match.group(1)}/message_templates?after={start + 2}"
        return Answer(200, {"data": page, "paging": paging})

    def _media_info(self, request: Request, match: Any) -> Answer:
        if self.media_down:
            return error(131016, "Service unavailable", 503)
        if not self._authorized(request):
            return error(190, "Invalid OAuth access token.", 401)
        media_id = match.group(1)
        if media_id not in self.files:
            return error(100, "Unsupported get request. Object does not exist")
        content, content_type = self.files[media_id]
        return Answer(
            200,
            {
                "url": f"{self.base}/files/{media_id}",
                "mime_type": content_type,
                "sha256": hashlib.sha256(content).hexdigest(),
                "file_size": len(content),
                "id": media_id,
                "messaging_product": "whatsapp",
            },
        )

    def _file(self, request: Request, match: Any) -> Answer:
        if not self._authorized(request):
            return Answer(401, raw=b"", content_type="text/plain")
        content, content_type = self.files[match.group(1)]
        return Answer(200, raw=content, content_type=content_type)

    def _phone(self, request: Request, match: Any) -> Answer:
        if not self._authorized(request):
            return error(190, "Invalid OAuth access token.", 401)
        if match.group(1) != PHONE_ID:
            return error(100, "Unsupported get request.")
        return Answer(
            200,
            {
                "display_phone_number": "+1 555-010-0200",
                "verified_name": "Sahayak Shop",
                "id": PHONE_ID,
            },
        )

    # --- webhooks from "Meta" to Sahayak ------------------------------------------------

    def fail_next(self, *, permanent: bool) -> None:
        if permanent:
            self.scripted.append(error(131026, "Message undeliverable"))
        else:
            self.scripted.append(error(130429, "Rate limit hit", 429))

    def received(self) -> int:
        return len(self.calls("POST", r"/v21\.0/\d+/messages"))


def signed(body: dict[str, Any], secret: str = APP_SECRET) -> tuple[bytes, str]:
    raw = json.dumps(body).encode()
    return raw, "sha256=" + hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()


def envelope(
    messages: list[Any] = (),
    statuses: list[Any] = (),
    name: str = "Asha",
    wa_id: str = "919812345678",
) -> dict[str, Any]:  # type: ignore[assignment]
    value: dict[str, Any] = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "15550100200", "phone_number_id": PHONE_ID},
    }
    if messages:
        value["contacts"] = [{"profile": {"name": name}, "wa_id": wa_id}]
        value["messages"] = list(messages)
    if statuses:
        value["statuses"] = list(statuses)
    return {
        "object": "whatsapp_business_account",
        "entry": [{"id": WABA_ID, "changes": [{"value": value, "field": "messages"}]}],
    }


def text(wamid: str, body: str, sender: str = "919812345678", **extra: Any) -> dict[str, Any]:
    return {
        "from": sender,
        "id": wamid,
        "timestamp": "1764680000",
        "type": "text",
        "text": {"body": body},
        **extra,
    }


def status(wamid: str, value: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": wamid,
        "status": value,
        "timestamp": "1764680100",
        "recipient_id": "919812345678",
        **extra,
    }
