"""/api/v1/channels: the messaging channels' inboxes, as on the Channels page
(supervisors and admins; secrets are write-only, shown as whether they are set)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Router, Schema, Status
from ninja.errors import HttpError

from sahayak.api.auth import require_manager
from sahayak.api.schemas import Error

from .models import ChannelHealth
from .setup import (
    SetupProblem,
    check_connection,
    messaging_inboxes,
    save_channel,
    shown_config,
    webhook_url,
)

router = Router(tags=["channels"])


class HealthOut(Schema):
    last_inbound_at: datetime | None = None
    last_sent_at: datetime | None = None
    last_error: str = ""
    last_error_at: datetime | None = None
    last_check_at: datetime | None = None
    last_check_ok: bool | None = None


class ChannelOut(Schema):
    id: int
    kind: str
    name: str
    team_id: int | None
    is_active: bool
    # Settings by name; a secret shows only whether it is set (true/false).
    config: dict[str, Any]
    webhook_url: str
    health: HealthOut


class ChannelIn(Schema):
    kind: str
    name: str
    team_id: int | None = None
    is_active: bool = True
    # Settings by name; a secret left out or empty keeps the stored one.
    config: dict[str, Any] = {}


class CheckOut(Schema):
    ok: bool
    detail: str


def _out(inbox: Any, request: HttpRequest) -> dict[str, Any]:
    health, _created = ChannelHealth.objects.get_or_create(inbox=inbox)
    base = settings.SAHAYAK_PUBLIC_URL or request.build_absolute_uri("/")
    return {
        "id": inbox.pk,
        "kind": inbox.channel,
        "name": inbox.name,
        "team_id": inbox.team_id,
        "is_active": inbox.is_active,
        "config": shown_config(inbox),
        "webhook_url": webhook_url(inbox, base),
        "health": health,
    }


@router.get("", response={200: list[ChannelOut], 403: Error})
def list_channels(request: HttpRequest):
    require_manager(request)
    return [_out(inbox, request) for inbox in messaging_inboxes().order_by("id")]


@router.get("/{inbox_id}", response={200: ChannelOut, 403: Error, 404: Error})
def get_channel(request: HttpRequest, inbox_id: int):
    require_manager(request)
    return _out(get_object_or_404(messaging_inboxes(), pk=inbox_id), request)


@router.post("", response={201: ChannelOut, 403: Error, 422: Error})
def create_channel(request: HttpRequest, payload: ChannelIn):
    actor = require_manager(request)
    try:
        inbox = save_channel(
            kind=payload.kind,
            name=payload.name,
            values=payload.config,
            team_id=payload.team_id,
            is_active=payload.is_active,
            actor=actor,
        )
    except SetupProblem as exc:
        raise HttpError(422, str(exc)) from exc
    return Status(201, _out(inbox, request))


@router.put("/{inbox_id}", response={200: ChannelOut, 403: Error, 404: Error, 422: Error})
def update_channel(request: HttpRequest, inbox_id: int, payload: ChannelIn):
    actor = require_manager(request)
    inbox = get_object_or_404(messaging_inboxes(), pk=inbox_id)
    try:
        inbox = save_channel(
            kind=payload.kind,
            name=payload.name,
            values=payload.config,
            team_id=payload.team_id,
            is_active=payload.is_active,
            inbox=inbox,
            actor=actor,
        )
    except SetupProblem as exc:
        raise HttpError(422, str(exc)) from exc
    return _out(inbox, request)


@router.post("/{inbox_id}/test", response={200: CheckOut, 403: Error, 404: Error})
def test_channel(request: HttpRequest, inbox_id: int):
    """Calls the provider with the stored settings (Test connection)."""
    require_manager(request)
    inbox = get_object_or_404(messaging_inboxes(), pk=inbox_id)
    try:
        return {"ok": True, "detail": check_connection(inbox)}
    except SetupProblem as exc:
        return {"ok": False, "detail": str(exc)}
