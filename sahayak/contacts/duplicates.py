"""Contacts that may be the same person: suggested to agents, never merged automatically.

Signals, each cheap and explainable:
- a phone number written in the customer's messages (an email signature) that is another
  contact's phone or WhatsApp identity;
- an order reference mentioned in the customer's messages that belongs to another contact;
- the same full name at the same organization.
An agent merges with one click (an ordinary, undoable merge) or says "not the same person".
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import phonenumbers
from django.conf import settings
from django.db.models import Q
from django.utils.translation import gettext as _

from .models import Contact, NotDuplicate, Order

RECENT_MESSAGES = 20
MAX_SUGGESTIONS = 5
_REFERENCE = re.compile(r"#?([A-Za-z0-9][A-Za-z0-9\-_/]{2,40})")
PHONE_KINDS = ("phone", "whatsapp")


@dataclass
class Suggestion:
    contact: Contact
    reasons: list[str] = field(default_factory=list)


def suggestions_for(contact: Contact) -> list[Suggestion]:
    texts = _recent_texts(contact)
    found: dict[int, Suggestion] = {}

    def add(others: list[Contact], reason: str) -> None:
        for other in others:
            if other.pk != contact.pk and other.merged_into_id is None:
                found.setdefault(other.pk, Suggestion(other)).reasons.append(reason)

    add(_by_phone_in(texts, contact), _("a phone number in their messages is this contact's"))
    add(_by_order_in(texts, contact), _("an order they mention belongs to this contact"))
    add(_by_name_and_organization(contact), _("same name and organization"))
    dismissed = _dismissed(contact)
    ranked = sorted(
        (s for pk, s in found.items() if pk not in dismissed),
        key=lambda s: (-len(s.reasons), s.contact.pk),
    )
    return ranked[:MAX_SUGGESTIONS]


def dismiss(first: Contact, second: Contact) -> None:
    low, high = sorted((first.pk, second.pk))
    NotDuplicate.objects.get_or_create(first_id=low, second_id=high)


def _dismissed(contact: Contact) -> set[int]:
    pairs = NotDuplicate.objects.filter(Q(first=contact) | Q(second=contact)).values_list(
        "first_id", "second_id"
    )
    return {a if b == contact.pk else b for a, b in pairs}


def _recent_texts(contact: Contact) -> list[str]:
    from sahayak.conversations.models import Direction, Message

    return list(
        Message.objects.filter(author_contact=contact, direction=Direction.INBOUND)
        .order_by("-id")
        .values_list("text", flat=True)[:RECENT_MESSAGES]
    )


def _phones_in(texts: list[str]) -> set[str]:
    region = settings.SAHAYAK_PHONE_REGION or None
    found = set()
    for text in texts:
        for match in phonenumbers.PhoneNumberMatcher(text[:20000], region):
            found.add(phonenumbers.format_number(match.number, phonenumbers.PhoneNumberFormat.E164))
    return found


def _by_phone_in(texts: list[str], contact: Contact) -> list[Contact]:
    phones = _phones_in(texts)
    if not phones:
        return []
    return list(
        Contact.objects.filter(
            identities__kind__in=PHONE_KINDS, identities__address__in=phones
        ).exclude(pk=contact.pk)
    )


def _by_order_in(texts: list[str], contact: Contact) -> list[Contact]:
    words = {
        m.group(1)
        for text in texts
        for m in _REFERENCE.finditer(text[:20000])
        if any(ch.isdigit() for ch in m.group(1))
    }
    if not words:
        return []
    refs = list(words | {w.upper() for w in words})[:500]
    owners = Order.objects.filter(external_ref__in=refs).exclude(contact=contact)
    return list(Contact.objects.filter(pk__in=owners.values("contact_id")))


def _by_name_and_organization(contact: Contact) -> list[Contact]:
    name = " ".join(contact.name.split())
    if not contact.organization_id or len(name.split()) < 2:
        return []
    return list(
        Contact.objects.filter(organization_id=contact.organization_id, name__iexact=name)
        .exclude(pk=contact.pk)
        .filter(merged_into__isnull=True)
    )
