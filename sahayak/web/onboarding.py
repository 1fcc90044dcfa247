"""The first-run checklist of a new install: what a support desk needs before its first
customer, each step done when the thing it asks for exists (not when it was clicked)."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.cache import cache
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sahayak.accounts.models import Role, Team, User
from sahayak.conversations.models import Direction, Inbox, Message
from sahayak.knowledge.models import ArticleStatus, ArticleTranslation

DONE_KEY = "sahayak:setup-done"


@dataclass
class Step:
    key: str
    title: str
    done: bool


TITLES = {
    "team": gettext_lazy("Create your team"),
    "mailbox": gettext_lazy("Connect a mailbox, and send it a test email"),
    "chat": gettext_lazy("Add the chat widget to your website"),
    "invite": gettext_lazy("Invite your colleagues"),
    "article": gettext_lazy("Publish a first help center article"),
}


def steps() -> list[Step]:
    done = {
        "team": Team.objects.exists(),
        "mailbox": Message.objects.filter(channel="email", direction=Direction.INBOUND).exists(),
        "chat": Message.objects.filter(channel="chat", direction=Direction.INBOUND).exists(),
        "invite": User.objects.filter(is_active=True).count() > 1,
        "article": ArticleTranslation.objects.filter(status=ArticleStatus.PUBLISHED).exists(),
    }
    return [Step(key, str(title), done[key]) for key, title in TITLES.items()]


def shown_to(user: User) -> list[Step] | None:
    """The checklist for the inbox page: administrators see it until every step is done or
    they hide it (None: not shown)."""
    if not (user.is_superuser or user.role == Role.ADMIN) or user.onboarding_hidden:
        return None
    if cache.get(DONE_KEY):
        return None
    found = steps()
    if all(s.done for s in found):
        cache.set(DONE_KEY, True, 3600)  # a desk set up stays set up: not asked every page
        return None
    return found


def chat_inbox() -> Inbox:
    """The first chat inbox, created (named after the site) if there is none."""
    with transaction.atomic():
        found = Inbox.objects.filter(channel="chat").order_by("id").first()
        return found or Inbox.objects.create(name=_("Website chat"), channel="chat")
