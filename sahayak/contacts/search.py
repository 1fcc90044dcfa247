"""Finding a customer the way an agent types them: a name in any script, an email, a phone
number in any spelling (with or without the country code, spaces, dashes), a contact id."""

from __future__ import annotations

import contextlib
import re

from django.conf import settings
from django.db.models import Q, QuerySet

from sahayak.ids import parse_id

from .identities import normalize_address, normalize_phone
from .models import Contact, Identity

# Where a number written without its country code is tried, after SAHAYAK_PHONE_REGION:
# the regions of the languages Sahayak ships with.
PHONE_REGIONS = ("IN", "BD", "GR", "FR", "GB", "US")
_PHONE_LIKE = re.compile(r"^\+?[\d\s().\-/]{6,24}$")


def phone_spellings(text: str) -> set[str]:
    """The E.164 forms ``text`` may stand for (several when it has no country code)."""
    if not _PHONE_LIKE.match(text.strip()):
        return set()
    found = set()
    regions = dict.fromkeys([settings.SAHAYAK_PHONE_REGION or "", *PHONE_REGIONS])
    for region in regions:
        try:
            found.add(normalize_phone(text, region or None))
        except ValueError:
            continue
        if text.strip().startswith(("+", "00")):
            break  # the number says its country: one spelling
    return found


def search_contacts(q: str) -> QuerySet[Contact]:
    """Name prefix or a word of the name (any script, case-folded where the database can),
    an exact identity (email, phone in any spelling, handle) or the contact's id."""
    qs = Contact.objects.filter(merged_into__isnull=True)
    q = q.strip()
    if not q:
        return qs
    addresses = {q.casefold(), *phone_spellings(q)}
    with contextlib.suppress(ValueError):
        addresses.add(normalize_address("email", q))
    by_identity = Identity.objects.filter(address__in=addresses).values("contact_id")
    match = Q(name__istartswith=q) | Q(name__icontains=f" {q}") | Q(pk__in=by_identity)
    number = parse_id(q)
    if number is not None:
        match |= Q(pk=number)
    return qs.filter(match)
