"""The workspace's Channels page (supervisors and admins): one form per messaging
channel kind, write-only secrets, Test connection, the webhook address to paste at the
provider and each inbox's health line."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from sahayak.conversations import channels
from sahayak.conversations.models import Inbox
from sahayak.conversations.services import ConversationError
from sahayak.web.views.common import (
    agent,
    conversation_for,
    htmx_done,
    htmx_failed,
    login_required,
)

from .forms import ChannelForm
from .models import ChannelHealth
from .setup import (
    SetupProblem,
    TemplateProblem,
    check_connection,
    get_setup,
    messaging_inboxes,
    save_channel,
    setups,
    webhook_url,
)


def _manager(request: HttpRequest) -> None:
    if not agent(request).sees_everything:
        raise PermissionDenied(_("Only supervisors and admins set up channels."))


def _site(request: HttpRequest) -> str:
    from django.conf import settings

    return settings.SAHAYAK_PUBLIC_URL or request.build_absolute_uri("/")


@login_required
def channel_list(request: HttpRequest) -> HttpResponse:
    _manager(request)
    inboxes = list(messaging_inboxes().order_by("channel", "name"))
    for inbox in inboxes:
        ChannelHealth.objects.get_or_create(inbox=inbox)
    kinds = [
        {
            "kind": setup.kind,
            "label": channels.label(setup.kind),
            "icon": channels.icon(setup.kind),
            "inboxes": [
                {"inbox": inbox, "webhook": webhook_url(inbox, _site(request))}
                for inbox in inboxes
                if inbox.channel == setup.kind
            ],
        }
        for setup in setups()
    ]
    return render(request, "messaging/channels.html", {"kinds": kinds})


@login_required
def channel_edit(request: HttpRequest, kind: str, inbox_id: int | None = None) -> HttpResponse:
    _manager(request)
    try:
        setup = get_setup(kind)
    except SetupProblem as exc:
        raise Http404(str(exc)) from exc
    inbox = get_object_or_404(Inbox, pk=inbox_id, channel=kind) if inbox_id else None
    secrets_set = {f.name for f in setup.fields if f.secret and inbox and inbox.config.get(f.name)}
    initial: dict[str, Any] = {"is_active": True}
    if inbox:
        initial = {"name": inbox.name, "team": inbox.team_id, "is_active": inbox.is_active}
        initial.update(
            {f.name: inbox.config.get(f.name, f.default) for f in setup.fields if not f.secret}
        )
    else:
        initial.update({f.name: f.default for f in setup.fields if not f.secret and f.default})
    form = ChannelForm(setup, request.POST or None, initial=initial, secrets_set=secrets_set)
    if request.method == "POST" and form.is_valid():
        try:
            team = form.cleaned_data["team"]
            saved = save_channel(
                kind=kind,
                name=form.cleaned_data["name"],
                values=form.values(),
                team_id=team.pk if team else None,
                is_active=form.cleaned_data["is_active"],
                inbox=inbox,
                actor=request.user,  # type: ignore[arg-type]
            )
        except SetupProblem as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Channel %(name)s saved.") % {"name": saved.name})
            return redirect("messaging:channels")
    context = {
        "form": form,
        "inbox": inbox,
        "setup": setup,
        "label": channels.label(kind),
        "webhook": webhook_url(inbox, _site(request)) if inbox else "",
    }
    status = 422 if request.method == "POST" else 200
    return render(request, "messaging/channel_form.html", context, status=status)


@login_required
@require_POST
def channel_check(request: HttpRequest, inbox_id: int) -> HttpResponse:
    """Test connection: calls the provider with the stored settings."""
    _manager(request)
    inbox = get_object_or_404(messaging_inboxes(), pk=inbox_id)
    try:
        found = check_connection(inbox)
    except SetupProblem as exc:
        messages.error(request, _("%(name)s: %(problem)s") % {"name": inbox.name, "problem": exc})
    else:
        setup = get_setup(inbox.channel)
        if setup.after_save:
            import_string(setup.after_save)(inbox)
        messages.success(
            request,
            _("%(name)s: connected (%(found)s).") % {"name": inbox.name, "found": found or "ok"},
        )
    return redirect("messaging:channels")


def _templates_of(kind: str) -> Any:
    try:
        setup = get_setup(kind)
    except SetupProblem:
        return None
    return import_string(setup.templates) if setup.templates else None


@login_required
def template_picker(request: HttpRequest, conversation_id: int) -> HttpResponse:
    """The reply box's templates (once the reply window has closed), in the customer's
    language, each with the variables to fill in."""
    conversation = conversation_for(request, conversation_id)
    module = _templates_of(conversation.channel)
    offers = module.offered(conversation) if module else []
    return render(request, "messaging/template_picker.html", {"c": conversation, "offers": offers})


@login_required
@require_POST
def send_template(request: HttpRequest, conversation_id: int) -> HttpResponse:
    conversation = conversation_for(request, conversation_id)
    module = _templates_of(conversation.channel)
    if module is None:
        return htmx_failed(request, conversation, _("This channel has no templates."))
    values = {k: v for k, v in request.POST.items() if k not in ("csrfmiddlewaretoken", "name")}
    try:
        module.send(
            conversation=conversation,
            author=agent(request),
            name=request.POST.get("name", ""),
            values=values,
        )
    except (TemplateProblem, ConversationError) as exc:
        return htmx_failed(request, conversation, str(exc))
    return htmx_done(request, conversation, "sahayak:timeline")
