"""Automation rules over the API: manage them (supervisors and admins), set their order,
try one on recent conversations (dry run), and read the runs of a rule or a conversation."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Field, Router, Schema, Status
from ninja.errors import HttpError

from sahayak.accounts.models import User
from sahayak.api.auth import current_user
from sahayak.api.routers.conversations import conversation_for
from sahayak.api.schemas import Error
from sahayak.automation import actions, conditions, dryrun, rulebook
from sahayak.automation.models import Rule, RuleRun
from sahayak.automation.triggers import Anchor, On
from sahayak.pagination import keyset_page

router = Router(tags=["automation rules"])
runs_router = Router(tags=["automation rules"])


def _manager(request: HttpRequest) -> User:
    user = current_user(request)
    if not user.sees_everything:
        raise HttpError(403, "Only supervisors and admins manage automation rules.")
    return user


class RuleIn(Schema):
    name: str = Field(min_length=1, max_length=200)
    description: str = Field("", max_length=2000)
    enabled: bool = True
    trigger: str = Field("event", description="event or time")
    events: list[str] = Field(default_factory=list, description="for event rules")
    anchor: str = Field("", description="for time rules: what the time counts from")
    delay_minutes: int = Field(0, ge=0)
    conditions: dict[str, Any] = Field(default_factory=dict)
    actions: list[dict[str, Any]] = Field(min_length=1, max_length=actions.MAX_ACTIONS)


class RuleOut(Schema):
    id: int
    name: str
    description: str
    enabled: bool
    position: int
    trigger: str
    events: list[str]
    anchor: str
    delay_minutes: int
    conditions: dict[str, Any]
    actions: list[dict[str, Any]]
    builtin: str | None
    run_count: int
    last_run_at: datetime | None


class RunOut(Schema):
    id: int
    rule_id: int
    conversation_id: int
    trigger: str
    depth: int
    outcome: str
    conditions: list[dict[str, Any]]
    actions: list[dict[str, Any]]
    created_at: datetime


class RunPage(Schema):
    items: list[RunOut]
    next_cursor: str | None


class OrderIn(Schema):
    ids: list[int] = Field(min_length=1, max_length=1000)


class DryRowOut(Schema):
    conversation_id: int
    subject: str
    matched: bool
    conditions: list[dict[str, Any]]
    would: list[str]
    due_at: datetime | None


def _shown_actions(rule: Rule) -> list[dict[str, Any]]:
    """A webhook's secret is never shown back, only whether one is set."""
    return [
        {**a, "secret": bool(a.get("secret"))} if a.get("type") == "webhook" else a
        for a in rule.actions
    ]


def _out(rule: Rule) -> dict[str, Any]:
    return {
        "id": rule.pk,
        "name": rule.name,
        "description": rule.description,
        "enabled": rule.enabled,
        "position": rule.position,
        "trigger": rule.trigger,
        "events": rule.events,
        "anchor": rule.anchor,
        "delay_minutes": rule.delay_minutes,
        "conditions": rule.conditions,
        "actions": _shown_actions(rule),
        "builtin": rule.builtin,
        "run_count": rule.run_count,
        "last_run_at": rule.last_run_at,
    }


