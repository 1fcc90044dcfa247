"""The public web form: a thin view over the inbound pipeline."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from sahayak.clientip import client_address
from sahayak.conversations.inbound import InboundAttachment, InboundMessage, InboundRejected
from sahayak.conversations.models import Inbox
from sahayak.conversations.pipeline import receive
from sahayak.knowledge import help_center, selfservice
from sahayak.ratelimit import exceeded

from .forms import ContactForm


def _inbox(public_key: str) -> Inbox:
    inbox = Inbox.objects.filter(public_key=public_key, channel="webform", is_active=True).first()
    if inbox is None:
        raise Http404(_("No such form."))
    return inbox


def _rate_limited(request: HttpRequest, inbox: Inbox) -> bool:
    """At most SAHAYAK_WEBFORM_RATE submissions per client address per minute."""
    ip = client_address(request) or "unknown"
    return exceeded(f"webform-rate:{inbox.pk}:{ip}", settings.SAHAYAK_WEBFORM_RATE, 60)


@require_http_methods(["GET", "POST"])
def contact_form(request: HttpRequest, public_key: str) -> HttpResponse:
    inbox = _inbox(public_key)
    if request.method == "GET":
        form = ContactForm(initial={"submission": secrets.token_urlsafe(24)})
        return render(
            request,
            "webform/form.html",
            _page(form, inbox),
        )
    if _rate_limited(request, inbox):
        error = _("Too many messages from your address. Please wait a minute and try again.")
        return render(
            request,
            "webform/form.html",
            {"form": ContactForm(), "inbox": inbox, "error": error},
            status=429,
        )
    form = ContactForm(request.POST, request.FILES)
    if not form.is_valid():
        return render(request, "webform/form.html", _page(form, inbox), status=400)
    try:
        result = receive(_to_inbound(form, inbox))
    except InboundRejected as exc:
        form.add_error(None, str(exc))
        return render(request, "webform/form.html", _page(form, inbox), status=400)
    selfservice.submitted(
        session=form.cleaned_data["submission"], conversation_id=result.conversation.pk
    )
    return render(
        request,
        "webform/thanks.html",
        {"inbox": inbox, "number": result.conversation.number},
    )


def _page(form: ContactForm, inbox: Inbox) -> dict[str, object]:
    return {"form": form, "inbox": inbox, "suggest_url": _suggest_url(inbox)}


def _suggest_url(inbox: Inbox) -> str:
    """Where the page asks for articles matching the subject ("" when the inbox opts out)."""
    if not inbox.config.get("suggest_articles", True):
        return ""
    language = (get_language() or "").split("-")[0]
    locale = language if help_center.is_locale(language) else help_center.default_locale()
    return reverse("help:suggest", args=[locale])


def _to_inbound(form: ContactForm, inbox: Inbox) -> InboundMessage:
    data = form.cleaned_data
    attachments = []
    upload = data.get("attachment")
    if upload:
        attachments.append(
            InboundAttachment(
                filename=upload.name,
                content_type=upload.content_type or "application/octet-stream",
                content=upload.read(),
            )
        )
    return InboundMessage(
        channel="webform",
        inbox=inbox,
        sender_kind="email",
        sender_address=data["email"],
        sender_name=data["name"],
        subject=data["subject"],
        text=data["message"],
        external_id=f"form:{data['submission']}",
        locale=(get_language() or "")[:2] if inbox.config.get("trust_page_language") else "",
        attachments=attachments,
    )
