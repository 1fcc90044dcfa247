"""Routing and SLA settings (supervisors and admins), and each agent's own presence."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from sahayak.accounts.models import User
from sahayak.conversations.models import Status
from sahayak.routing import forms, presence, services
from sahayak.routing.holidays import HolidayFileError
from sahayak.routing.models import AgentRouting, Calendar, Holiday, RoutingPolicy, SlaPolicy

from .common import agent, login_required


def _manager(request: HttpRequest) -> User:
    user = agent(request)
    if not user.sees_everything:
        raise PermissionDenied(_("Only supervisors and administrators change routing."))
    return user


def _form_page(request: HttpRequest, title: str, form: Any, **extra: Any) -> HttpResponse:
    return render(request, "web/routing/form.html", {"title": title, "form": form, **extra})


@login_required
@require_POST
def set_presence(request: HttpRequest) -> HttpResponse:
    """The agent's own choice: away (no new work) or available."""
    presence.set_away(agent(request), request.POST.get("away") == "1")
    back = request.POST.get("next") or request.headers.get("Referer", "/")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        back = "/"
    return redirect(back)


@login_required
def overview(request: HttpRequest) -> HttpResponse:
    _manager(request)
    presence.refresh()
    agents = (
        AgentRouting.objects.filter(user__is_active=True)
        .select_related("user", "backup")
        .annotate(
            open_count=Count(
                "user__assigned_conversations",
                filter=Q(user__assigned_conversations__status__in=(Status.NEW, Status.OPEN)),
            )
        )
        .order_by("user__first_name", "user__username")
    )
    context = {
        "policies": RoutingPolicy.objects.select_related("inbox", "team", "calendar").order_by(
            "id"
        ),
        "agents": agents,
        "calendars": Calendar.objects.annotate(n=Count("holidays")).order_by("name"),
        "sla_policies": SlaPolicy.objects.select_related("calendar"),
        "queued": services.queue_size(),
    }
    return render(request, "web/routing/overview.html", context)


@login_required
def policy_edit(request: HttpRequest, policy_id: int | None = None) -> HttpResponse:
    _manager(request)
    instance = get_object_or_404(RoutingPolicy, pk=policy_id) if policy_id else RoutingPolicy()
    form = forms.RoutingPolicyForm(request.POST or None, instance=instance)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Assignment policy saved."))
        return redirect("web:routing")
    delete_url = reverse("web:routing_policy_delete", args=[policy_id]) if policy_id else ""
    return _form_page(request, _("Assignment policy"), form, delete_url=delete_url)


@login_required
@require_POST
def policy_delete(request: HttpRequest, policy_id: int) -> HttpResponse:
    _manager(request)
    get_object_or_404(RoutingPolicy, pk=policy_id).delete()
    messages.success(
        request, _("Assignment policy deleted: its conversations are assigned by hand.")
    )
    return redirect("web:routing")


@login_required
def agent_edit(request: HttpRequest, user_id: int) -> HttpResponse:
    _manager(request)
    member = get_object_or_404(User, pk=user_id, is_active=True)
    routing = presence.routing_of(member)
    form = forms.AgentRoutingForm(request.POST or None, instance=routing)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Routing of %(name)s saved.") % {"name": member})
        return redirect("web:routing")
    return _form_page(request, _("Routing of %(name)s") % {"name": member}, form)


@login_required
def calendar_edit(request: HttpRequest, calendar_id: int | None = None) -> HttpResponse:
    _manager(request)
    instance = get_object_or_404(Calendar, pk=calendar_id) if calendar_id else Calendar()
    form = forms.CalendarForm(request.POST or None, instance=instance)
    if request.method == "POST" and form.is_valid():
        saved = form.save()
        messages.success(
            request, _("Business hours saved; open conversations' deadlines are being recomputed.")
        )
        return redirect("web:calendar", saved.pk)
    extra: dict[str, Any] = {}
    if instance.pk:
        extra = {
            "calendar": instance,
            "holidays": instance.holidays.all(),
            "holiday_form": forms.HolidayForm(),
            "import_form": forms.HolidayImportForm(),
        }
    return _form_page(request, _("Business hours"), form, **extra)


@login_required
@require_POST
def holiday_add(request: HttpRequest, calendar_id: int) -> HttpResponse:
    _manager(request)
    calendar = get_object_or_404(Calendar, pk=calendar_id)
    form = forms.HolidayForm(request.POST)
    if form.is_valid():
        services.add_holiday(
            calendar,
            form.cleaned_data["day"],
            yearly=form.cleaned_data["yearly"],
            name=form.cleaned_data["name"],
        )
        messages.success(request, _("Holiday added."))
    else:
        messages.error(request, _("Give the holiday a valid date."))
    return redirect("web:calendar", calendar.pk)


@login_required
@require_POST
def holiday_import(request: HttpRequest, calendar_id: int) -> HttpResponse:
    _manager(request)
    calendar = get_object_or_404(Calendar, pk=calendar_id)
    form = forms.HolidayImportForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("Choose an iCalendar file."))
        return redirect("web:calendar", calendar.pk)
    try:
        added, skipped = services.import_holidays(calendar, form.cleaned_data["file"].read())
    except HolidayFileError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            _("%(added)d holidays imported; %(skipped)d events with a time of day skipped.")
            % {"added": added, "skipped": skipped},
        )
    return redirect("web:calendar", calendar.pk)


@login_required
@require_POST
def holiday_delete(request: HttpRequest, calendar_id: int, holiday_id: int) -> HttpResponse:
    _manager(request)
    get_object_or_404(Holiday, pk=holiday_id, calendar_id=calendar_id).delete()
    messages.success(request, _("Holiday removed."))
    return redirect("web:calendar", calendar_id)


@login_required
def sla_edit(request: HttpRequest, policy_id: int | None = None) -> HttpResponse:
    _manager(request)
    instance = get_object_or_404(SlaPolicy, pk=policy_id) if policy_id else SlaPolicy()
    form = forms.SlaPolicyForm(request.POST or None, instance=instance)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(
            request, _("SLA policy saved; open conversations' deadlines are being recomputed.")
        )
        return redirect("web:routing")
    delete_url = reverse("web:sla_delete", args=[policy_id]) if policy_id else ""
    return _form_page(request, _("SLA policy"), form, delete_url=delete_url)


@login_required
@require_POST
def sla_delete(request: HttpRequest, policy_id: int) -> HttpResponse:
    _manager(request)
    get_object_or_404(SlaPolicy, pk=policy_id).delete()
    messages.success(request, _("SLA policy deleted."))
    return redirect("web:routing")
