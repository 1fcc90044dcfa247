"""Shared or personal: canned replies and macros are either shared with every agent (no
owner; supervisors and admins change them) or an agent's own (only they see them)."""

from __future__ import annotations

from typing import Protocol, TypeVar

from django.db.models import Model, Q, QuerySet

from sahayak.accounts.models import User


class Owned(Protocol):
    owner_id: int | None


M = TypeVar("M", bound=Model)


def visible_to(queryset: QuerySet[M], user: User) -> QuerySet[M]:
    """The shared ones and the user's own."""
    return queryset.filter(Q(owner__isnull=True) | Q(owner=user))


def may_edit(user: User, item: Owned) -> bool:
    """Agents edit their own; supervisors and admins also the shared ones."""
    return item.owner_id == user.pk or (item.owner_id is None and user.sees_everything)
