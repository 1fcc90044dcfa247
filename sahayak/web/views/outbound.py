"""Starting a conversation with a customer from the workspace or a contact's page."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from sahayak.contacts.models import Contact
from sahayak.contacts.services import resolve_contact
from sahayak.conversations import outbound
from sahayak.conversations.services import ConversationError
from sahayak.ids import parse_id

from .common import agent, login_required
from .conversation import uploaded_files


@login_required
def new_conversation(request: HttpRequest) -> HttpResponse:
    """To a known customer (``contact``) on any channel that reaches them, or to a typed
    email address (the customer is found, or created)."""
    user = agent(request)
    data = request.POST if request.method == "POST" else request.GET
    contact_id = parse_id(data.get("contact"))
    contact = (
        get_object_or_404(Contact, pk=contact_id, merged_into__isnull=True) if contact_id else None
    )
    address = data.get("to", "").strip()[:254]
    error = ""
    if request.method == "POST":
        try:
            if contact is None:
                contact = _by_address(address)
            conversation = outbound.start_conversation(
                author=user,
                contact=contact,
                channel=data.get("channel") or "email",
                subject=data.get("subject", ""),
                text=data.get("text", ""),
                files=uploaded_files(request),
            )
        except ConversationError as exc:
            error = str(exc)
        else:
            messages.success(request, _("Conversation started: the message is on its way."))
            return redirect("web:conversation", conversation.pk)
    return render(
        request,
        "web/new_conversation.html",
        {
            "contact": contact,
            "to": address,
            "start_channels": outbound.start_channels(contact) if contact else ["email"],
            "error": error,
            "values": data,
        },
    )


def _by_address(address: str) -> Contact:
    try:
        validate_email(address)
    except ValidationError:
        raise ConversationError(_("Write the customer's email address.")) from None
    contact, _created = resolve_contact(kind="email", address=address)
    return contact