def _keep_secrets(rule: Rule, wanted: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A webhook action sent back with ``"secret": true`` keeps the secret it had."""
    old = {a.get("url"): a.get("secret") for a in rule.actions if a.get("type") == "webhook"}
    return [
        {**a, "secret": old.get(a.get("url"), "")}
        if a.get("type") == "webhook" and a.get("secret") is True
        else a
        for a in wanted
    ]


def _save(user: User, rule: Rule, payload: RuleIn) -> Rule:
    try:
        fields = rulebook.clean(
            name=payload.name,
            trigger=payload.trigger,
            events=payload.events,
            anchor=payload.anchor,
            delay_minutes=payload.delay_minutes,
            conditions_in=payload.conditions,
            actions_in=_keep_secrets(rule, payload.actions),
        )
    except rulebook.RuleError as exc:
        raise HttpError(422, str(exc)) from exc
    fields["description"] = payload.description
    return rulebook.save_rule(rule, fields, enabled=payload.enabled, user=user)


@router.get("", response={200: list[RuleOut], 403: Error})
def list_rules(request: HttpRequest):
    """Every rule, in the order they run."""
    _manager(request)
    return [_out(r) for r in Rule.objects.order_by("position", "id")[:1000]]


@router.get("/catalogue", response={200: dict[str, Any], 403: Error})
def catalogue(request: HttpRequest):
    """The events, moments, condition fields (with their operators) and action types a
    rule may use."""
    _manager(request)
    return {
        "events": {k: str(v) for k, v in On.choices},
        "anchors": {k: str(v) for k, v in Anchor.choices},
        "fields": {
            name: {"label": str(f.label), "ops": list(f.ops), "value": f.value}
            for name, f in conditions.FIELDS.items()
        },
        "attribute_field_prefix": conditions.ATTRIBUTE_FIELD,
        "operators": {k: str(v[0]) for k, v in conditions.OPS.items()},
        "actions": {k: str(v.label) for k, v in actions.ACTIONS.items()},
    }


@router.post("", response={201: RuleOut, 403: Error, 422: Error})
def create_rule(request: HttpRequest, payload: RuleIn):
    user = _manager(request)
    return Status(201, _out(_save(user, Rule(), payload)))


@router.post("/order", response={200: list[RuleOut], 403: Error})
def set_order(request: HttpRequest, payload: OrderIn):
    """Run the rules in this order (rules not named follow, in their present order)."""
    _manager(request)
    rulebook.reorder(payload.ids)
    return [_out(r) for r in Rule.objects.order_by("position", "id")[:1000]]


@router.get("/{rule_id}", response={200: RuleOut, 403: Error, 404: Error})
def get_rule(request: HttpRequest, rule_id: int):
    _manager(request)
    return _out(get_object_or_404(Rule, pk=rule_id))


@router.put("/{rule_id}", response={200: RuleOut, 403: Error, 404: Error, 422: Error})
def update_rule(request: HttpRequest, rule_id: int, payload: RuleIn):
    user = _manager(request)
    return _out(_save(user, get_object_or_404(Rule, pk=rule_id), payload))


@router.delete("/{rule_id}", response={204: None, 403: Error, 404: Error, 409: Error})
def delete_rule(request: HttpRequest, rule_id: int):
    _manager(request)
    try:
        rulebook.delete_rule(get_object_or_404(Rule, pk=rule_id))
    except rulebook.RuleError as exc:
        raise HttpError(409, str(exc)) from exc
    return Status(204, None)


@router.post("/{rule_id}/dry-run", response={200: list[DryRowOut], 403: Error, 404: Error})
def dry_run(request: HttpRequest, rule_id: int):
    """Which of the last 100 conversations the rule would match now, and what it would do
    (nothing is changed or sent)."""
    _manager(request)
    rule = get_object_or_404(Rule, pk=rule_id)
    return [
        {
            "conversation_id": row.conversation.pk,
            "subject": row.conversation.subject,
            "matched": row.matched,
            "conditions": row.trace,
            "would": row.would,
            "due_at": row.due_at,
        }
        for row in dryrun.dry_run(rule)
    ]


def _run_out(run: RuleRun) -> dict[str, Any]:
    return {
        "id": run.pk,
        "rule_id": run.rule_id,
        "conversation_id": run.conversation_id,
        "trigger": run.trigger,
        "depth": run.depth,
        "outcome": run.outcome,
        "conditions": run.conditions,
        "actions": run.actions,
        "created_at": run.created_at,
    }


@router.get("/{rule_id}/runs", response={200: RunPage, 403: Error, 404: Error})
def rule_runs(request: HttpRequest, rule_id: int, cursor: str | None = None, limit: int = 50):
    """The rule's runs, newest first (pass ``next_cursor`` back for more)."""
    _manager(request)
    rule = get_object_or_404(Rule, pk=rule_id)
    rows, next_cursor = keyset_page(
        RuleRun.objects.filter(rule=rule), keys=["-id"], cursor=cursor, limit=min(limit, 200)
    )
    return {"items": [_run_out(r) for r in rows], "next_cursor": next_cursor}


@runs_router.get("/{conversation_id}/rule-runs", response={200: RunPage, 404: Error})
def conversation_runs(
    request: HttpRequest, conversation_id: int, cursor: str | None = None, limit: int = 50
):
    """The rules that ran on a conversation, newest first, with their traces."""
    conversation = conversation_for(current_user(request), conversation_id)
    rows, next_cursor = keyset_page(
        RuleRun.objects.filter(conversation=conversation),
        keys=["-id"],
        cursor=cursor,
        limit=min(limit, 200),
    )
    return {"items": [_run_out(r) for r in rows], "next_cursor": next_cursor}
