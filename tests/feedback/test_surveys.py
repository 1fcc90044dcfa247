"""CSAT and NPS surveys end to end: sent after a solve in the customer's language over a
real SMTP exchange, answered from the link (a scanner's GET spends nothing), changed while
open, refused when closed; the rules that hold a survey back; NPS campaigns at a rate."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from sahayak.contacts.models import Identity, Order
from sahayak.conversations import services
from sahayak.conversations.delivery import deliver
from sahayak.conversations.models import Event, Inbox, Message, Tag
from sahayak.conversations.pipeline import receive
from sahayak.feedback import sending, surveys
from sahayak.feedback.models import Campaign, Survey, SurveySettings
from sahayak.integrations.models import OutboxItem
from sahayak.integrations.outbox import deliver as deliver_outbox

from ..conftest import client_for, inbound
from ..factories import ContactFactory, make_rule

pytestmark = pytest.mark.django_db


@pytest.fixture
def email_inbox(db: Any) -> Inbox:
    inbox = Inbox.objects.create(
        name="Support mail", channel="email", config={"address": "help@shop.example"}
    )
    SurveySettings.objects.create(inbox=inbox, enabled=True, delay_minutes=0, once_per_days=7)
    return inbox


def _solved(inbox: Inbox, admin: Any, address: str = "asha@mail.example", locale: str = "") -> Any:
    result = receive(
        inbound(
            inbox, sender_address=address, external_id=f"<{address}-{timezone.now().timestamp()}@x>"
        )
    )
    conversation = result.conversation
    if locale:
        conversation.contact.locale = locale
        conversation.contact.save(update_fields=["locale"])
    services.set_status(conversation=conversation, status="solved", actor=admin)
    conversation.refresh_from_db()
    return conversation


def _survey_message(conversation: Any) -> Message:
    return Message.objects.get(conversation=conversation, metadata__automatic="csat")


def test_a_solve_sends_a_rating_request_by_email_in_the_customers_language(
    email_inbox: Inbox, admin: Any, smtp_sink: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        conversation = _solved(email_inbox, admin, locale="fr")
    assert sending.send_due() == 1
    message = _survey_message(conversation)
    assert deliver(message.pk) == "sent"
    mail = smtp_sink.parsed()
    assert "asha@mail.example" in mail["To"]
    assert "demande" in mail["Subject"]  # French
    body = mail.get_body(("plain",)).get_content()
    assert "/survey/" in body
    html = mail.get_body(("html",)).get_content()
    links = re.findall(r'href="([^"]+)"', html)
    assert len(links) == 5 and links[0].endswith("?score=1")
    survey = Survey.objects.get(conversation=conversation)
    assert survey.state == "sent" and survey.language == "fr"


def test_a_scanners_get_records_nothing_and_the_post_records_the_answer(
    email_inbox: Inbox, admin: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        conversation = _solved(email_inbox, admin)
    sending.send_due()
    survey = Survey.objects.get(conversation=conversation)
    path = surveys.link(survey, 2).split("localhost:8000", 1)[-1]
    customer = Client(enforce_csrf_checks=False)
    page = customer.get(path)
    assert page.status_code == 200 and b'value="2" required checked' in page.content
    survey.refresh_from_db()
    assert survey.score is None and survey.state == "sent"
    with django_capture_on_commit_callbacks(execute=True):
        answered = customer.post(path.split("?")[0], {"score": "2", "comment": "Trop lent"})
    assert answered.status_code == 200
    survey.refresh_from_db()
    assert (survey.score, survey.comment, survey.state) == (2, "Trop lent", "answered")
    event = Event.objects.get(conversation=conversation, kind="rated")
    assert event.data["to"] == 2 and event.data["comment"] == "Trop lent"
    # changed while open: a second event, old -> new
    customer.post(path.split("?")[0], {"score": "4"})
    survey.refresh_from_db()
    assert survey.score == 4
    assert Event.objects.filter(conversation=conversation, kind="rated").count() == 2


def test_a_forged_or_closed_link_is_refused_clearly(
    email_inbox: Inbox, admin: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        conversation = _solved(email_inbox, admin)
    sending.send_due()
    survey = Survey.objects.get(conversation=conversation)
    customer = Client()
    forged = surveys.token_of(survey)[:-3] + "abc"
    assert customer.get(f"/survey/{forged}/").status_code == 404
    assert customer.post(f"/survey/{surveys.token_of(survey)}/", {"score": "9"}).status_code == 400
    Survey.objects.filter(pk=survey.pk).update(open_until=timezone.now() - timedelta(seconds=1))
    late = customer.post(f"/survey/{surveys.token_of(survey)}/", {"score": "5"})
    assert late.status_code == 400 and "closed" in late.content.decode()
    assert customer.get(f"/survey/{surveys.token_of(survey)}/").status_code == 410


def test_the_rules_that_hold_a_survey_back(
    email_inbox: Inbox, admin: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        _solved(email_inbox, admin, address="ravi@mail.example")
    sending.send_due()
    # the same customer again within 7 days: not asked twice
    with django_capture_on_commit_callbacks(execute=True):
        _solved(email_inbox, admin, address="ravi@mail.example")
    sending.send_due()
    reasons = list(Survey.objects.order_by("id").values_list("state", "skip_reason"))
    assert reasons == [("sent", ""), ("skipped", "recent")]
    # tagged to get no survey
    with django_capture_on_commit_callbacks(execute=True):
        tagged = _solved(email_inbox, admin, address="mira@mail.example")
    tagged.tags.add(Tag.objects.create(name="no-survey"))
    sending.send_due()
    assert Survey.objects.get(conversation=tagged).skip_reason == "tag"
    # reopened before the survey was due
    SurveySettings.objects.filter(inbox=email_inbox).update(delay_minutes=60)
    with django_capture_on_commit_callbacks(execute=True):
        reopened = _solved(email_inbox, admin, address="omar@mail.example")
    services.set_status(conversation=reopened, status="open", actor=admin)
    Survey.objects.filter(conversation=reopened).update(due_at=timezone.now())
    sending.send_due()
    assert Survey.objects.get(conversation=reopened).skip_reason == "reopened"
    # an inbox without survey settings asks nothing
    quiet = Inbox.objects.create(name="Quiet", channel="email")
    with django_capture_on_commit_callbacks(execute=True):
        _solved(quiet, admin, address="zoe@mail.example")
    assert not Survey.objects.filter(inbox_id=quiet.pk).exists()


def test_an_agent_asks_by_hand_over_the_api(
    email_inbox: Inbox, admin: Any, outsider: Any, django_capture_on_commit_callbacks: Any
) -> None:
    SurveySettings.objects.filter(inbox=email_inbox).update(enabled=False)
    with django_capture_on_commit_callbacks(execute=True):
        conversation = _solved(email_inbox, admin)
    response = client_for(admin).post(f"/api/v1/conversations/{conversation.pk}/csat")
    assert response.status_code == 201, response.content
    assert response.json()["state"] == "sent"
    assert _survey_message(conversation).channel == "email"
    # the answers list is for managers
    assert client_for(outsider).get("/api/v1/surveys").status_code == 403


def test_a_bad_rating_starts_a_rule(
    email_inbox: Inbox, admin: Any, django_capture_on_commit_callbacks: Any
) -> None:
    make_rule(
        "Follow up bad ratings",
        events=["rated"],
        conditions={
            "match": "all",
            "items": [{"field": "rating", "op": "in", "value": ["1", "2"]}],
        },
        actions=[{"type": "add_tags", "value": ["unhappy"]}],
    )
    with django_capture_on_commit_callbacks(execute=True):
        conversation = _solved(email_inbox, admin)
    sending.send_due()
    survey = Survey.objects.get(conversation=conversation)
    with django_capture_on_commit_callbacks(execute=True):
        surveys.answer(surveys.token_of(survey), 1, "Nobody helped")
    assert list(conversation.tags.values_list("name", flat=True)) == ["unhappy"]


def test_nps_campaign_asks_the_segment_at_its_rate(
    admin: Any, smtp_sink: Any, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.EMAIL_BACKEND = "sahayak.connectors.email.backend.RelayEmailBackend"  # real SMTP
    recent, old, none = ContactFactory(locale="hi"), ContactFactory(), ContactFactory()
    for contact, n in ((recent, 1), (old, 2), (none, 3)):
        Identity.objects.create(contact=contact, kind="email", address=f"c{n}@mail.example")
    now = timezone.now()
    Order.objects.create(
        contact=recent,
        external_ref="A1",
        amount=10,
        currency="INR",
        ordered_at=now - timedelta(days=5),
    )
    Order.objects.create(
        contact=old,
        external_ref="A2",
        amount=10,
        currency="INR",
        ordered_at=now - timedelta(days=400),
    )
    response = client_for(admin).post(
        "/api/v1/nps-campaigns", {"name": "Q4", "ordered_within_days": 90, "per_hour": 60}
    )
    assert response.status_code == 201 and response.json()["queued"] == 1
    assert sending.start_campaign(Campaign.objects.get()) == 0  # nobody twice
    with django_capture_on_commit_callbacks(execute=True):
        assert sending.send_due() == 1
    item = OutboxItem.objects.get(source="nps")
    assert deliver_outbox(item.pk) == "sent"
    mail = smtp_sink.parsed()
    assert "c1@mail.example" in mail["To"]
    text = mail.get_body(("plain",)).get_content()
    link = re.search(r"https?://\S+", text).group(0)
    token = link.rstrip("/").split("/")[-1]
    with django_capture_on_commit_callbacks(execute=True):
        surveys.answer(token, 10, "")
    assert Survey.objects.get(kind="nps").score == 10


def test_campaign_surveys_are_spread_at_the_rate(admin: Any) -> None:
    for n in range(5):
        contact = ContactFactory()
        Identity.objects.create(contact=contact, kind="email", address=f"r{n}@mail.example")
    campaign = Campaign.objects.create(name="All", per_hour=120)
    assert sending.start_campaign(campaign) == 5
    dues = list(Survey.objects.order_by("due_at").values_list("due_at", flat=True))
    assert (dues[-1] - dues[0]).total_seconds() == pytest.approx(4 * 30, abs=1)


def test_answers_to_one_survey_are_rate_limited(
    email_inbox: Inbox, admin: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        conversation = _solved(email_inbox, admin)
    sending.send_due()
    url = f"/survey/{surveys.token_of(Survey.objects.get(conversation=conversation))}/"
    customer = Client()
    codes = [customer.post(url, {"score": str(1 + n % 5)}).status_code for n in range(31)]
    assert codes[:30] == [200] * 30 and codes[30] == 429


def test_bad_campaigns_and_answer_pages_are_refused_clearly(admin: Any) -> None:
    api = client_for(admin)
    assert api.post("/api/v1/nps-campaigns", {"name": " ", "per_hour": 10}).status_code == 422
    assert api.post("/api/v1/nps-campaigns", {"name": "Q1", "per_hour": 0}).status_code == 422
    assert api.post("/api/v1/nps-campaigns", {"name": "Q1", "per_hour": "x"}).status_code == 422
    assert not Campaign.objects.exists()
    assert api.get("/api/v1/surveys?limit=abc").status_code == 422
    assert Client().get("/survey/not-a-token/").status_code == 404
