"""The shared inbox page: views, permissions, bounded queries, bulk actions, saved views."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from sahayak.conversations.models import Conversation, Status
from sahayak.web.models import SavedView
from tests.factories import (
    ConversationFactory,
    InboxFactory,
    MessageFactory,
    TeamFactory,
    UserFactory,
)

from .conftest import signed_in

pytestmark = pytest.mark.django_db


def waiting(n: int, **kwargs):
    now = timezone.now()
    made = []
    for i in range(n):
        conversation = ConversationFactory(waiting_since=now - timedelta(minutes=i + 1), **kwargs)
        MessageFactory(conversation=conversation, text=f"question number {i}")
        made.append(conversation)
    return made


def test_anonymous_visitors_are_sent_to_the_login_page(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_login_page_signs_an_agent_in(client, admin):
    admin.set_password("s3cret-pass")
    admin.save()
    response = client.post("/login/", {"username": "owner", "password": "s3cret-pass"})
    assert response.status_code == 302
    assert client.get("/").status_code == 200


def test_unassigned_view_lists_waiting_conversations_longest_waiting_first(web):
    conversations = waiting(3)
    answered = ConversationFactory(waiting_since=None, subject="Ball with the customer")
    body = web.get("/").content.decode()
    positions = [body.index(f"#{c.pk}<") for c in reversed(conversations)]
    assert positions == sorted(positions), "oldest waiting must come first"
    # Sorting never hides: the conversation not waiting is listed after the waiting ones.
    assert body.index(f"#{answered.pk}<") > positions[-1]
    assert "question number 0" in body  # preview of the last message


def test_mine_view_shows_only_my_conversations(web, admin, outsider):
    mine = waiting(1, assignee=admin)[0]
    theirs = waiting(1, assignee=outsider)[0]
    body = web.get("/?view=mine").content.decode()
    assert f"#{mine.pk}<" in body
    assert f"#{theirs.pk}<" not in body


def test_status_channel_and_team_views_filter(web):
    team = TeamFactory(name="Returns")
    solved = ConversationFactory(status=Status.SOLVED, channel="sms", team=team)
    other = ConversationFactory(status=Status.OPEN, channel="api")
    body = web.get(f"/?view=all&status=solved&sort=newest&team={team.pk}").content.decode()
    assert f"#{solved.pk}<" in body and f"#{other.pk}<" not in body
    body = web.get("/?view=all&status=any&sort=newest&channel=sms").content.decode()
    assert f"#{solved.pk}<" in body and f"#{other.pk}<" not in body


def _count_queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx)


def test_inbox_query_count_does_not_grow_with_rows(web):
    waiting(3)
    few = _count_queries(web, "/?view=all")
    waiting(40, subject="More")
    many = _count_queries(web, "/?view=all")
    assert few == many
    assert many <= 20  # 15, and 5 for the first-run checklist an administrator still sees


def test_inbox_pages_with_a_cursor_and_survives_a_bad_one(web):
    waiting(60)
    first = web.get("/?view=all").content.decode()
    assert 'rel="next"' in first
    cursor = first.split("cursor=")[1].split('"')[0]
    second = web.get(f"/?view=all&cursor={cursor}").content.decode()
    assert second.count('name="ids"') == 10
    assert web.get("/?view=all&cursor=garbage!").status_code == 302


def test_private_team_conversations_are_hidden_from_outsiders(outsider, private_team):
    secret = waiting(1, team=private_team, subject="Secret VIP matter")[0]
    body = signed_in(outsider).get("/?view=all").content.decode()
    assert "Secret VIP matter" not in body
    assert f"#{secret.pk}<" not in body


def test_bulk_assign_status_and_tag(web, admin, outsider):
    conversations = waiting(3)
    ids = [c.pk for c in conversations[:2]]
    web.post("/inbox/bulk/", {"ids": ids, "action": "assign", "value_assign": outsider.pk})
    web.post("/inbox/bulk/", {"ids": ids, "action": "status", "value_status": "pending"})
    web.post("/inbox/bulk/", {"ids": ids, "action": "tag", "value_tag": "Refund"})
    for c in Conversation.objects.filter(pk__in=ids):
        assert c.assignee_id == outsider.pk
        assert c.status == "pending"
        assert list(c.tags.values_list("name", flat=True)) == ["refund"]
    untouched = Conversation.objects.get(pk=conversations[2].pk)
    assert untouched.assignee_id is None and untouched.status == "new"


def test_bulk_actions_skip_conversations_the_agent_cannot_see(outsider, private_team):
    secret = waiting(1, team=private_team)[0]
    signed_in(outsider).post(
        "/inbox/bulk/", {"ids": [secret.pk], "action": "status", "value_status": "closed"}
    )
    secret.refresh_from_db()
    assert secret.status == "new"


def test_saved_views_are_kept_per_agent(web, admin):
    web.post(
        "/inbox/views/", {"name": "Urgent SMS", "query": "view=all&channel=sms&priority=urgent"}
    )
    view = SavedView.objects.get(owner=admin)
    assert "channel=sms" in view.query and "priority=urgent" in view.query
    assert "Urgent SMS" in web.get("/").content.decode()
    other = signed_in(UserFactory())
    assert "Urgent SMS" not in other.get("/").content.decode()
    web.post(f"/inbox/views/{view.pk}/delete/")
    assert not SavedView.objects.exists()


def test_live_refresh_partial_returns_only_the_list(web):
    waiting(2)
    response = web.get("/?view=all&partial=list", HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="inbox-list"')
    assert "<html" not in body


def test_id_parsing_accepts_numbers_and_refuses_everything_else():
    from sahayak.ids import MAX_ID, parse_id

    assert parse_id("42") == 42 and parse_id(" #7 ") == 7
    assert parse_id(str(MAX_ID)) == MAX_ID
    for bad in ("", None, "0", "-3", "4.2", "x", str(MAX_ID + 1), "٣", "²"):
        assert parse_id(bad) is None, bad


def test_every_link_of_the_views_panel_has_a_count(web, admin, private_team, outsider):
    team = TeamFactory(name="Billing")
    waiting(2, team=team, channel="email", inbox=InboxFactory(channel="email"))
    waiting(1, channel="sms", status="pending", inbox=InboxFactory(channel="sms"))
    waiting(1, team=private_team)  # the admin sees private teams too
    view = SavedView.objects.create(
        owner=admin, name="SMS", query="view=all&channel=sms&status=any"
    )
    body = web.get("/?view=all").content.decode()
    assert f'data-count="team:{team.pk}"' in body and f'data-count="saved:{view.pk}"' in body
    counts = web.get("/inbox/counts/").json()["counts"]
    assert counts[f"team:{team.pk}"] == 2
    assert counts["channel:email"] == 2 and counts["channel:sms"] == 1
    assert counts["status:pending"] == 1
    assert counts[f"saved:{view.pk}"] == 1
    assert counts["view:unassigned"] == 4


def test_view_counts_leave_out_what_the_agent_may_not_see(outsider, private_team):
    waiting(3, team=private_team)
    counts = signed_in(outsider).get("/inbox/counts/").json()["counts"]
    assert counts["view:unassigned"] == 0
    assert f"team:{private_team.pk}" not in counts


def test_view_counts_stop_at_the_cap(web, monkeypatch):
    from sahayak.conversations import queries

    monkeypatch.setattr(queries, "COUNT_CAP", 2)
    waiting(5)
    data = web.get("/inbox/counts/").json()
    assert data["counts"]["view:unassigned"] == 3  # "more than 2": the page shows "2+"
