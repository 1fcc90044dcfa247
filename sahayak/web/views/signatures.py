"""Signatures: each agent's own, per language; administrators also set each mailbox's."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from sahayak.accounts.models import Role
from sahayak.conversations import signatures
from sahayak.conversations.models import Inbox
from sahayak.ids import parse_id

from .common import agent, login_required


def _languages() -> list[tuple[str, str]]:
    return [("", _("Any language")), *((code, str(name)) for code, name in settings.LANGUAGES)]


def _posted(request: HttpRequest) -> dict[str, str]:
    return {code: request.POST.get(f"text-{code or 'any'}", "") for code, _n in _languages()}


@login_required
def signature_page(request: HttpRequest) -> HttpResponse:
    user = agent(request)
    is_admin = user.is_superuser or user.role == Role.ADMIN
    if request.method == "POST":
        inbox_id = parse_id(request.POST.get("inbox"))
        if inbox_id is None:
            signatures.save(user=user, texts=_posted(request))
        else:
            if not is_admin:
                raise PermissionDenied(_("Only administrators set a mailbox's signature."))
            inbox = get_object_or_404(Inbox, pk=inbox_id, channel="email")
            signatures.save(inbox=inbox, texts=_posted(request))
        messages.success(request, _("Signatures saved."))
        return redirect("web:signatures")
    mailboxes = (
        [
            (inbox, signatures.texts_of(inbox=inbox))
            for inbox in Inbox.objects.filter(channel="email").order_by("name")
        ]
        if is_admin
        else []
    )
    return render(
        request,
        "web/signatures.html",
        {
            "languages": _languages(),
            "mine": signatures.texts_of(user=user),
            "mailboxes": mailboxes,
        },
    )
