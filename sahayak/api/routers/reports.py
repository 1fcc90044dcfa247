"""Reports, surveys and the event-log export over the API (supervisors and admins; a
survey request by any agent who may see the conversation)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import Count
from django.http import HttpRequest, StreamingHttpResponse
from django.shortcuts import get_object_or_404
from ninja import Router, Schema, Status
from ninja.errors import HttpError

from sahayak.accounts.models import User
from sahayak.analytics import dashboard, exports
from sahayak.api.auth import current_user
from sahayak.api.routers.conversations import conversation_for
from sahayak.api.schemas import Error
from sahayak.feedback import sending, surveys
from sahayak.feedback.models import Campaign, Kind, Survey

router = Router(tags=["reports"])
export_router = Router(tags=["export"])
survey_router = Router(tags=["surveys"])


def _manager(request: HttpRequest) -> User:
    user = current_user(request)
    if not user.sees_everything:
        raise HttpError(403, "Only supervisors and admins read reports.")
    return user


def _scope(request: HttpRequest, user: User) -> Any:
    try:
        return dashboard.scope_from(request.GET, user.time_zone or "UTC")
    except dashboard.ReportError as exc:
        raise HttpError(422, str(exc)) from exc


@router.get("/overview", response={200: dict[str, Any], 403: Error, 422: Error})
def overview(request: HttpRequest) -> dict[str, Any]:
    """Headline figures (and the previous period's), chart series and the heat map.
    Query: ``days`` or ``from``/``to`` (YYYY-MM-DD, the token user's zone), ``team``,
    ``channel``, ``inbox``, ``language`` (repeatable)."""
    user = _manager(request)
    scope = _scope(request, user)
    data = dashboard.overview(scope)
    data["period"] = {
        "first": scope.period.first.isoformat(),
        "last": scope.period.last.isoformat(),
        "zone": scope.period.zone,
        "days_per_point": scope.period.step,
    }
    return data


@router.get(
    "/tables/{by}", response={200: list[dict[str, Any]], 403: Error, 404: Error, 422: Error}
)
def table(request: HttpRequest, by: str) -> list[dict[str, Any]]:
    """One row per agent, team, channel, inbox, language or tag."""
    user = _manager(request)
    scope = _scope(request, user)
    if by not in dashboard.BY:
        raise HttpError(404, f"Unknown table: {by}")
    return [{**r, "name": str(r["name"])} for r in dashboard.table(scope, by)]


@router.get("/conversations.csv", response={200: None, 403: Error, 422: Error})
def conversations_csv(request: HttpRequest) -> StreamingHttpResponse:
    """One row per conversation cycle opened in the period, with all its figures."""
    user = _manager(request)
    scope = _scope(request, user)
    return StreamingHttpResponse(
        exports.conversation_rows_csv(scope), content_type="text/csv; charset=utf-8"
    )


def _lines(request: HttpRequest, after: int, limit: int, feed: Any) -> StreamingHttpResponse:
    _manager(request)
    if after < 0:
        raise HttpError(422, "after must be 0 or more")
    return StreamingHttpResponse(feed(after, limit), content_type="application/x-ndjson")


@export_router.get("/events", response={200: None, 403: Error, 422: Error})
def event_log(request: HttpRequest, after: int = 0, limit: int = 10_000) -> StreamingHttpResponse:
    """Every recorded change (JSON Lines, oldest first, at most 100,000 per call): resume
    with ``after`` = the ``id`` of the last line."""
    return _lines(request, after, limit, exports.event_log)


@export_router.get("/messages", response={200: None, 403: Error, 422: Error})
def message_log(request: HttpRequest, after: int = 0, limit: int = 10_000) -> StreamingHttpResponse:
    """Every message without its text (JSON Lines), resumable like the event log."""
    return _lines(request, after, limit, exports.message_log)


class SurveyOut(Schema):
    id: int
    kind: str
    state: str
    conversation_id: int | None
    contact_id: int
    channel: str
    language: str
    sent_at: datetime | None
    open_until: datetime | None
    score: int | None
    comment: str
    answered_at: datetime | None
    skip_reason: str


@survey_router.post(
    "/conversations/{conversation_id}/csat",
    response={201: SurveyOut, 404: Error, 409: Error},
)
def request_csat(request: HttpRequest, conversation_id: int) -> Any:
    """Ask this conversation's customer for a rating now, on its channel."""
    conversation = conversation_for(current_user(request), conversation_id)
    try:
        survey = sending.request_csat(conversation)
    except surveys.SurveyError as exc:
        raise HttpError(409, str(exc)) from exc
    return Status(201, survey)


@survey_router.get("/surveys", response={200: list[SurveyOut], 403: Error})
def list_answers(
    request: HttpRequest, kind: str = Kind.CSAT, after: int = 0, limit: int = 100
) -> list[Survey]:
    """Answered surveys, oldest first by id; page with ``after`` = the last id."""
    _manager(request)
    limit = max(1, min(limit, 1000))
    return list(
        Survey.objects.filter(kind=kind, pk__gt=after, answered_at__isnull=False).order_by("pk")[
            :limit
        ]
    )


class CampaignIn(Schema):
    name: str
    ordered_within_days: int | None = None
    per_hour: int = 200


class CampaignOut(Schema):
    id: int
    name: str
    ordered_within_days: int | None
    per_hour: int
    started_at: datetime | None
    queued: int = 0


@survey_router.post("/nps-campaigns", response={201: CampaignOut, 403: Error, 422: Error})
def start_campaign(request: HttpRequest, body: CampaignIn) -> Any:
    """Create an NPS campaign and queue its surveys (sent at ``per_hour``)."""
    user = _manager(request)
    if not body.name.strip() or not 1 <= body.per_hour <= 100_000:
        raise HttpError(422, "A name and a rate of 1 to 100,000 per hour are needed.")
    campaign = Campaign.objects.create(
        name=body.name.strip()[:120],
        ordered_within_days=body.ordered_within_days,
        per_hour=body.per_hour,
        created_by=user,
    )
    queued = sending.start_campaign(campaign)
    campaign.queued = queued  # type: ignore[attr-defined]
    return Status(201, campaign)


@survey_router.get("/nps-campaigns/{campaign_id}", response={200: dict[str, Any], 403: Error})
def campaign_state(request: HttpRequest, campaign_id: int) -> dict[str, Any]:
    _manager(request)
    campaign = get_object_or_404(Campaign, pk=campaign_id)
    counts = dict(
        Survey.objects.filter(campaign=campaign)
        .values_list("state")
        .annotate(n=Count("id"))
        .values_list("state", "n")
    )
    return {"id": campaign.pk, "name": campaign.name, "surveys": counts}
