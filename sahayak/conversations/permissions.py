"""Who may see which conversation. Every object access goes through here."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Q, QuerySet

from sahayak.accounts.models import Team, User

from .models import Conversation

# Set on the user object of one web request (``remember_for_request``): its hidden teams
# are read once per request. A long-lived object (a websocket's) always reads them afresh.
_MEMO = "_hidden_team_ids"


def remember_for_request(user: User) -> None:
    setattr(user, _MEMO, None)


def hidden_team_ids(user: User) -> list[int]:
    """Private teams the user is not a member of."""
    if user.sees_everything:
        return []
    scoped = hasattr(user, _MEMO)
    memo: tuple[int, ...] | None = getattr(user, _MEMO, None)
    if memo is not None:
        return list(memo)
    found = list(
        Team.objects.filter(is_private=True).exclude(members=user).values_list("id", flat=True)
    )
    if scoped:
        setattr(user, _MEMO, tuple(found))
    return found


def visible_conversations(
    user: User, queryset: QuerySet[Conversation] | None = None
) -> QuerySet[Conversation]:
    qs = queryset if queryset is not None else Conversation.objects.all()
    hidden = hidden_team_ids(user)
    if not hidden:
        return qs
    return qs.filter(Q(team_id__isnull=True) | ~Q(team_id__in=hidden) | Q(assignee=user))


def may_change_contacts(user: User, contact_ids: Iterable[int]) -> bool:
    """Whether ``user`` may change who these customers are (identities, merges): only if
    they may see every conversation of theirs. Otherwise an added address would open the
    customer portal to someone on conversations of a private team the agent cannot read."""
    hidden = hidden_team_ids(user)
    if not hidden:
        return True
    private = Conversation.objects.filter(contact_id__in=list(contact_ids), team_id__in=hidden)
    return not private.exclude(assignee=user).exists()


def can_view_conversation(user: User, conversation: Conversation) -> bool:
    if conversation.team_id is None or conversation.assignee_id == user.pk:
        return True
    return conversation.team_id not in hidden_team_ids(user)
