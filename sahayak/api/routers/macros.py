"""Macros over the API: manage them and apply one to a conversation."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest
from ninja import Field, Router, Schema, Status
from ninja.errors import HttpError

from sahayak.accounts.models import User
from sahayak.api.auth import current_user
from sahayak.api.routers.conversations import conversation_for
from sahayak.api.schemas import Error
from sahayak.automation import macros
from sahayak.automation.models import Macro

router = Router(tags=["macros"])


class MacroIn(Schema):
    name: str = Field(min_length=1, max_length=200)
    shared: bool = False
    actions: list[dict[str, Any]] = Field(min_length=1, max_length=macros.MAX_ACTIONS)
    fields: list[dict[str, str]] = Field(default_factory=list, max_length=macros.MAX_FIELDS)


class MacroOut(Schema):
    id: int
    name: str
    shared: bool
    actions: list[dict[str, Any]]
    fields: list[dict[str, str]]
    usage_count: int


class ApplyIn(Schema):
    fields: dict[str, str] = Field(default_factory=dict)


class AppliedOut(Schema):
    done: list[str]


def _out(macro: Macro) -> dict[str, Any]:
    return {
        "id": macro.pk,
        "name": macro.name,
        "shared": macro.owner_id is None,
        "actions": macro.actions,
        "fields": macro.fields,
        "usage_count": macro.usage_count,
    }


def _visible(user: User, macro_id: int) -> Macro:
    macro = macros.visible_to(user).filter(pk=macro_id).first()
    if macro is None:
        raise Http404("No such macro.")
    return macro


def _editable(user: User, macro_id: int) -> Macro:
    macro = _visible(user, macro_id)
    if not macros.may_edit(user, macro):
        raise HttpError(403, "Only supervisors and admins change shared macros.")
    return macro


def _save(user: User, macro: Macro, payload: MacroIn) -> Macro:
    if payload.shared and not user.sees_everything:
        raise HttpError(403, "Only supervisors and admins share macros.")
    macro.name = payload.name
    macro.owner = None if payload.shared else user
    try:
        return macros.save_macro(macro, payload.actions, payload.fields)
    except macros.MacroError as exc:
        raise HttpError(422, str(exc)) from exc


@router.get("", response=list[MacroOut])
def list_macros(request: HttpRequest):
    """Shared macros and the caller's own."""
    return [_out(m) for m in macros.visible_to(current_user(request))[:500]]


@router.post("", response={201: MacroOut, 403: Error, 422: Error})
def create_macro(request: HttpRequest, payload: MacroIn):
    return Status(201, _out(_save(current_user(request), Macro(), payload)))


@router.get("/{macro_id}", response={200: MacroOut, 404: Error})
def get_macro(request: HttpRequest, macro_id: int):
    return _out(_visible(current_user(request), macro_id))


@router.put("/{macro_id}", response={200: MacroOut, 403: Error, 404: Error, 422: Error})
def update_macro(request: HttpRequest, macro_id: int, payload: MacroIn):
    user = current_user(request)
    return _out(_save(user, _editable(user, macro_id), payload))


@router.delete("/{macro_id}", response={204: None, 403: Error, 404: Error})
def delete_macro(request: HttpRequest, macro_id: int):
    _editable(current_user(request), macro_id).delete()
    return Status(204, None)


@router.post(
    "/{macro_id}/apply/{conversation_id}", response={200: AppliedOut, 404: Error, 422: Error}
)
def apply_macro(request: HttpRequest, macro_id: int, conversation_id: int, payload: ApplyIn):
    """Run the macro's actions on the conversation as the caller (all or nothing)."""
    user = current_user(request)
    macro = _visible(user, macro_id)
    conversation = conversation_for(user, conversation_id)
    try:
        return {"done": macros.apply(macro, conversation, user, payload.fields)}
    except macros.MacroError as exc:
        raise HttpError(422, str(exc)) from exc
