"""Chat sessions and undone contact merges.

Signing in through the site (``services.identify``) merges the anonymous visitor into the
business's user. If that merge is undone, a session whose visitor is still signed in as that
user stays with the user: its chat identity is kept by the user's contact (so the next
message is filed there), and every session follows the contact holding its chat identity.
"""

from __future__ import annotations

from typing import Any

from sahayak.contacts.models import Contact, Identity

from .models import ChatSession


def keep_verified_visitors(source: Contact, target: Contact, identity_ids: set[int]) -> set[int]:
    """Chat identities (among ``identity_ids``) of sessions signed in as ``target``'s user."""
    users = set(
        Identity.objects.filter(contact=target, kind="external").values_list("address", flat=True)
    )
    if not users:
        return set()
    verified = ChatSession.objects.filter(
        contact_id__in=(source.pk, target.pk), verified_user_id__in=users
    ).values_list("public_id", flat=True)
    return set(
        Identity.objects.filter(
            pk__in=identity_ids, kind="chat", address__in=list(verified)
        ).values_list("pk", flat=True)
    )


def follow_chat_identities(source: Contact, target: Contact, **_: Any) -> None:
    """Each session of the two contacts goes with its chat identity."""
    holders = dict(
        Identity.objects.filter(contact_id__in=(source.pk, target.pk), kind="chat").values_list(
            "address", "contact_id"
        )
    )
    moves: dict[int, list[int]] = {}
    sessions = ChatSession.objects.filter(contact_id__in=(source.pk, target.pk))
    for pk, public_id, contact_id in sessions.values_list("pk", "public_id", "contact_id"):
        holder = holders.get(public_id)
        if holder is not None and holder != contact_id:
            moves.setdefault(holder, []).append(pk)
    for holder, ids in moves.items():
        ChatSession.objects.filter(pk__in=ids).update(contact_id=holder)
