"""Sign-in is Django's; here: the agent's profile (language, time zone) and notifications."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_POST

from sahayak.conversations.permissions import hidden_team_ids
from sahayak.notifications import services as notifications
from sahayak.notifications.models import Notification
from sahayak.pagination import BadCursor, keyset_page

from .. import time_zones
from ..forms import ProfileForm
from .common import agent, login_required

PAGE = 50


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    user = agent(request)
    form = ProfileForm(request.POST or None, instance=user)
    if request.method == "POST" and form.is_valid():
        form.save()
        translation.activate(user.locale)
        messages.success(request, _("Your profile was saved."))
        return redirect("web:profile")
    return render(request, "web/profile.html", {"form": form})


@login_required
def notification_list(request: HttpRequest) -> HttpResponse:
    try:
        rows, next_cursor = keyset_page(
            Notification.objects.filter(recipient=agent(request)).select_related(
                "actor", "conversation"
            ),
            keys=["-id"],
            cursor=request.GET.get("cursor"),
            limit=PAGE,
        )
    except BadCursor:
        return redirect("web:notifications")
    # A conversation may have moved to a private team since: its subject is not shown.
    user = agent(request)
    hidden = hidden_team_ids(user)
    for row in rows:
        conversation = row.conversation
        row.visible = (
            conversation.team_id not in hidden
            or conversation.team_id is None
            or conversation.assignee_id == user.pk
        )
    return render(request, "web/notifications.html", {"rows": rows, "next_cursor": next_cursor})


@login_required
@require_POST
def notifications_read(request: HttpRequest) -> HttpResponse:
    notifications.mark_read(agent(request))
    return redirect("web:notifications")


@login_required
@cache_control(private=True, max_age=3600)
def time_zone_options(request: HttpRequest) -> JsonResponse:
    """Suggestions for the time-zone fields, in the viewer's language."""
    language = translation.get_language() or "en"
    rows = time_zones.options(translation.to_locale(language))
    return JsonResponse({"zones": [{"id": zone, "label": label} for zone, label in rows]})
