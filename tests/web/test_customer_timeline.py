"""The contact page's timeline: messages of every channel, orders, survey answers and the
articles read in the portal, newest first, filterable, paged, and only what the agent may
see."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from sahayak.contacts.models import Order
from sahayak.feedback.models import Survey
from sahayak.portal.models import ArticleRead
from sahayak.portal.session import SESSION_KEY
from tests.factories import ContactFactory, ConversationFactory, MessageFactory, make_article

from .conftest import signed_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def meera():
    contact = ContactFactory(name="Meera")
    now = timezone.now()
    by_mail = ConversationFactory(contact=contact, channel="email", subject="Parcel late")
    MessageFactory(conversation=by_mail, channel="email", text="Where is ORD-7?")
    by_sms = ConversationFactory(contact=contact, channel="sms", subject="SMS question")
    MessageFactory(conversation=by_sms, channel="sms", text="Hello by SMS")
    MessageFactory(conversation=by_sms, direction="note", text="internal only")
    Order.objects.create(
        contact=contact,
        external_ref="ORD-7",
        amount=Decimal("49.90"),
        currency="EUR",
        status="shipped",
        ordered_at=now - timedelta(days=3),
    )
    Survey.objects.create(
        kind="csat",
        contact=contact,
        conversation=by_mail,
        due_at=now,
        score=4,
        comment="Quick and kind",
        answered_at=now - timedelta(hours=1),
    )
    return contact


def test_every_kind_of_interaction_in_one_list_newest_first(web, meera):
    body = web.get(f"/contacts/{meera.pk}/").content.decode()
    timeline = body.split('id="timeline-title"')[1].split("</section>")[0]
    for text in ("Where is ORD-7?", "Hello by SMS", "ORD-7", "Rated 4 of 5", "Quick and kind"):
        assert text in timeline
    assert "internal only" not in timeline  # notes are not interactions with the customer
    assert (
        timeline.index("Hello by SMS") < timeline.index("Rated 4 of 5") < timeline.index("Shipped")
    )


def test_the_timeline_filters_by_kind(web, meera):
    body = web.get(f"/contacts/{meera.pk}/", {"show": "order"}).content.decode()
    timeline = body.split('id="timeline-title"')[1].split("</section>")[0]
    assert "ORD-7" in timeline and "Hello by SMS" not in timeline and "Rated" not in timeline


def test_articles_read_in_the_portal_join_the_timeline(web, meera):
    translation = make_article("Returns in 30 days", "Send it back.")
    customer = Client()
    session = customer.session
    session[SESSION_KEY] = meera.pk
    session.save()
    customer.get(translation.get_absolute_url())
    customer.get(translation.get_absolute_url())  # read again at once: still one read
    assert ArticleRead.objects.filter(contact=meera).count() == 1
    body = web.get(f"/contacts/{meera.pk}/", {"show": "article"}).content.decode()
    assert "Returns in 30 days" in body


def test_the_timeline_pages_back_in_time(web, meera, monkeypatch):
    from sahayak.web import timeline

    monkeypatch.setattr(timeline, "PAGE", 2)
    first = web.get(f"/contacts/{meera.pk}/").content.decode()
    assert "Earlier" in first
    older = first.split('rel="next" href="')[-1].split('"')[0].replace("&amp;", "&")
    second = web.get(f"/contacts/{meera.pk}/{older}").content.decode()
    assert "Shipped" in second.split('id="timeline-title"')[1]


def test_messages_of_a_private_team_stay_hidden(outsider, private_team):
    contact = ContactFactory()
    secret = ConversationFactory(contact=contact, team=private_team)
    MessageFactory(conversation=secret, text="VIP secret matter")
    body = signed_in(outsider).get(f"/contacts/{contact.pk}/").content.decode()
    assert "VIP secret matter" not in body
