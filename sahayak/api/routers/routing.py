"""Routing and SLAs over the API: the same settings as the workspace screens, validated by
the same forms, and each conversation's SLA clocks."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.forms import BaseForm
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Router, Schema, Status
from ninja.errors import HttpError

from sahayak.accounts.models import User
from sahayak.api.auth import current_user
from sahayak.api.routers.conversations import conversation_for
from sahayak.api.schemas import Error
from sahayak.routing import forms, presence, services
from sahayak.routing.holidays import HolidayFileError
from sahayak.routing.models import (
    AgentRouting,
    Calendar,
    Holiday,
    RoutingPolicy,
    SlaPolicy,
)

router = Router(tags=["routing"])


def _manager(request: HttpRequest) -> User:
    user = current_user(request)
    if not user.sees_everything:
        raise HttpError(403, "Only supervisors and admins change routing.")
    return user


def _valid(form: BaseForm) -> Any:
    if not form.is_valid():
        reasons = "; ".join(
            f"{field}: {' '.join(str(e) for e in errors)}" for field, errors in form.errors.items()
        )
        raise HttpError(422, reasons)
    return form


# --- agents -------------------------------------------------------------------------------


class AgentRoutingIn(Schema):
    away: bool = False
    capacity: dict[str, int] = {}
    skills: list[str] = []
    languages: list[str] = []
    backup_id: int | None = None


class AgentRoutingOut(Schema):
    user_id: int
    presence: str
    presence_since: datetime
    away: bool
    capacity: dict[str, int]
    skills: list[str]
    languages: list[str]
    backup_id: int | None


class PresenceIn(Schema):
    away: bool


@router.get("/agents", response=list[AgentRoutingOut])
def list_agents(request: HttpRequest):
    """Every active agent's presence, capacity, skills and languages (a team's worth)."""
    presence.refresh()
    return AgentRouting.objects.filter(user__is_active=True).order_by("user_id")


@router.put(
    "/agents/{user_id}", response={200: AgentRoutingOut, 403: Error, 404: Error, 422: Error}
)
def update_agent(request: HttpRequest, user_id: int, payload: AgentRoutingIn):
    _manager(request)
    member = get_object_or_404(User, pk=user_id, is_active=True)
    data = {
        "away": payload.away,
        "capacity": ", ".join(f"{k}={v}" for k, v in payload.capacity.items()),
        "skills": ", ".join(payload.skills),
        "languages": ", ".join(payload.languages),
        "backup": payload.backup_id or "",
    }
    return _valid(forms.AgentRoutingForm(data, instance=presence.routing_of(member))).save()


@router.put("/me/presence", response=AgentRoutingOut)
def set_my_presence(request: HttpRequest, payload: PresenceIn):
    """Away (no new conversations) or available (online while the workspace is open)."""
    return presence.set_away(current_user(request), payload.away)


# --- assignment policies ---------------------------------------------------------------------


class PolicyIn(Schema):
    inbox_id: int | None = None
    team_id: int | None = None
    policy: str = "manual"
    order: str = "oldest"
    calendar_id: int | None = None
    skills: list[str] = []
    language_wait_seconds: int = 120
    return_after_minutes: int = 15


class PolicyOut(Schema):
    id: int
    inbox_id: int | None
    team_id: int | None
    policy: str
    order: str
    calendar_id: int | None
    skills: list[str]
    language_wait_seconds: int
    return_after_minutes: int


def _policy_form(payload: PolicyIn, instance: RoutingPolicy) -> forms.RoutingPolicyForm:
    target = f"inbox:{payload.inbox_id}" if payload.inbox_id else f"team:{payload.team_id}"
    data = {
        **payload.dict(),
        "target": target,
        "calendar": payload.calendar_id or "",
        "skills": ", ".join(payload.skills),
    }
    return forms.RoutingPolicyForm(data, instance=instance)


@router.get("/policies", response=list[PolicyOut])
def list_policies(request: HttpRequest):
    return RoutingPolicy.objects.order_by("id")


@router.post("/policies", response={201: PolicyOut, 403: Error, 422: Error})
def create_policy(request: HttpRequest, payload: PolicyIn):
    _manager(request)
    return Status(201, _valid(_policy_form(payload, RoutingPolicy())).save())


@router.put("/policies/{policy_id}", response={200: PolicyOut, 403: Error, 404: Error, 422: Error})
def update_policy(request: HttpRequest, policy_id: int, payload: PolicyIn):
    _manager(request)
    return _valid(_policy_form(payload, get_object_or_404(RoutingPolicy, pk=policy_id))).save()


@router.delete("/policies/{policy_id}", response={204: None, 403: Error, 404: Error})
def delete_policy(request: HttpRequest, policy_id: int):
    _manager(request)
    get_object_or_404(RoutingPolicy, pk=policy_id).delete()
    return Status(204, None)


@router.get("/queue")
def queue(request: HttpRequest) -> dict[str, int]:
    """How many conversations wait for an agent."""
    return {"queued": services.queue_size()}


# --- business hours ---------------------------------------------------------------------------


class CalendarIn(Schema):
    name: str
    time_zone: str = "UTC"
    # "mon" ... "sun" -> ["09:00-17:00", "21:00-02:00"]
    weekly: dict[str, list[str]] = {}
    away_messages: dict[str, str] = {}


class HolidayOut(Schema):
    id: int
    day: date
    yearly: bool
    name: str


class CalendarOut(Schema):
    id: int
    name: str
    time_zone: str
    weekly: dict[str, list[list[str]]]
    away_messages: dict[str, str]
    holidays: list[HolidayOut]

    @staticmethod
    def resolve_holidays(obj: Calendar) -> list[Holiday]:
        return list(obj.holidays.all())


class HolidayIn(Schema):
    day: date
    yearly: bool = False
    name: str = ""


class IcsIn(Schema):
    ics: str


def _calendar_form(payload: CalendarIn, instance: Calendar) -> forms.CalendarForm:
    data = {
        "name": payload.name,
        "time_zone": payload.time_zone,
        "weekly": "\n".join(f"{day} {', '.join(spans)}" for day, spans in payload.weekly.items()),
        "away_messages": "\n".join(f"{k}: {v}" for k, v in payload.away_messages.items()),
    }
    return forms.CalendarForm(data, instance=instance)


@router.get("/calendars", response=list[CalendarOut])
def list_calendars(request: HttpRequest):
    return Calendar.objects.prefetch_related("holidays").order_by("name")


@router.post("/calendars", response={201: CalendarOut, 403: Error, 422: Error})
def create_calendar(request: HttpRequest, payload: CalendarIn):
    _manager(request)
    return Status(201, _valid(_calendar_form(payload, Calendar())).save())


@router.get("/calendars/{calendar_id}", response={200: CalendarOut, 404: Error})
def get_calendar(request: HttpRequest, calendar_id: int):
    return get_object_or_404(Calendar, pk=calendar_id)


@router.put(
    "/calendars/{calendar_id}", response={200: CalendarOut, 403: Error, 404: Error, 422: Error}
)
def update_calendar(request: HttpRequest, calendar_id: int, payload: CalendarIn):
    _manager(request)
    return _valid(_calendar_form(payload, get_object_or_404(Calendar, pk=calendar_id))).save()


@router.delete("/calendars/{calendar_id}", response={204: None, 403: Error, 404: Error})
def delete_calendar(request: HttpRequest, calendar_id: int):
    _manager(request)
    get_object_or_404(Calendar, pk=calendar_id).delete()
    return Status(204, None)


@router.post(
    "/calendars/{calendar_id}/holidays", response={201: HolidayOut, 403: Error, 404: Error}
)
def add_holiday(request: HttpRequest, calendar_id: int, payload: HolidayIn):
    _manager(request)
    calendar = get_object_or_404(Calendar, pk=calendar_id)
    holiday = services.add_holiday(calendar, payload.day, yearly=payload.yearly, name=payload.name)
    return Status(201, holiday)


@router.post(
    "/calendars/{calendar_id}/holidays/import",
    response={200: dict, 403: Error, 404: Error, 422: Error},
)
def import_holidays(request: HttpRequest, calendar_id: int, payload: IcsIn):
    """Holidays from an iCalendar file's text (all-day events; yearly ones repeat)."""
    _manager(request)
    calendar = get_object_or_404(Calendar, pk=calendar_id)
    try:
        added, skipped = services.import_holidays(calendar, payload.ics.encode())
    except HolidayFileError as exc:
        raise HttpError(422, str(exc)) from exc
    return {"added": added, "skipped": skipped}


