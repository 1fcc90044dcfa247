"""Canned replies over the API: search as the reply box does, manage them, and get one
ready for a conversation (in the customer's language, placeholders filled in)."""

from __future__ import annotations

from django.http import Http404, HttpRequest
from ninja import Field, Query, Router, Schema, Status
from ninja.errors import HttpError

from sahayak.accounts.models import User
from sahayak.api.auth import current_user
from sahayak.api.routers.conversations import conversation_for
from sahayak.api.schemas import Error
from sahayak.automation import canned
from sahayak.automation.models import CannedReply

router = Router(tags=["canned replies"])


class TextIn(Schema):
    language: str = Field(min_length=2, max_length=16)
    body: str = Field(min_length=1, max_length=20_000)


class CannedIn(Schema):
    title: str = Field(min_length=1, max_length=200)
    shortcut: str = Field("", max_length=40)
    shared: bool = False
    default_language: str = Field("en", min_length=2, max_length=16)
    texts: list[TextIn] = Field(min_length=1, max_length=50)


class CannedOut(Schema):
    id: int
    title: str
    shortcut: str
    shared: bool
    default_language: str
    usage_count: int
    texts: list[TextIn]


class ForCustomerOut(Schema):
    text: str
    language: str
    customer_language: str
    note: str
    missing: list[str]


def _out(reply: CannedReply) -> dict[str, object]:
    return {
        "id": reply.pk,
        "title": reply.title,
        "shortcut": reply.shortcut,
        "shared": reply.owner_id is None,
        "default_language": reply.default_language,
        "usage_count": reply.usage_count,
        "texts": [{"language": t.language, "body": t.body} for t in reply.texts.all()],
    }


def _visible(user: User, reply_id: int) -> CannedReply:
    reply = canned.visible_to(user).prefetch_related("texts").filter(pk=reply_id).first()
    if reply is None:
        raise Http404("No such canned reply.")
    return reply


def _editable(user: User, reply_id: int) -> CannedReply:
    reply = _visible(user, reply_id)
    if not canned.may_edit(user, reply):
        raise HttpError(403, "Only supervisors and admins change shared replies.")
    return reply


def _save(user: User, reply: CannedReply, payload: CannedIn) -> CannedReply:
    if payload.shared and not user.sees_everything:
        raise HttpError(403, "Only supervisors and admins share replies.")
    reply.title = payload.title
    reply.shortcut = payload.shortcut.strip().lstrip("/")
    reply.owner = None if payload.shared else user
    reply.default_language = payload.default_language
    try:
        canned.save_reply(reply, [(t.language, t.body) for t in payload.texts])
    except canned.CannedReplyError as exc:
        raise HttpError(422, str(exc)) from exc
    return _visible(user, reply.pk)


@router.get("", response=list[CannedOut])
def search_canned(
    request: HttpRequest,
    q: str = Query("", max_length=100),
    limit: int = Query(20, ge=1, le=100),
):
    """Shared replies and the caller's own whose shortcut or title contains ``q``."""
    return [_out(r) for r in canned.search(current_user(request), q, limit)]


@router.post("", response={201: CannedOut, 403: Error, 422: Error})
def create_canned(request: HttpRequest, payload: CannedIn):
    user = current_user(request)
    return Status(201, _out(_save(user, CannedReply(), payload)))


@router.get("/{reply_id}", response={200: CannedOut, 404: Error})
def get_canned(request: HttpRequest, reply_id: int):
    return _out(_visible(current_user(request), reply_id))


@router.put("/{reply_id}", response={200: CannedOut, 403: Error, 404: Error, 422: Error})
def update_canned(request: HttpRequest, reply_id: int, payload: CannedIn):
    user = current_user(request)
    return _out(_save(user, _editable(user, reply_id), payload))


@router.delete("/{reply_id}", response={204: None, 403: Error, 404: Error})
def delete_canned(request: HttpRequest, reply_id: int):
    _editable(current_user(request), reply_id).delete()
    return Status(204, None)


@router.get("/{reply_id}/for/{conversation_id}", response={200: ForCustomerOut, 404: Error})
def canned_for_conversation(
    request: HttpRequest,
    reply_id: int,
    conversation_id: int,
    use: bool = False,
):
    """The reply ready for this conversation: in the customer's language (else the
    default one, with a note saying so), placeholders filled in, and which had no value.
    ``use=true`` counts it as used."""
    user = current_user(request)
    reply = _visible(user, reply_id)
    conversation = conversation_for(user, conversation_id)
    ready = canned.for_customer(reply, conversation, user)
    if use:
        canned.count_use(reply)
    return {
        "text": ready.text,
        "language": ready.language,
        "customer_language": ready.wanted,
        "note": ready.note,
        "missing": list(ready.missing),
    }
