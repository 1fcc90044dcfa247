"""Twilio-style webhooks: ``X-Twilio-Signature`` checked, an incoming SMS/MMS turned into
an inbound message, STOP/START recorded on the sender's identity, status callbacks
turned into reports."""

from __future__ import annotations

import base64
import hashlib
import hmac
import mimetypes
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, QueryDict
from django.utils import timezone
from django.utils.translation import gettext as _

from sahayak.connectors.messaging.providers import ProviderFailure
from sahayak.connectors.messaging.webhooks import PayloadError, StatusReport, store
from sahayak.contacts.identities import normalize_phone
from sahayak.contacts.models import Identity
from sahayak.conversations.inbound import InboundAttachment, InboundMessage
from sahayak.conversations.models import Inbox

from . import client

CHANNEL = "sms"
FORM = "application/x-www-form-urlencoded"
SIGNATURE_HEADER = "X-Twilio-Signature"
STOP_WORDS = {
    "STOP",
    "STOPALL",
    "STOP ALL",
    "UNSUBSCRIBE",
    "CANCEL",
    "END",
    "QUIT",
    "OPTOUT",
    "REVOKE",
}
START_WORDS = {"START", "YES", "UNSTOP", "OPTIN"}
STATUSES = {
    "sent": "sent",
    "delivered": "delivered",
    "read": "read",
    "undelivered": "failed",
    "failed": "failed",
}
MAX_MEDIA = 10


def expected_signature(auth_token: str, url: str, params: Iterable[tuple[str, str]]) -> str:
    """Base64 HMAC-SHA1 of the URL followed by every parameter's name and value, sorted."""
    data = url + "".join(f"{k}{v}" for k, v in sorted(params))
    digest = hmac.new(auth_token.encode(), data.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def signature_ok(request: HttpRequest, auth_token: str) -> bool:
    """Checked against the address the provider was given: the public URL if one is set,
    else the one this request arrived on."""
    given = request.headers.get(SIGNATURE_HEADER, "")
    if not auth_token or not given:
        return False
    params = [(k, v) for k, values in request.POST.lists() for v in values]
    candidates = {request.build_absolute_uri()}
    if settings.SAHAYAK_PUBLIC_URL:
        candidates.add(settings.SAHAYAK_PUBLIC_URL + request.get_full_path())
    return any(
        hmac.compare_digest(expected_signature(auth_token, url, params), given)
        for url in candidates
    )


def check(form: Any, event: str) -> None:
    """The cheap check made before a request is queued."""
    if not (form.get("MessageSid") or form.get("SmsSid")):
        raise PayloadError("MessageSid is required")
    if event == "message":
        try:
            normalize_phone(str(form.get("From") or ""))
        except ValueError as exc:
            raise PayloadError(str(exc)) from exc


def process(inbox: Inbox, body: bytes, content_type: str) -> None:
    """A queued request (run by the worker): a message, or a status callback."""
    form = QueryDict(body.decode("utf-8", "replace"))
    if "event=status" in content_type:
        report = status(form)
        store(inbox, [report] if report else [])
        return
    item = message(form, inbox)
    store(inbox, [item])
    word = item.metadata[CHANNEL]["keyword"]
    if word:
        record_keyword(item.sender_address, word)


def keyword(body: str, opt_out_type: str = "") -> str:
    """ "stop", "start" or "" for a message that is an opt-out keyword."""
    if opt_out_type.upper() in ("STOP", "START"):
        return opt_out_type.lower()
    word = " ".join(body.strip().upper().split())
    if word in STOP_WORDS:
        return "stop"
    if word in START_WORDS:
        return "start"
    return ""


def record_keyword(number: str, word: str) -> None:
    """STOP: nothing more is sent to the number; START: it may be written to again."""
    if word == "stop":
        Identity.objects.filter(kind="phone", address=number, opted_out_at__isnull=True).update(
            opted_out_at=timezone.now()
        )
    elif word == "start":
        Identity.objects.filter(kind="phone", address=number).update(opted_out_at=None)


def message(form: Any, inbox: Inbox) -> InboundMessage:
    sid = str(form.get("MessageSid") or form.get("SmsSid") or "")
    sender = str(form.get("From") or "")
    if not sid or not sender:
        raise PayloadError("MessageSid and From are required")
    try:
        number = normalize_phone(sender)
    except ValueError as exc:
        raise PayloadError(str(exc)) from exc
    text = str(form.get("Body") or "")
    attachments, notes = _media(form, inbox)
    if notes:
        text = "\n".join(filter(None, [text, *notes]))
    return InboundMessage(
        channel=CHANNEL,
        inbox=inbox,
        sender_kind="phone",
        sender_address=number,
        text=text,
        external_id=sid,
        thread_key=f"{form.get('To', '')}:{number}",
        metadata={
            CHANNEL: {
                "to": str(form.get("To") or ""),
                "segments": str(form.get("NumSegments") or ""),
                "keyword": keyword(text, str(form.get("OptOutType") or "")),
            }
        },
        attachments=attachments,
    )


def _media(form: Any, inbox: Inbox) -> tuple[list[InboundAttachment], list[str]]:
    try:
        count = min(int(form.get("NumMedia") or 0), MAX_MEDIA)
    except ValueError:
        count = 0
    attachments, notes = [], []
    for index in range(count):
        url = str(form.get(f"MediaUrl{index}") or "")
        declared = str(form.get(f"MediaContentType{index}") or "application/octet-stream")
        try:
            content, content_type = client.fetch_media(inbox.config, url)
        except ProviderFailure as exc:
            if not exc.permanent:
                raise
            notes.append(_("(a file could not be fetched: %(r)s)") % {"r": exc.message})
            continue
        content_type = (content_type or declared)[:127]
        extension = mimetypes.guess_extension(content_type) or ""
        attachments.append(
            InboundAttachment(
                filename=f"mms-{index + 1}{extension}", content_type=content_type, content=content
            )
        )
    return attachments, notes


def status(form: Any) -> StatusReport | None:
    sid = str(form.get("MessageSid") or "")
    value = STATUSES.get(str(form.get("MessageStatus") or ""))
    if not sid or value is None:
        return None
    code = str(form.get("ErrorCode") or "")
    reason = str(form.get("ErrorMessage") or "")
    if value == "failed" and not reason:
        reason = _("The carrier reported the message as %(s)s.") % {"s": form.get("MessageStatus")}
    return StatusReport(external_id=sid, status=value, reason=reason, code=code)
