"""Automation rules as listeners of the core's events: each action type, the admin's order,
once per event, the loop stop, robots, one answer per customer message, the trace, the
dry run, and the rules shipped by default."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from django.utils import timezone

from sahayak.automation import canned, dryrun, engine, rulebook
from sahayak.automation.conditions import Facts
from sahayak.automation.models import CannedReply, Rule, RuleOutcome, RuleRun
from sahayak.conversations import services
from sahayak.conversations.events import EventKind
from sahayak.conversations.models import Conversation, Event, Message
from sahayak.conversations.pipeline import receive
from sahayak.integrations import outbox
from sahayak.integrations.models import OutboxItem, OutboxStatus
from sahayak.integrations.signing import sign
from sahayak.notifications.models import Notification
from sahayak.routing.models import AgentRouting, Policy, Presence, RoutingPolicy
from tests.conftest import inbound
from tests.factories import (
    ContactFactory,
    ConversationFactory,
    InboxFactory,
    TeamFactory,
    UserFactory,
    make_rule,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def inbox() -> Any:
    return InboxFactory(channel="api")


def write(inbox: Any, capture: Any, **kw: Any) -> Conversation:
    """A customer writes (the pipeline stores it and commits; listeners react)."""
    with capture(execute=True):
        result = receive(inbound(inbox, **kw))
    result.conversation.refresh_from_db()
    return result.conversation


def runs(rule: Rule) -> list[RuleRun]:
    return list(RuleRun.objects.filter(rule=rule).order_by("id"))


# --- actions -------------------------------------------------------------------------------


def test_field_actions_change_the_conversation_as_the_system(
    inbox, django_capture_on_commit_callbacks
):
    team, agent = TeamFactory(name="Billing"), UserFactory()
    rule = make_rule(
        actions=[
            {"type": "priority", "value": "urgent"},
            {"type": "add_tags", "value": ["Refund", "vip"]},
            {"type": "remove_tags", "value": ["vip"]},
            {"type": "team", "value": team.pk},
            {"type": "assign", "value": agent.pk},
            {"type": "set_field", "name": "plan", "value": "gold"},
            {"type": "note", "text": "Seen {{ customer.first_name }}"},
            {"type": "status", "value": "pending"},
        ]
    )
    c = write(inbox, django_capture_on_commit_callbacks, sender_name="Asha Rao")
    assert (c.priority, c.team_id, c.assignee_id, c.status) == (
        "urgent",
        team.pk,
        agent.pk,
        "pending",
    )
    assert sorted(c.tags.values_list("name", flat=True)) == ["refund"]
    assert c.custom_fields == {"plan": "gold"}
    assert c.messages.filter(direction="note").get().text == "Seen Asha"
    changes = Event.objects.filter(conversation=c, kind=EventKind.PRIORITY).get()
    assert changes.actor is None and changes.data["cause"] == [f"rule:{rule.pk}"]
    [run] = runs(rule)
    assert [a["result"] for a in run.actions] == ["done"] * 8
    assert Rule.objects.get(pk=rule.pk).run_count == 1


def test_reply_with_a_canned_reply_in_the_customers_language(
    inbox, django_capture_on_commit_callbacks
):
    reply = canned.save_reply(
        CannedReply(title="Refund policy"),
        [("en", "Hello {{ customer.first_name }}"), ("fr", "Bonjour {{ customer.first_name }}")],
    )
    make_rule(actions=[{"type": "reply", "canned_reply_id": reply.pk}])
    c = write(
        inbox,
        django_capture_on_commit_callbacks,
        sender_name="Élodie",
        text="Bonjour, où est mon remboursement ? Merci beaucoup",
        locale="fr",
    )
    sent = c.messages.get(direction="out")
    assert sent.text == "Bonjour Élodie"
    assert sent.metadata["automatic"].startswith("rule:")
    assert c.first_response_at is None  # a rule's reply is no agent's first response


def test_never_answers_one_customer_message_twice(inbox, django_capture_on_commit_callbacks):
    first = make_rule("First", actions=[{"type": "reply", "text": "One"}])
    second = make_rule(
        "Second", actions=[{"type": "reply", "text": "Two"}, {"type": "add_tags", "value": ["b"]}]
    )
    c = write(inbox, django_capture_on_commit_callbacks)
    assert list(c.messages.filter(direction="out").values_list("text", flat=True)) == ["One"]
    [run] = runs(second)
    assert [a["result"] for a in run.actions] == ["skipped", "done"]
    assert "already answered" in run.actions[0]["detail"]
    assert runs(first)[0].actions[0]["result"] == "done"
    # The customer's next message may be answered again.
    write(inbox, django_capture_on_commit_callbacks, text="Still there?", conversation_id=c.pk)
    assert c.messages.filter(direction="out").count() == 2


def test_robots_are_never_answered_but_other_actions_still_run(
    inbox, django_capture_on_commit_callbacks
):
    rule = make_rule(
        actions=[{"type": "reply", "text": "Thanks!"}, {"type": "add_tags", "value": ["bounce"]}]
    )
    c = write(
        inbox,
        django_capture_on_commit_callbacks,
        sender_address="mailer-daemon@mail.example",
        metadata={"email": {"automated": "mailer-daemon"}},
    )
    assert not c.messages.filter(direction="out").exists()
    assert list(c.tags.values_list("name", flat=True)) == ["bounce"]
    [run] = runs(rule)
    assert run.actions[0]["result"] == "skipped" and "automated" in run.actions[0]["detail"]


def test_email_notify_and_webhook_go_through_the_outbox(
    inbox, django_capture_on_commit_callbacks, webhook_server, settings
):
    url, recorder = webhook_server
    recorder.statuses = [503]  # the first attempt fails: retried, then delivered
    team = TeamFactory(name="Leads")
    lead, other = UserFactory(is_staff=False), UserFactory()
    lead.role = "supervisor"
    lead.save()
    team.members.add(lead)
    make_rule(
        actions=[
            {
                "type": "email",
                "to": "boss@shop.example",
                "subject": "VIP #{{ conversation.number }}",
                "text": "Look",
            },
            {"type": "notify", "team": team.pk, "text": "{{ customer.name }} needs help"},
            {"type": "webhook", "url": url, "secret": "s3cret"},
        ]
    )
    c = write(inbox, django_capture_on_commit_callbacks, sender_name="Asha")
    mail = OutboxItem.objects.get(kind="email")
    assert mail.target == "boss@shop.example" and mail.payload["subject"] == f"VIP #{c.pk}"
    assert outbox.deliver(mail.pk) == OutboxStatus.SENT
    note = Notification.objects.get(recipient=lead)
    assert note.kind == "rule" and note.note == "Asha needs help"
    assert not Notification.objects.filter(recipient=other).exists()
    hook = OutboxItem.objects.get(kind="webhook")
    assert hook.payload["secret"] != "s3cret"  # sealed at rest
    assert outbox.deliver(hook.pk) == OutboxStatus.PENDING  # 503: tried again later
    OutboxItem.objects.filter(pk=hook.pk).update(next_attempt_at=timezone.now())
    assert outbox.deliver(hook.pk) == OutboxStatus.SENT
    request = recorder.requests[-1]
    body = request["body"]
    assert request["headers"]["X-Sahayak-Signature"] == sign(
        "s3cret", request["headers"]["X-Sahayak-Timestamp"], body
    )
    event = json.loads(body)
    assert event["event"] == "rule.fired" and event["conversation"]["id"] == c.pk
    hook.refresh_from_db()
    assert [line["result"] for line in hook.log] == ["failed", "sent"]


def test_a_webhook_refused_for_good_is_not_retried(webhook_server):
    url, recorder = webhook_server
    recorder.statuses = [410]
    item = outbox.enqueue_webhook(url, {"event": "x"})
    assert outbox.deliver(item.pk) == OutboxStatus.FAILED
    assert outbox.deliver(item.pk) == ""  # not due again


def test_assign_through_the_routing_policy(django_capture_on_commit_callbacks):
    team = TeamFactory(name="Support")
    inbox = InboxFactory(channel="api", team=team)
    RoutingPolicy.objects.create(inbox=inbox, policy=Policy.ROUND_ROBIN)
    agent = UserFactory(last_seen_at=timezone.now())
    team.members.add(agent)
    AgentRouting.objects.update_or_create(
        user=agent, defaults={"presence": Presence.ONLINE, "capacity": {"*": 5}}
    )
    holder = UserFactory()
    make_rule(events=["created"], actions=[{"type": "assign", "value": holder.pk}])
    make_rule(
        events=["assignee"],
        conditions={"items": [{"field": "assignee", "op": "in", "value": [holder.pk]}]},
        actions=[{"type": "assign", "value": "routing"}],
    )
    c = write(inbox, django_capture_on_commit_callbacks)
    assert c.assignee_id == agent.pk


def test_suggest_merge_lists_the_customers_other_open_conversations(
    django_capture_on_commit_callbacks,
):
    contact = ContactFactory()
    older = ConversationFactory(contact=contact, subject="Where is my parcel")
    c = ConversationFactory(contact=contact)
    rule = make_rule(actions=[{"type": "suggest_merge", "days": 30}])
    engine.run_rules([rule], Facts(c, now=timezone.now()), trigger="created", key="k")
    note = c.messages.get(direction="note")
    assert f"#{older.pk} Where is my parcel" in note.text


# --- order, once, loops -------------------------------------------------------------------


def test_rules_run_in_the_admins_order_and_see_each_others_changes(
    inbox, django_capture_on_commit_callbacks
):
    urgent = make_rule("Make urgent", actions=[{"type": "priority", "value": "urgent"}])
    tagger = make_rule(
        "Tag urgent",
        conditions={"items": [{"field": "priority", "op": "in", "value": ["urgent"]}]},
        actions=[{"type": "add_tags", "value": ["hot"]}],
    )
    c = write(inbox, django_capture_on_commit_callbacks)
    assert list(c.tags.values_list("name", flat=True)) == ["hot"]
    rulebook.reorder([tagger.pk, urgent.pk])
    c2 = write(inbox, django_capture_on_commit_callbacks, sender_address="b@mail.example")
    assert not c2.tags.exists()  # the tagger ran first and saw a normal priority
    assert c2.priority == "urgent"


def test_each_rule_runs_once_per_event(inbox, django_capture_on_commit_callbacks):
    rule = make_rule()
    c = write(inbox, django_capture_on_commit_callbacks)
    event = Event.objects.filter(conversation=c, kind=EventKind.CREATED).get()
    facts = Facts(c, now=timezone.now())
    for _ in range(3):  # the same event heard again
        engine.run_rules([rule], facts, trigger="customer_message", key="again")
    assert len(runs(rule)) == 2  # the message's run, and one for "again"
    assert event.pk


def test_a_chain_of_rules_stops_at_the_depth_limit_and_is_logged(
    django_capture_on_commit_callbacks, caplog
):
    # Step i adds tag t(i+1) once t(i) is there. Listed last step first, so that each
    # step is started by the previous one's event rather than in the same pass.
    by_step = {
        i: make_rule(
            f"Step {i}",
            events=["tags"],
            conditions={
                "items": [
                    {"field": "tags", "op": "has_any", "value": [f"t{i}"]},
                    {"field": "tags", "op": "has_none", "value": [f"t{i + 1}"]},
                ]
            },
            actions=[{"type": "add_tags", "value": [f"t{i + 1}"]}],
        )
        for i in reversed(range(8))
    }
    chain = [by_step[i] for i in range(8)]
    c = ConversationFactory()
    caplog.set_level(logging.WARNING, logger="sahayak.automation.engine")
    with django_capture_on_commit_callbacks(execute=True):
        services.set_tags(conversation=c, names=["t0"], actor=None)
    made = list(RuleRun.objects.filter(conversation=c).order_by("id"))
    assert [r.depth for r in made] == [0, 1, 2, 3, 4, 5]
    assert [r.rule_id for r in made] == [rule.pk for rule in chain[:6]]
    assert made[-1].outcome == RuleOutcome.LOOP and made[-1].actions == []
    assert all(r.outcome == RuleOutcome.DONE for r in made[:-1])
    assert sorted(c.tags.values_list("name", flat=True)) == [f"t{i}" for i in range(6)]
    assert "automation loop stopped" in caplog.text


def test_two_rules_undoing_each_other_stop_when_one_would_run_again(
    django_capture_on_commit_callbacks, caplog
):
    ping = make_rule(
        "Ping",
        events=["tags"],
        conditions={"items": [{"field": "tags", "op": "has_none", "value": ["ping"]}]},
        actions=[{"type": "add_tags", "value": ["ping"]}],
    )
    pong = make_rule(
        "Pong",
        events=["tags"],
        conditions={"items": [{"field": "tags", "op": "has_any", "value": ["ping"]}]},
        actions=[{"type": "remove_tags", "value": ["ping"]}],
    )
    c = ConversationFactory()
    caplog.set_level(logging.WARNING, logger="sahayak.automation.engine")
    with django_capture_on_commit_callbacks(execute=True):
        services.set_tags(conversation=c, names=["start"], actor=None)
    made = list(RuleRun.objects.filter(conversation=c).order_by("id"))
    assert len(made) < 10
    stopped = [r for r in made if r.outcome == RuleOutcome.LOOP]
    assert stopped and {r.rule_id for r in stopped} <= {ping.pk, pong.pk}
    assert "automation loop stopped" in caplog.text


# --- trace, activity, dry run, defaults -----------------------------------------------------


def test_the_trace_keeps_what_each_condition_saw_and_the_activity_list_links_it(
    inbox, django_capture_on_commit_callbacks, web
):
    rule = make_rule(
        "VIP",
        conditions={
            "items": [
                {"field": "message", "op": "contains", "value": "refund"},
                {"field": "channel", "op": "in", "value": ["api"]},
            ]
        },
        actions=[{"type": "add_tags", "value": ["vip"]}],
    )
    c = write(inbox, django_capture_on_commit_callbacks, text="I want a refund now")
    [run] = runs(rule)
    assert run.trigger == "customer_message"
    assert [(t["field"], t["seen"], t["result"]) for t in run.conditions] == [
        ("message", "I want a refund now", True),
        ("channel", "api", True),
    ]
    assert run.actions == [{"type": "add_tags", "result": "done", "detail": ""}]
    page = web.get(f"/c/{c.pk}/").content.decode()
    assert f"/automation/runs/{run.pk}/" in page
    trace = web.get(f"/automation/runs/{run.pk}/").content.decode()
    assert "I want a refund now" in trace and "VIP" in trace


def test_dry_run_shows_matches_and_what_would_happen_without_changing_anything():
    hit = ConversationFactory(priority="urgent", contact=ContactFactory(name="Ravi Kumar"))
    miss = ConversationFactory(priority="low")
    rule = make_rule(
        conditions={"items": [{"field": "priority", "op": "in", "value": ["urgent"]}]},
        actions=[
            {"type": "reply", "text": "Hi {{ customer.first_name }}"},
            {"type": "status", "value": "solved"},
        ],
    )
    rows = {r.conversation.pk: r for r in dryrun.dry_run(rule)}
    assert rows[hit.pk].matched and rows[hit.pk].would[0].endswith("Hi Ravi")
    assert not rows[miss.pk].matched and rows[miss.pk].trace[0]["seen"] == "low"
    assert not Message.objects.exists() and not RuleRun.objects.exists()
    hit.refresh_from_db()
    assert hit.status == "new"


def test_the_shipped_rules_exist_and_can_be_turned_off_but_not_deleted():
    ack = Rule.objects.get(builtin="acknowledgement")
    assert Rule.objects.filter(builtin="answer_bot").exists()
    with pytest.raises(rulebook.RuleError):
        rulebook.delete_rule(ack)
    ack.delete()
    assert rulebook.ensure_defaults() == 1  # recreated after the next migrate


def test_the_acknowledgement_rule_answers_new_conversations_of_its_inboxes(
    django_capture_on_commit_callbacks,
):
    quiet = InboxFactory(channel="api")
    acking = InboxFactory(channel="api", config={"auto_reply": True})
    ack = Rule.objects.get(builtin="acknowledgement")
    ack.conditions = {
        "match": "all",
        "items": [{"field": "inbox_setting", "op": "is_set", "value": "auto_reply"}],
    }
    ack.save()
    c1 = write(quiet, django_capture_on_commit_callbacks)
    c2 = write(
        acking,
        django_capture_on_commit_callbacks,
        sender_address="z@mail.example",
        locale="fr",
        text="Bonjour, ma commande n'est pas arrivée",
    )
    assert not c1.messages.filter(direction="out").exists()
    sent = c2.messages.get(direction="out")
    assert sent.metadata["automatic"] == "auto_reply" and "Merci" in sent.text
    ack.enabled = False
    ack.save()
    c3 = write(acking, django_capture_on_commit_callbacks, sender_address="y@mail.example")
    assert not c3.messages.filter(direction="out").exists()


def test_a_rule_edit_reaches_the_listener_at_the_next_event(
    inbox, django_capture_on_commit_callbacks
):
    rule = make_rule(actions=[{"type": "add_tags", "value": ["first"]}])
    write(inbox, django_capture_on_commit_callbacks)
    rule.actions = [{"type": "add_tags", "value": ["second"]}]
    rule.save()
    c = write(inbox, django_capture_on_commit_callbacks, sender_address="n@mail.example")
    assert list(c.tags.values_list("name", flat=True)) == ["second"]


def test_old_runs_and_old_outbox_rows_are_pruned_in_batches_and_waiting_rows_kept(settings):
    from datetime import timedelta

    settings.SAHAYAK_RULE_RUN_DAYS = 30
    settings.SAHAYAK_OUTBOX_KEEP_DAYS = 7
    rule = make_rule()
    c = ConversationFactory()
    for n in range(5):
        engine.run_rules([rule], Facts(c, now=timezone.now()), trigger="tags", key=f"k{n}")
    old = timezone.now() - timedelta(days=40)
    first_three = list(RuleRun.objects.order_by("id").values_list("id", flat=True)[:3])
    RuleRun.objects.filter(id__in=first_three).update(created_at=old)
    assert engine.prune_runs(batch=2) == 2
    assert engine.prune_runs(batch=2) == 1
    assert engine.prune_runs(batch=2) == 0
    assert RuleRun.objects.count() == 2
    sent = outbox.enqueue_email("a@shop.example", "s", "t")
    waiting = outbox.enqueue_email("b@shop.example", "s", "t")
    OutboxItem.objects.filter(pk=sent.pk).update(status=OutboxStatus.SENT)
    OutboxItem.objects.update(created_at=old)
    assert outbox.prune() == 1
    assert list(OutboxItem.objects.values_list("pk", flat=True)) == [waiting.pk]
