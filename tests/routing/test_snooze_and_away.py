"""Snooze (out of the inbox, clocks paused, back on time or when the customer writes) and
out-of-office replies (in the customer's language, saying when the team is back)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.utils import timezone

from sahayak.conversations import queries
from sahayak.conversations.events import EventKind
from sahayak.conversations.models import Event, Message
from sahayak.conversations.pipeline import receive
from sahayak.conversations.services import ConversationError, snooze, wake_due
from sahayak.routing import deadlines, sla
from sahayak.routing.calendars import ALWAYS
from sahayak.routing.models import Calendar, ConversationSla, RoutingPolicy, SlaPolicy
from sahayak.routing.sla import Fact, Targets
from tests.conftest import client_for, inbound
from tests.web.conftest import signed_in

pytestmark = pytest.mark.django_db
H = timedelta(hours=1)
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def open_views(user: Any) -> list[int]:
    f = queries.ConversationFilter(statuses=["new", "open", "pending", "on_hold"])
    return list(queries.filtered(user, f).values_list("id", flat=True))


def test_snoozed_conversations_leave_the_open_views_and_come_back_on_time(
    admin, api_inbox, django_capture_on_commit_callbacks
):
    conversation = receive(inbound(api_inbox)).conversation
    snooze(conversation=conversation, until=timezone.now() + H, actor=admin)
    assert conversation.pk not in open_views(admin)
    snoozed = queries.ConversationFilter(statuses=[], snoozed=True)
    assert list(queries.filtered(admin, snoozed).values_list("id", flat=True)) == [conversation.pk]
    assert wake_due() == 0
    type(conversation).objects.filter(pk=conversation.pk).update(
        snoozed_until=timezone.now() - timedelta(seconds=1)
    )
    assert wake_due() == 1
    assert conversation.pk in open_views(admin)
    assert Event.objects.filter(conversation=conversation, kind=EventKind.WOKEN).exists()


def test_the_customer_writing_wakes_a_snoozed_conversation(admin, api_inbox):
    first = receive(inbound(api_inbox, external_id="a", thread_key="t-1")).conversation
    snooze(conversation=first, until=timezone.now() + 24 * H, actor=admin)
    again = receive(inbound(api_inbox, external_id="b", thread_key="t-1"))
    assert again.conversation.pk == first.pk
    first.refresh_from_db()
    assert first.snoozed_until is None
    woken = Event.objects.get(conversation=first, kind=EventKind.WOKEN)
    assert woken.data["reason"] == "customer_reply"


def test_snooze_refuses_the_past_and_closed_conversations(admin, api_inbox):
    conversation = receive(inbound(api_inbox)).conversation
    with pytest.raises(ConversationError):
        snooze(conversation=conversation, until=timezone.now() - H, actor=admin)
    conversation.status = "solved"
    with pytest.raises(ConversationError):
        snooze(conversation=conversation, until=timezone.now() + H, actor=admin)


def test_snooze_pauses_the_clocks():
    facts = [Fact(T0, "created"), Fact(T0 + H, "snooze"), Fact(T0 + 3 * H, "wake")]
    result = sla.clocks(facts, Targets(first_response=2 * H), ALWAYS)
    assert result["first_response"]["due"] == (T0 + 4 * H).isoformat()
    asleep = sla.clocks(facts[:2], Targets(first_response=2 * H), ALWAYS)
    assert asleep["first_response"]["state"] == sla.PAUSED


def test_stored_clocks_pause_while_snoozed(admin, api_inbox, django_capture_on_commit_callbacks):
    SlaPolicy.objects.create(name="Std", first_response_minutes=60, business_hours=False)
    with django_capture_on_commit_callbacks(execute=True):
        conversation = receive(inbound(api_inbox)).conversation
        snooze(conversation=conversation, until=timezone.now() + H, actor=admin)
    row = ConversationSla.objects.get(pk=conversation.pk)
    assert deadlines.clocks_of(row)["first_response"]["state"] == sla.PAUSED
    assert row.next_due is None


def test_snooze_from_the_workspace_and_the_api(admin, api_inbox):
    conversation = receive(inbound(api_inbox)).conversation
    client = signed_in(admin)
    assert client.post(f"/c/{conversation.pk}/snooze/", {"preset": "tomorrow"}).status_code == 302
    conversation.refresh_from_db()
    assert conversation.snoozed_until is not None and conversation.snoozed_until > timezone.now()
    listing = client.get("/?view=snoozed").content.decode()
    assert f'id="row-{conversation.pk}"' in listing and "Snoozed until" in listing
    assert f'id="row-{conversation.pk}"' not in client.get("/?view=all").content.decode()
    client.post(f"/c/{conversation.pk}/wake/")
    conversation.refresh_from_db()
    assert conversation.snoozed_until is None
    api = client_for(admin)
    past = api.post(
        f"/api/v1/conversations/{conversation.pk}/snooze", {"until": "2020-01-01T00:00:00Z"}
    )
    assert past.status_code == 422
    later = (timezone.now() + H).isoformat()
    assert (
        api.post(f"/api/v1/conversations/{conversation.pk}/snooze", {"until": later}).status_code
        == 200
    )
    assert api.get(f"/api/v1/conversations/{conversation.pk}").json()["snoozed_until"] is not None
    bad = client.post(f"/c/{conversation.pk}/snooze/", {"until": "someday"})
    assert bad.status_code == 302  # back to the page with the reason shown


# --- out of office ---------------------------------------------------------------------


def closed_today(inbox: Any, **kw: Any) -> Calendar:
    """Business hours on a weekday other than today's, so the team is closed now."""
    other = (timezone.now().weekday() + 3) % 7
    calendar = Calendar.objects.create(
        name="Paris",
        time_zone="Europe/Paris",
        weekly={str(other): [["09:00", "17:00"]]},
        away_reply=True,
        **kw,
    )
    RoutingPolicy.objects.create(inbox=inbox, calendar=calendar)
    return calendar


