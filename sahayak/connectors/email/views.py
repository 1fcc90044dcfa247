"""Workspace pages for mailbox settings (supervisors and admins): addresses, team, threading, IMAP and SMTP."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from sahayak.conversations.models import Inbox
from sahayak.web.views.common import agent, login_required

from . import outbox
from .forms import MailboxForm
from .mailboxes import CHANNEL, MailboxError, MailboxSettings, save_mailbox, settings_of


def _manager(request: HttpRequest) -> None:
    if not agent(request).sees_everything:
        raise PermissionDenied(_("Only supervisors and admins manage mailboxes."))


@login_required
def mailbox_list(request: HttpRequest) -> HttpResponse:
    _manager(request)
    inboxes = Inbox.objects.filter(channel=CHANNEL).select_related("team").order_by("name")
    rows = [(inbox, settings_of(inbox)) for inbox in inboxes]
    return render(request, "email/mailboxes.html", {"rows": rows})


@login_required
def mailbox_edit(request: HttpRequest, inbox_id: int | None = None) -> HttpResponse:
    _manager(request)
    inbox = get_object_or_404(Inbox, pk=inbox_id, channel=CHANNEL) if inbox_id else None
    defaults = settings_of(inbox) if inbox else MailboxSettings(name="", address="")
    form = MailboxForm(request.POST or None, initial=MailboxForm.initial_from(defaults))
    if request.method == "POST" and form.is_valid():
        try:
            saved = save_mailbox(form.to_settings(), inbox, actor=request.user)
        except MailboxError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Mailbox %(name)s saved.") % {"name": saved.name})
            return redirect("email:mailboxes")
    status = 422 if request.method == "POST" else 200
    return render(request, "email/mailbox_form.html", {"form": form, "inbox": inbox}, status=status)


@login_required
def sent_mail(request: HttpRequest) -> HttpResponse:
    """What would have been sent, while no relay is configured (the newest first)."""
    _manager(request)
    return render(
        request,
        "email/sent_mail.html",
        {"mails": outbox.recent(), "relay": bool(settings.SAHAYAK_SMTP_URL)},
    )


@login_required
def sent_mail_message(request: HttpRequest, key: str) -> HttpResponse:
    _manager(request)
    mail = outbox.read(key)
    if mail is None:
        raise Http404(_("No such message in the outbox."))
    return render(request, "email/sent_mail_message.html", {"mail": mail})
