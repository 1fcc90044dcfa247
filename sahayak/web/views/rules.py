"""Automation rules in the workspace (supervisors and admins): the list in run order, the
editor, a rule's page with its runs and the dry run, and one run's trace."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from sahayak.accounts.models import User
from sahayak.automation import actions, conditions, dryrun, forms, rulebook
from sahayak.automation.models import Rule, RuleRun, Trigger
from sahayak.automation.triggers import Anchor, On
from sahayak.conversations import channels
from sahayak.conversations.models import Priority, Status
from sahayak.conversations.permissions import can_view_conversation
from sahayak.pagination import keyset_page

from .common import agent, login_required

RUNS_SHOWN = 25


def _manager(request: HttpRequest) -> User:
    user = agent(request)
    if not user.sees_everything:
        raise PermissionDenied(_("Only supervisors and administrators manage automation."))
    return user


@login_required
def rule_list(request: HttpRequest) -> HttpResponse:
    _manager(request)
    rules = list(Rule.objects.order_by("position", "id")[:1000])
    return render(
        request,
        "web/automation/rules.html",
        {"rules": rules, "events": dict(On.choices), "anchors": dict(Anchor.choices)},
    )


@login_required
@require_POST
def rule_move(request: HttpRequest, rule_id: int) -> HttpResponse:
    _manager(request)
    rulebook.move(get_object_or_404(Rule, pk=rule_id), -1 if request.POST.get("up") else 1)
    return redirect("web:rules")


@login_required
@require_POST
def rule_toggle(request: HttpRequest, rule_id: int) -> HttpResponse:
    _manager(request)
    rule = get_object_or_404(Rule, pk=rule_id)
    rule.enabled = not rule.enabled
    rule.save(update_fields=["enabled", "updated_at"])
    messages.success(request, _("Rule turned on.") if rule.enabled else _("Rule turned off."))
    return redirect("web:rules")


def _choices() -> dict[str, Any]:
    """What the editor offers, in the viewer's language."""
    return {
        "events": On.choices,
        "anchors": Anchor.choices,
        "fields": [(name, f.label) for name, f in conditions.FIELDS.items()],
        "operators": [(k, v[0]) for k, v in conditions.OPS.items()],
        "action_types": [(k, v.label) for k, v in actions.ACTIONS.items()],
        "statuses": Status.choices,
        "priorities": Priority.choices,
        "channels": [(c.kind, c.label) for c in channels.channels()],
        "languages": settings.LANGUAGES,
        "inbox_settings": conditions.INBOX_SETTINGS,
    }


@login_required
def rule_edit(request: HttpRequest, rule_id: int | None = None) -> HttpResponse:
    user = _manager(request)
    rule = get_object_or_404(Rule, pk=rule_id) if rule_id else Rule()
    if not rule_id and request.GET.get("trigger") == Trigger.TIME:
        rule.trigger = Trigger.TIME
    rows = forms.rows_of(rule) if rule.pk else forms.Rows()
    error = ""
    if request.method == "POST":
        post = request.POST
        rows = forms.read_rows(post)
        rows.fixed = forms.rows_of(rule).fixed if rule.pk else None
        try:
            fields = rulebook.clean(
                name=post.get("name", ""),
                trigger=post.get("trigger", ""),
                events=post.getlist("events"),
                anchor=post.get("anchor", ""),
                delay_minutes=post.get("delay_minutes", ""),
                conditions_in=forms.conditions_of(rows, rows.fixed),
                actions_in=forms.actions_of(rows, rule.actions or []),
            )
        except rulebook.RuleError as exc:
            error = str(exc)
            rule.name = post.get("name", "")
            rule.trigger = post.get("trigger", Trigger.EVENT)
            rule.events = post.getlist("events")
            rule.anchor = post.get("anchor", "")
        else:
            fields["description"] = post.get("description", "")[:2000]
            saved = rulebook.save_rule(rule, fields, enabled=bool(post.get("enabled")), user=user)
            messages.success(request, _("Rule saved."))
            return redirect("web:rule", saved.pk)
    context = {"rule": rule, "rows": forms.with_blanks(rows), "error": error, **_choices()}
    return render(request, "web/automation/rule_edit.html", context, status=422 if error else 200)


@login_required
@require_POST
def rule_delete(request: HttpRequest, rule_id: int) -> HttpResponse:
    _manager(request)
    try:
        rulebook.delete_rule(get_object_or_404(Rule, pk=rule_id))
    except rulebook.RuleError as exc:
        messages.error(request, str(exc))
        return redirect("web:rule", rule_id)
    messages.success(request, _("Rule deleted."))
    return redirect("web:rules")


def _labels() -> dict[str, Any]:
    return {
        "field_labels": {name: f.label for name, f in conditions.FIELDS.items()},
        "op_labels": {k: v[0] for k, v in conditions.OPS.items()},
        "action_labels": {k: v.label for k, v in actions.ACTIONS.items()},
        "events": dict(On.choices),
        "anchors": dict(Anchor.choices),
    }


@login_required
def rule_page(request: HttpRequest, rule_id: int) -> HttpResponse:
    _manager(request)
    rule = get_object_or_404(Rule, pk=rule_id)
    runs, next_cursor = keyset_page(
        RuleRun.objects.filter(rule=rule).select_related("conversation"),
        keys=["-id"],
        cursor=request.GET.get("cursor"),
        limit=RUNS_SHOWN,
    )
    context = {"rule": rule, "runs": runs, "next_cursor": next_cursor, **_labels()}
    return render(request, "web/automation/rule.html", context)


@login_required
@require_POST
def rule_dry_run(request: HttpRequest, rule_id: int) -> HttpResponse:
    _manager(request)
    rule = get_object_or_404(Rule, pk=rule_id)
    rows = dryrun.dry_run(rule)
    context = {
        "rule": rule,
        "rows": rows,
        "matched": sum(1 for r in rows if r.matched),
        **_labels(),
    }
    return render(request, "web/automation/dry_run.html", context)


@login_required
def run_page(request: HttpRequest, run_id: int) -> HttpResponse:
    """One run's trace: for the rule's managers, and for agents who see the conversation."""
    user = agent(request)
    run = get_object_or_404(RuleRun.objects.select_related("rule", "conversation"), pk=run_id)
    if not can_view_conversation(user, run.conversation):
        raise PermissionDenied(_("You cannot see this conversation."))
    return render(request, "web/automation/run.html", {"run": run, **_labels()})