@router.delete(
    "/calendars/{calendar_id}/holidays/{holiday_id}", response={204: None, 403: Error, 404: Error}
)
def delete_holiday(request: HttpRequest, calendar_id: int, holiday_id: int):
    _manager(request)
    get_object_or_404(Holiday, pk=holiday_id, calendar_id=calendar_id).delete()
    return Status(204, None)


# --- SLA policies ------------------------------------------------------------------------------


class SlaPolicyIn(Schema):
    name: str
    position: int = 0
    is_active: bool = True
    conditions: dict[str, Any] = {}
    first_response_minutes: int | None = None
    next_response_minutes: int | None = None
    periodic_update_minutes: int | None = None
    resolution_minutes: int | None = None
    business_hours: bool = True
    calendar_id: int | None = None
    warn_minutes: int = 30


class SlaPolicyOut(SlaPolicyIn):
    id: int


def _sla_form(payload: SlaPolicyIn, instance: SlaPolicy) -> forms.SlaPolicyForm:
    c = payload.conditions
    data = {
        **payload.dict(exclude={"conditions", "calendar_id"}),
        "calendar": payload.calendar_id or "",
        "channels": c.get("channel", []),
        "inboxes": c.get("inbox", []),
        "teams": c.get("team", []),
        "priorities": c.get("priority", []),
        "tags": ", ".join(c.get("tag", [])),
        "organizations": c.get("organization", []),
        "custom_field": "\n".join(f"{k}={v}" for k, v in (c.get("custom_field") or {}).items()),
    }
    data = {k: v for k, v in data.items() if v is not None and v is not False}
    return forms.SlaPolicyForm(data, instance=instance)


