"""The signed-in customer of the portal (kept apart from agents' logins)."""

from __future__ import annotations

from django.http import HttpRequest

from sahayak.contacts.models import Contact
from sahayak.knowledge import help_center

SESSION_KEY = "portal_contact_id"
EMAIL_KEY = "portal_email"  # the address the customer proved, which their messages come from
_CACHE = "_portal_contact"


def current_contact(request: HttpRequest) -> Contact | None:
    """The signed-in customer (looked up once per request), followed through merges."""
    if hasattr(request, _CACHE):
        return getattr(request, _CACHE)  # type: ignore[no-any-return]
    contact_id = request.session.get(SESSION_KEY) if hasattr(request, "session") else None
    contact = Contact.objects.filter(pk=contact_id).first() if contact_id else None
    while contact is not None and contact.merged_into_id:
        contact = contact.merged_into
    setattr(request, _CACHE, contact)
    return contact


def signed_in_email(request: HttpRequest) -> str:
    return str(request.session.get(EMAIL_KEY, "")) if current_contact(request) else ""


def reader_locale(request: HttpRequest) -> str:
    """The language to show: the signed-in customer's, else the browser's, else the default."""
    contact = current_contact(request)
    return help_center.choose_locale(request, contact.locale if contact else "")


def sign_in(request: HttpRequest, contact: Contact, email: str) -> None:
    request.session.cycle_key()
    request.session[SESSION_KEY] = contact.pk
    request.session[EMAIL_KEY] = email
    setattr(request, _CACHE, contact)


def sign_out(request: HttpRequest) -> None:
    request.session.pop(SESSION_KEY, None)
    request.session.pop(EMAIL_KEY, None)
    setattr(request, _CACHE, None)
