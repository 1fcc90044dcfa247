"""Signatures under email replies, in the customer's language: the agent's own, then the
mailbox's, each the one for that language or else the one for any language."""

from __future__ import annotations

from django.db import transaction

from sahayak.accounts.models import User

from .models import Inbox, Signature

MAX_CHARS = 2000
SEPARATOR = "\n\n"


def _pick(rows: list[Signature], locale: str) -> str:
    by_locale = {row.locale: row.text for row in rows}
    return by_locale.get(locale) or by_locale.get(locale.split("-")[0]) or by_locale.get("", "")


def signature_for(author: User | None, inbox: Inbox | None, locale: str) -> str:
    """The text to put under a reply (may be empty): one query."""
    if author is None and inbox is None:
        return ""
    rows = list(
        Signature.objects.filter(user=author, inbox__isnull=True)
        | Signature.objects.filter(inbox=inbox, user__isnull=True)
    )
    parts = [
        _pick([r for r in rows if r.user_id is not None], locale),
        _pick([r for r in rows if r.inbox_id is not None], locale),
    ]
    return SEPARATOR.join(p.strip() for p in parts if p.strip())


def signed(text: str, signature: str) -> str:
    return f"{text.rstrip()}{SEPARATOR}{signature}" if signature else text


@transaction.atomic
def save(*, user: User | None = None, inbox: Inbox | None = None, texts: dict[str, str]) -> None:
    """Replace the signatures of ``user`` or ``inbox``: language → text ("" removes)."""
    owner = {"user": user, "inbox": None} if user is not None else {"user": None, "inbox": inbox}
    for locale, text in texts.items():
        text = text.strip()[:MAX_CHARS]
        if text:
            Signature.objects.update_or_create(**owner, locale=locale[:16], defaults={"text": text})
        else:
            Signature.objects.filter(**owner, locale=locale[:16]).delete()


def texts_of(*, user: User | None = None, inbox: Inbox | None = None) -> dict[str, str]:
    rows = Signature.objects.filter(user=user, inbox=inbox)
    return {row.locale: row.text for row in rows}
