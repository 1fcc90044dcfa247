"""Small helpers shared by the workspace views."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest
from django.shortcuts import get_object_or_404

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
