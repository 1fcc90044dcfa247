"""Survey settings (supervisors and admins): CSAT per inbox and NPS campaigns; and an
agent's "ask for a rating" on a conversation."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from sahayak.accounts.models import User
from sahayak.conversations.models import Inbox
from sahayak.feedback import sending, surveys
from sahayak.feedback.forms import CampaignForm, SurveySettingsForm
from sahayak.feedback.models import Campaign, SurveySettings

from .common import agent, conversation_for, htmx_done, htmx_failed, login_required


def _manager(request: HttpRequest) -> User:
    user = agent(request)
    if not user.sees_everything:
        raise PermissionDenied(_("Only supervisors and administrators change surveys."))
    return user


@login_required
def settings_page(request: HttpRequest) -> HttpResponse:
    _manager(request)
    inboxes = list(Inbox.objects.filter(is_active=True).order_by("name"))
    saved = {s.inbox_id: s for s in SurveySettings.objects.filter(inbox__in=inboxes)}
    rows = [
        (
            inbox,
            SurveySettingsForm(
                instance=saved.get(inbox.pk) or sending.settings_of(inbox.pk), prefix=f"i{inbox.pk}"
            ),
        )
        for inbox in inboxes
    ]
    campaigns = Campaign.objects.annotate(n=Count("surveys")).order_by("-id")[:50]
    return render(
        request,
        "web/surveys.html",
        {"rows": rows, "campaigns": campaigns, "campaign_form": CampaignForm()},
    )


@login_required
@require_POST
def save_inbox(request: HttpRequest, inbox_id: int) -> HttpResponse:
    _manager(request)
    inbox = get_object_or_404(Inbox, pk=inbox_id)
    instance = SurveySettings.objects.filter(inbox=inbox).first() or SurveySettings(inbox=inbox)
    form = SurveySettingsForm(request.POST, instance=instance, prefix=f"i{inbox.pk}")
    if form.is_valid():
        form.save()
        messages.success(request, _("Survey settings of %(inbox)s saved.") % {"inbox": inbox.name})
    else:
        messages.error(
            request, "; ".join(" ".join(str(x) for x in e) for e in form.errors.values())
        )
    return redirect("web:surveys")


@login_required
@require_POST
def start_campaign(request: HttpRequest) -> HttpResponse:
    user = _manager(request)
    form = CampaignForm(request.POST)
    if not form.is_valid():
        messages.error(
            request, "; ".join(" ".join(str(x) for x in e) for e in form.errors.values())
        )
        return redirect("web:surveys")
    campaign = form.save(commit=False)
    campaign.created_by = user
    campaign.save()
    queued = sending.start_campaign(campaign)
    messages.success(
        request,
        _("%(n)d customers will be asked, %(rate)d per hour.")
        % {"n": queued, "rate": campaign.per_hour},
    )
    return redirect("web:surveys")


@login_required
@require_POST
def ask_rating(request: HttpRequest, conversation_id: int) -> HttpResponse:
    conversation = conversation_for(request, conversation_id)
    try:
        sending.request_csat(conversation)
    except surveys.SurveyError as exc:
        return htmx_failed(request, conversation, str(exc))
    messages.success(request, _("The customer was asked for a rating."))
    return htmx_done(request, conversation, "sahayak:side")
