"""Factories for test data."""

from __future__ import annotations

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
