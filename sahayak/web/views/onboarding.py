"""Getting started: the first-run checklist and its small forms (a team, a colleague, the
chat widget)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from sahayak.accounts.invitations import InvitationError, invite
from sahayak.accounts.models import Role, Team, User

from .. import onboarding
from .common import agent, login_required


def _admin(request: HttpRequest) -> User:
    user = agent(request)
    if not (user.is_superuser or user.role == Role.ADMIN):
        raise PermissionDenied(_("Only administrators set up the desk."))
    return user


@login_required
def checklist(request: HttpRequest) -> HttpResponse:
    _admin(request)
    chat = onboarding.Inbox.objects.filter(channel="chat").order_by("id").first()
    return render(
        request,
        "web/onboarding.html",
        {
            "steps": onboarding.steps(),
            "chat": chat,
            "roles": Role.choices,
            "teams": Team.objects.order_by("name"),
            "colleagues": User.objects.filter(is_active=True).order_by("-id")[:10],
        },
    )


@login_required
@require_POST
def create_team(request: HttpRequest) -> HttpResponse:
    _admin(request)
    name = request.POST.get("name", "").strip()[:120]
    if not name:
        messages.error(request, _("Give the team a name."))
    else:
        try:
            Team.objects.create(name=name)
        except IntegrityError:
            messages.error(request, _("There is a team of that name already."))
        else:
            messages.success(request, _("Team “%(name)s” created.") % {"name": name})
    return redirect("web:onboarding")


@login_required
@require_POST
def invite_colleague(request: HttpRequest) -> HttpResponse:
    user = _admin(request)
    teams = list(Team.objects.filter(pk__in=request.POST.getlist("teams")[:50]))
    try:
        invited = invite(
            email=request.POST.get("email", ""),
            inviter=user,
            role=request.POST.get("role", Role.AGENT),
            teams=teams,
            name=request.POST.get("name", ""),
        )
    except InvitationError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Invitation sent to %(email)s.") % {"email": invited.email})
    return redirect("web:onboarding")


@login_required
@require_POST
def add_chat(request: HttpRequest) -> HttpResponse:
    _admin(request)
    onboarding.chat_inbox()
    return redirect("/settings/start/#chat")


@login_required
@require_POST
def hide(request: HttpRequest) -> HttpResponse:
    user = agent(request)
    user.onboarding_hidden = request.POST.get("hide", "1") == "1"
    user.save(update_fields=["onboarding_hidden"])
    return redirect("/")
