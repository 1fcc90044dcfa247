"""Small helpers shared by the workspace views."""

from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect

from sahayak.accounts.models import User
from sahayak.conversations.models import Conversation
from sahayak.conversations.permissions import visible_conversations

__all__ = ["agent", "conversation_for", "is_htmx", "login_required"]


def agent(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def conversation_for(request: HttpRequest, conversation_id: int) -> Conversation:
    """The conversation if this agent may see it; 404 otherwise (its existence is not leaked)."""
    qs = visible_conversations(agent(request)).select_related(
        "contact", "assignee", "team", "inbox"
    )
    return get_object_or_404(qs, pk=conversation_id)


def active_agents() -> list[User]:
    return list(User.objects.filter(is_active=True).order_by("first_name", "username"))


def htmx_done(request: HttpRequest, conversation: Conversation, *events: str) -> HttpResponse:
    """htmx: no content, and ``events`` for the page to refresh what changed; else back to
    the conversation."""
    if is_htmx(request):
        response = HttpResponse(status=204)
        if events:
            response["HX-Trigger"] = json.dumps(dict.fromkeys(events, conversation.pk))
        return response
    return redirect("web:conversation", conversation.pk)


def htmx_failed(request: HttpRequest, conversation: Conversation, reason: str) -> HttpResponse:
    """htmx: the reason as text (the page shows it by the reply box); else as a message."""
    if is_htmx(request):
        return HttpResponse(reason, status=422, content_type="text/plain; charset=utf-8")
    messages.error(request, reason)
    return redirect("web:conversation", conversation.pk)