@router.get("/sla-policies", response=list[SlaPolicyOut])
def list_sla_policies(request: HttpRequest):
    return SlaPolicy.objects.all()


@router.post("/sla-policies", response={201: SlaPolicyOut, 403: Error, 422: Error})
def create_sla_policy(request: HttpRequest, payload: SlaPolicyIn):
    _manager(request)
    return Status(201, _valid(_sla_form(payload, SlaPolicy())).save())


@router.put(
    "/sla-policies/{policy_id}", response={200: SlaPolicyOut, 403: Error, 404: Error, 422: Error}
)
def update_sla_policy(request: HttpRequest, policy_id: int, payload: SlaPolicyIn):
    _manager(request)
    return _valid(_sla_form(payload, get_object_or_404(SlaPolicy, pk=policy_id))).save()


@router.delete("/sla-policies/{policy_id}", response={204: None, 403: Error, 404: Error})
def delete_sla_policy(request: HttpRequest, policy_id: int):
    _manager(request)
    get_object_or_404(SlaPolicy, pk=policy_id).delete()
    return Status(204, None)


class ClocksOut(Schema):
    conversation_id: int
    policy_id: int | None
    next_metric: str
    next_due: datetime | None
    clocks: dict[str, dict[str, Any]]


@router.get("/conversations/{conversation_id}/sla", response={200: ClocksOut, 404: Error})
def conversation_sla(request: HttpRequest, conversation_id: int):
    """The conversation's SLA clocks: each target's state, due time and time left."""
    conversation = conversation_for(current_user(request), conversation_id)
    row, measured = services.sla_of(conversation)
    if row is None:
        return {
            "conversation_id": conversation.pk,
            "policy_id": None,
            "next_metric": "",
            "next_due": None,
            "clocks": {},
        }
    return {
        "conversation_id": conversation.pk,
        "policy_id": row.policy_id,
        "next_metric": row.next_metric,
        "next_due": row.next_due,
        "clocks": measured,
    }
