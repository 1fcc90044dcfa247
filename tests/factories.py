"""Factories for test data."""

from __future__ import annotations

from typing import Any

import factory

from sahayak.accounts.models import Role, Team, User
from sahayak.contacts.models import Contact, Identity, Organization
from sahayak.conversations.models import Conversation, Inbox, Message


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User

    username = factory.Sequence(lambda n: f"agent{n}")
    email = factory.Sequence(lambda n: f"agent{n}@support.example")
    role = Role.AGENT
    password = factory.django.Password("pw-for-tests")


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team

    name = factory.Sequence(lambda n: f"Team {n}")


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization

    name = factory.Sequence(lambda n: f"Org {n}")


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact

    name = factory.Sequence(lambda n: f"Customer {n}")


class IdentityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Identity

    contact = factory.SubFactory(ContactFactory)
    kind = "email"
    address = factory.Sequence(lambda n: f"customer{n}@mail.example")


class InboxFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Inbox

    name = factory.Sequence(lambda n: f"Inbox {n}")
    channel = "api"


class ConversationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Conversation

    subject = factory.Sequence(lambda n: f"Question {n}")
    channel = "api"
    inbox = factory.SubFactory(InboxFactory)
    contact = factory.SubFactory(ContactFactory)


class MessageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Message

    conversation = factory.SubFactory(ConversationFactory)
    direction = "in"
    channel = "api"
    text = factory.Sequence(lambda n: f"Message {n}")


def make_article(
    title: str,
    body: str = "",
    *,
    locale: str = "en",
    status: str = "published",
    visibility: str = "public",
    article: Any = None,
    **fields: Any,
) -> Any:
    """An article (or another translation of ``article``) written through the real service,
    so it is rendered, versioned and indexed as in production. Returns the translation."""
    from sahayak.knowledge.articles import TranslationInput, create_article, save_translation

    data = TranslationInput(locale=locale, title=title, body=body, status=status)
    if article is None:
        article = create_article(author=None, translations=[data], visibility=visibility, **fields)
    else:
        save_translation(article=article, data=data, author=None)
    return article.translations.get(locale=locale)


def make_rule(
    name: str = "Rule",
    *,
    events: list[str] | None = None,
    conditions: Any = None,
    actions: list[dict[str, Any]] | None = None,
    anchor: str = "",
    delay_minutes: int = 0,
    enabled: bool = True,
) -> Any:
    """A rule checked and stored as the workspace and the API store one."""
    from sahayak.automation import rulebook
    from sahayak.automation.models import Rule

    fields = rulebook.clean(
        name=name,
        trigger="time" if anchor else "event",
        events=events or ["customer_message"],
        anchor=anchor,
        delay_minutes=delay_minutes,
        conditions_in=conditions or {},
        actions_in=actions or [{"type": "add_tags", "value": ["ruled"]}],
    )
    return rulebook.save_rule(Rule(), fields, enabled=enabled, user=None)
