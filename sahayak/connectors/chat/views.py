"""The widget's HTTP side: the script itself, its settings, uploads and file links.

The widget runs on the business's site, so answers carry CORS headers for the inbox's
allowed origins only. The visitor's token travels in the request body, never in a URL.
"""

from __future__ import annotations

import uuid
from functools import cache
from pathlib import Path

from django.conf import settings
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    JsonResponse,
)
from django.shortcuts import render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from sahayak.clientip import client_address
from sahayak.conversations.inbound import InboundAttachment, InboundRejected
from sahayak.conversations.models import Inbox
from sahayak.knowledge import help_center

from . import services
from .config import chat_settings, origin_allowed
from .strings import widget_strings

# The widget's files live with the other customer-facing assets, in the portal app.
STATIC = Path(__file__).resolve().parents[2] / "portal" / "static" / "sahayak" / "chat"


@cache
def _asset(name: str) -> bytes:
    return (STATIC / name).read_bytes()


@require_GET
@cache_control(public=True, max_age=300)
def widget_js(request: HttpRequest) -> HttpResponse:
    """``<script src="https://HOST/widget.js" data-inbox="KEY" async>`` loads this."""
    return HttpResponse(_asset("widget.js"), content_type="text/javascript; charset=utf-8")


@require_GET
@cache_control(public=True, max_age=300)
def widget_css(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(_asset("widget.css"), content_type="text/css; charset=utf-8")
    response["Access-Control-Allow-Origin"] = "*"  # styles only: no secrets in them
    return response


def _inbox(public_key: str) -> Inbox:
    inbox = services.find_inbox(public_key)
    if inbox is None:
        raise Http404(_("No such chat."))
    return inbox


def _cors(request: HttpRequest, inbox: Inbox, response: HttpResponse) -> HttpResponse:
    origin = request.headers.get("Origin", "")
    if origin and origin_allowed(inbox, origin, request.get_host()):
        response["Access-Control-Allow-Origin"] = origin
    response["Vary"] = "Origin"
    return response


def _language(request: HttpRequest) -> str:
    return services.supported_language(request.GET.get("locale")) or settings.LANGUAGE_CODE


@require_GET
def widget_config(request: HttpRequest, public_key: str) -> HttpResponse:
    """Colours, greeting, pre-chat form and every string, in the visitor's language."""
    inbox = _inbox(public_key)
    chat = chat_settings(inbox)
    language = _language(request)
    with translation.override(language):
        body = {
            "locale": language,
            "dir": "rtl" if translation.get_language_bidi() else "ltr",
            "color": chat.color,
            "title": chat.title or inbox.name,
            "greeting": chat.greeting_for(language) or _("Hi! How can we help you today?"),
            "prechat": chat.prechat,
            "agents_online": services.agents_available(inbox),
            "max_chars": settings.SAHAYAK_CHAT_MAX_CHARS,
            "upload": {
                "max_bytes": settings.SAHAYAK_CHAT_UPLOAD_BYTES,
                "types": settings.SAHAYAK_CHAT_UPLOAD_TYPES,
            },
            "strings": widget_strings(),
            "suggest_url": _suggest_url(inbox, language),
        }
    return _cors(request, inbox, JsonResponse(body))


def _suggest_url(inbox: Inbox, language: str) -> str:
    """Where the widget finds articles for what the visitor types ("" when turned off)."""
    if not inbox.config.get("suggest_articles", True):
        return ""
    short = language.split("-")[0]
    locale = short if help_center.is_locale(short) else help_center.default_locale()
    return reverse("help:suggest", args=[locale])


def _error(request: HttpRequest, inbox: Inbox, status: int, code: str, detail: str) -> HttpResponse:
    return _cors(request, inbox, JsonResponse({"code": code, "detail": detail}, status=status))


@csrf_exempt  # no cookie authenticates this: the visitor's token in the body does
@require_http_methods(["POST"])
def upload(request: HttpRequest, public_key: str) -> HttpResponse:
    """A file from the visitor, stored as a chat message of its own (``client_id``)."""
    inbox = _inbox(public_key)
    origin = request.headers.get("Origin", "")
    if origin and not origin_allowed(inbox, origin, request.get_host()):
        return _error(request, inbox, 403, "origin", _("This site may not use this chat."))
    session = services.resume_session(inbox=inbox, token=request.POST.get("token", ""))
    if session is None:
        return _error(request, inbox, 403, "token", _("Unknown visitor; reload the page."))
    upload = request.FILES.get("file")
    if upload is None:
        return _error(request, inbox, 400, "file", _("No file was sent."))
    if upload.size is None or upload.size > settings.SAHAYAK_CHAT_UPLOAD_BYTES:
        detail = _("The file is too large (at most %(n)d MB).") % {
            "n": settings.SAHAYAK_CHAT_UPLOAD_BYTES // (1024 * 1024)
        }
        return _error(request, inbox, 413, "too_large", detail)
    content_type = (upload.content_type or "").split(";")[0].strip().lower()
    if content_type not in settings.SAHAYAK_CHAT_UPLOAD_TYPES:
        return _error(request, inbox, 415, "type", _("Files of this type cannot be sent here."))
    if services.rate_limited(session, client_address(request)):
        return _error(request, inbox, 429, "rate", _("Too many messages; please wait a moment."))
    client_id = request.POST.get("client_id") or uuid.uuid4().hex
    attachment = InboundAttachment(
        filename=Path(upload.name or "file").name[:200],
        content_type=content_type,
        content=upload.read(),
    )
    try:
        result = services.post_message(
            session=session,
            client_id=client_id,
            text=request.POST.get("text", ""),
            attachments=[attachment],
        )
    except (services.ChatError, InboundRejected) as exc:
        return _error(request, inbox, 400, getattr(exc, "code", "invalid"), str(exc))
    body = {"message": services.serialize(session, result.message)}
    return _cors(request, inbox, JsonResponse(body, status=201))


@require_GET
def chat_file(request: HttpRequest, token: str) -> FileResponse:
    """A file of the chat, by the signed link the widget got with the message."""
    attachment = services.file_for_token(token)
    if attachment is None:
        raise Http404(_("No such file."))
    inline = attachment.content_type.startswith("image/") and attachment.content_type != (
        "image/svg+xml"
    )
    response = FileResponse(
        attachment.file.open("rb"),
        as_attachment=not inline,
        filename=attachment.filename,
        content_type=attachment.content_type if inline else "application/octet-stream",
    )
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cross-Origin-Resource-Policy"] = "cross-origin"
    return response


@require_GET
def preview(request: HttpRequest, public_key: str) -> HttpResponse:
    """A blank page with the widget, on Sahayak's own host: try it before embedding it."""
    inbox = _inbox(public_key)
    return render(request, "chat/preview.html", {"inbox": inbox})