def away_replies() -> list[Message]:
    return list(Message.objects.filter(metadata__automatic="out_of_office"))


def test_a_customer_writing_while_closed_is_told_when_the_team_is_back_in_their_language(
    api_inbox, django_capture_on_commit_callbacks
):
    closed_today(api_inbox)
    with django_capture_on_commit_callbacks(execute=True):
        receive(
            inbound(
                api_inbox,
                text="Bonjour, ma commande n'est toujours pas arrivée, pouvez-vous vérifier ?",
                thread_key="fr-1",
            )
        )
    [reply] = away_replies()
    assert "Merci pour votre message" in reply.text and "09:00 (heure" in reply.text
    with django_capture_on_commit_callbacks(execute=True):
        receive(
            inbound(
                api_inbox, text="Encore moi : toujours rien.", external_id="2", thread_key="fr-1"
            )
        )
    assert len(away_replies()) == 1  # once per quiet period


def test_the_calendars_own_text_and_the_customers_time_zone(
    api_inbox, django_capture_on_commit_callbacks
):
    closed_today(api_inbox, away_messages={"*": "Closed. Back {opens}."})
    with django_capture_on_commit_callbacks(execute=True):
        result = receive(inbound(api_inbox, text="Where is my parcel? It was due last week."))
    contact = result.contact
    contact.time_zone = "Asia/Kolkata"
    contact.save()
    Message.objects.filter(metadata__automatic="out_of_office").delete()
    with django_capture_on_commit_callbacks(execute=True):
        receive(inbound(api_inbox, text="Any news on my parcel?", external_id="2"))
    [reply] = away_replies()
    # 09:00 in Paris is 13:30 in Kolkata in winter, 12:30 in summer.
    assert reply.text.startswith("Closed. Back ") and "(India Standard Time)" in reply.text
    assert "1:30\u202fPM" in reply.text or "12:30\u202fPM" in reply.text


def test_no_away_reply_when_open_or_to_automated_mail(
    api_inbox, django_capture_on_commit_callbacks
):
    calendar = closed_today(api_inbox)
    with django_capture_on_commit_callbacks(execute=True):
        receive(inbound(api_inbox, metadata={"email": {"automated": True}}))
    assert away_replies() == []
    calendar.weekly = {str(d): [["00:00", "00:00"]] for d in range(7)}
    calendar.save()
    with django_capture_on_commit_callbacks(execute=True):
        receive(inbound(api_inbox, external_id="open-now", sender_address="b@mail.example"))
    assert away_replies() == []
