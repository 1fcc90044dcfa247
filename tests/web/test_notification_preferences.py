"""Which agent is told what: customer replies in my conversations, assignments, and the
preferences that turn them off."""

import pytest

from sahayak.conversations.inbound import InboundMessage
from sahayak.conversations.pipeline import receive
from sahayak.conversations.services import assign
from sahayak.notifications.models import Kind, Notification
from tests.factories import InboxFactory, UserFactory

pytestmark = pytest.mark.django_db


def customer_writes(inbox, ref, text="Any news?"):
    return receive(
        InboundMessage(
            channel="api",
            inbox=inbox,
            sender_kind="email",
            sender_address="meera@mail.example",
            subject="Parcel",
            text=text,
            external_id=ref,
            thread_key="parcel",
        )
    )


@pytest.fixture
def asha(db):
    return UserFactory(username="asha")


def test_the_assignee_is_told_once_when_the_customer_replies(
    asha, django_capture_on_commit_callbacks
):
    inbox = InboxFactory()
    with django_capture_on_commit_callbacks(execute=True):
        first = customer_writes(inbox, "m-1")
    assign(conversation=first.conversation, assignee=asha, actor=None)
    with django_capture_on_commit_callbacks(execute=True):
        again = customer_writes(inbox, "m-2", "Still nothing.")
    with django_capture_on_commit_callbacks(execute=True):
        customer_writes(inbox, "m-2", "Still nothing.")  # the same message delivered twice
    assert again.conversation.pk == first.conversation.pk
    told = Notification.objects.filter(recipient=asha, kind=Kind.CUSTOMER_REPLY)
    assert [n.message_id for n in told] == [again.message.pk]


def test_an_agent_who_turned_customer_replies_off_is_not_told(
    asha, django_capture_on_commit_callbacks
):
    asha.notify_customer_replies = False
    asha.save()
    inbox = InboxFactory()
    first = customer_writes(inbox, "m-1")
    assign(conversation=first.conversation, assignee=asha, actor=None)
    with django_capture_on_commit_callbacks(execute=True):
        customer_writes(inbox, "m-2")
    assert not Notification.objects.filter(kind=Kind.CUSTOMER_REPLY).exists()


def test_assignments_can_be_turned_off(asha, django_capture_on_commit_callbacks):
    asha.notify_assignments = False
    asha.save()
    first = customer_writes(InboxFactory(), "m-1")
    with django_capture_on_commit_callbacks(execute=True):
        assign(conversation=first.conversation, assignee=asha, actor=None)
    assert not Notification.objects.filter(recipient=asha).exists()


def test_the_profile_saves_the_preferences(asha):
    from .conftest import signed_in

    web = signed_in(asha)
    form = {
        "first_name": "Asha",
        "last_name": "Rao",
        "locale": "en",
        "time_zone": "UTC",
        "notify_assignments": "on",
        "claim_on_reply": "on",
    }
    web.post("/profile/", form)
    asha.refresh_from_db()
    assert asha.notify_assignments and not asha.notify_customer_replies
    assert 'id="allow-notifications"' in web.get("/profile/").content.decode()
