"""The shared inbox page, its live-refreshed list, bulk actions and saved views."""

from __future__ import annotations

from django.contrib import messages
from django.db import IntegrityError
from django.http import HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from sahayak.accounts.models import Team
from sahayak.conversations import services
from sahayak.conversations.models import Inbox, Priority, Status
from sahayak.conversations.permissions import hidden_team_ids, visible_conversations
from sahayak.conversations.queries import COUNT_CAP
from sahayak.ids import parse_id
from sahayak.pagination import BadCursor

from .. import inbox, onboarding
from ..models import SavedView
from .common import active_agents, agent, is_htmx, login_required


@login_required
def inbox_page(request: HttpRequest) -> HttpResponse:
    user = agent(request)
    f = inbox.InboxFilter.from_query(request.GET)
    try:
        rows, next_cursor = inbox.page(user, f, request.GET.get("cursor"))
    except BadCursor:
        messages.error(request, _("That page link is no longer valid; showing the first page."))
        return redirect(f"/?{f.query()}")
    context = {
        "f": f,
        "rows": rows,
        "next_cursor": next_cursor,
        "cursor": request.GET.get("cursor", ""),
        "statuses": Status.choices,
        "priorities": Priority.choices,
    }
    if is_htmx(request) and request.GET.get("partial") == "list":
        return render(request, "web/partials/inbox_list.html", context)
    hidden = hidden_team_ids(user)
    context.update(
        counts=inbox.cached_panel_counts(user) or {},
        teams=Team.objects.exclude(pk__in=hidden).order_by("name"),
        inboxes=Inbox.objects.filter(is_active=True).exclude(team_id__in=hidden).order_by("name"),
        channels=_channels(),
        saved_views=SavedView.objects.filter(owner=user),
        agents=active_agents(),
        setup_steps=onboarding.shown_to(user),
    )
    return render(request, "web/inbox.html", context)


def _channels() -> list[str]:
    return list(Inbox.objects.order_by("channel").values_list("channel", flat=True).distinct())


@login_required
def panel_counts(request: HttpRequest) -> JsonResponse:
    """The views panel's counts (its links fetch them after the page, and after events)."""
    user = agent(request)
    hidden = hidden_team_ids(user)
    counts = inbox.panel_counts(
        user,
        team_ids=list(Team.objects.exclude(pk__in=hidden).values_list("pk", flat=True)),
        channels=_channels(),
        saved=list(SavedView.objects.filter(owner=user).values_list("pk", "query")),
        fresh=request.GET.get("fresh") == "1",
    )
    return JsonResponse({"counts": counts, "cap": COUNT_CAP})


@login_required
@require_POST
def bulk_action(request: HttpRequest) -> HttpResponse:
    user = agent(request)
    ids = [n for n in map(parse_id, request.POST.getlist("ids")) if n][: services.BULK_LIMIT]
    action = request.POST.get("action", "")
    value = request.POST.get(f"value_{action}", "")
    back = "/?" + request.POST.get("back", "")
    if not ids:
        messages.warning(request, _("Select at least one conversation."))
        return redirect(back)
    if action == "assign":
        if not value:
            messages.warning(request, _("Choose who gets the selected conversations."))
            return redirect(back)
        value = {"me": str(user.pk), "none": ""}.get(value, value)
    targets = visible_conversations(user).filter(pk__in=ids)
    try:
        done = services.bulk_apply(conversations=targets, actor=user, action=action, value=value)
    except services.ConversationError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Updated %(n)d conversations.") % {"n": done})
    return redirect(back)


@login_required
@require_POST
def save_view(request: HttpRequest) -> HttpResponse:
    name = request.POST.get("name", "").strip()[:80]
    query = inbox.InboxFilter.from_query(QueryDict(request.POST.get("query", ""))).query()
    if not name:
        messages.error(request, _("Give the view a name."))
        return redirect(f"/?{query}")
    try:
        SavedView.objects.update_or_create(
            owner=agent(request), name=name, defaults={"query": query}
        )
    except IntegrityError:
        messages.error(request, _("Could not save the view."))
    else:
        messages.success(request, _("View “%(name)s” saved.") % {"name": name})
    return redirect(f"/?{query}")


@login_required
@require_POST
def delete_view(request: HttpRequest, view_id: int) -> HttpResponse:
    view = get_object_or_404(SavedView, pk=view_id, owner=agent(request))
    view.delete()
    messages.success(request, _("View deleted."))
    return redirect("/")
