"""Canned replies and macros in the reply box: typing "/" and a few letters lists the
matching replies, each already in the customer's language with its placeholders filled in;
a macro runs its actions in one click."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_POST

from sahayak.automation import canned, macros

from .common import agent, conversation_for, htmx_done, htmx_failed, login_required

PICKER_SIZE = 8


@login_required
def suggestions(request: HttpRequest, conversation_id: int) -> HttpResponse:
    """The picker's items for ``q`` (htmx fragment)."""
    conversation = conversation_for(request, conversation_id)
    user = agent(request)
    replies = canned.search(user, request.GET.get("q", "")[:100], limit=PICKER_SIZE)
    values = canned.values_for(conversation, user) if replies else {}
    items = [
        {"reply": r, "ready": canned.for_customer(r, conversation, user, values)} for r in replies
    ]
    return render(
        request,
        "web/partials/canned_suggestions.html",
        {"c": conversation, "items": items, "query": request.GET.get("q", "")},
    )


@login_required
@require_POST
def used(request: HttpRequest, conversation_id: int, reply_id: int) -> HttpResponse:
    """The agent inserted this reply: count it."""
    conversation_for(request, conversation_id)
    reply = canned.visible_to(agent(request)).filter(pk=reply_id).first()
    if reply is None:
        raise Http404
    canned.count_use(reply)
    return HttpResponse(status=204)


@login_required
@require_POST
def run_macro(request: HttpRequest, conversation_id: int, macro_id: int) -> HttpResponse:
    """Apply a macro (its fields from the form) to the conversation."""
    conversation = conversation_for(request, conversation_id)
    user = agent(request)
    macro = macros.visible_to(user).filter(pk=macro_id).first()
    if macro is None:
        raise Http404
    filled = {f["name"]: request.POST.get(f"field-{f['name']}", "") for f in macro.fields}
    try:
        macros.apply(macro, conversation, user, filled)
    except macros.MacroError as exc:
        return htmx_failed(request, conversation, str(exc))
    return htmx_done(request, conversation, "sahayak:changed")
