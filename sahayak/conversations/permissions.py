"""Who may see which conversation. Every object access goes through here."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from sahayak.accounts.models import Team, User

from .models import Conversation


def hidden_team_ids(user: User) -> list[int]:
    """Private teams the user is not a member of."""
    if user.sees_everything:
        return []
    return list(
        Team.objects.filter(is_private=True).exclude(members=user).values_list("id", flat=True)
    )


def visible_conversations(
    user: User, queryset: QuerySet[Conversation] | None = None
) -> QuerySet[Conversation]:
    qs = queryset if queryset is not None else Conversation.objects.all()
    hidden = hidden_team_ids(user)
    if not hidden:
        return qs
    return qs.filter(Q(team_id__isnull=True) | ~Q(team_id__in=hidden) | Q(assignee=user))


def can_view_conversation(user: User, conversation: Conversation) -> bool:
    if conversation.team_id is None or conversation.assignee_id == user.pk:
        return True
    return conversation.team_id not in hidden_team_ids(user)
