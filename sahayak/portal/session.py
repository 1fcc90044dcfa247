"""The signed-in customer of the portal (kept apart from agents' logins)."""

from __future__ import annotations

from django.http import HttpRequest

from sahayak.contacts.models import Contact

SESSION_KEY = "portal_contact_id"


def current_contact(request: HttpRequest) -> Contact | None:
    contact_id = request.session.get(SESSION_KEY) if hasattr(request, "session") else None
    if not contact_id:
        return None
    contact = Contact.objects.filter(pk=contact_id).first()
    while contact is not None and contact.merged_into_id:
        contact = contact.merged_into
    return contact


def sign_in(request: HttpRequest, contact: Contact) -> None:
    request.session.cycle_key()
    request.session[SESSION_KEY] = contact.pk


def sign_out(request: HttpRequest) -> None:
    request.session.pop(SESSION_KEY, None)
