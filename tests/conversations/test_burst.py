"""A burst of inbound messages stored at once: the per-message results of ``receive()``
(test_pipeline.py runs its cases through both), with the burst's own cases here —
messages of one burst that refer to each other, repeated ids, one bad message among good
ones, and a conflict that sends the burst back to one-by-one storing."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from sahayak.contacts.models import Contact
from sahayak.conversations import burst
from sahayak.conversations.burst import receive_many
from sahayak.conversations.events import EventKind, conversation_event, events_committed
from sahayak.conversations.inbound import InboundAttachment, InboundRejected
from sahayak.conversations.models import Conversation, Event, Message, ThreadReference
from sahayak.conversations.pipeline import ReceiveResult, receive
from tests.conftest import inbound

pytestmark = pytest.mark.django_db


def test_a_reply_finds_its_parent_stored_earlier_in_the_same_burst(api_inbox):
    parent, reply, sibling = receive_many(
        [
            inbound(api_inbox, external_id="p1"),
            inbound(api_inbox, external_id="r1", references=["p1"]),
            inbound(api_inbox, external_id="r2", references=["p1", "r1"]),
        ]
    )
    assert isinstance(parent, ReceiveResult) and parent.created_conversation
    assert reply.conversation.pk == sibling.conversation.pk == parent.conversation.pk
    assert Conversation.objects.count() == 1


def test_a_reply_before_its_parent_in_the_same_burst_is_joined_by_the_parent(api_inbox):
    reply, parent = receive_many(
        [
            inbound(api_inbox, external_id="r1", references=["p1"]),
            inbound(api_inbox, external_id="p1"),
        ]
    )
    assert parent.conversation.pk == reply.conversation.pk
    assert Conversation.objects.count() == 1


def test_a_burst_threads_into_what_was_stored_before_it(api_inbox):
    earlier = receive(inbound(api_inbox, external_id="p1"))
    stored_reply = receive(inbound(api_inbox, external_id="r0", references=["lost-parent"]))
    by_parent, by_sibling = receive_many(
        [
            inbound(api_inbox, external_id="r1", references=["p1"]),
            inbound(api_inbox, external_id="r2", references=["lost-parent"]),
        ]
    )
    assert by_parent.conversation.pk == earlier.conversation.pk
    assert by_sibling.conversation.pk == stored_reply.conversation.pk


def test_an_id_seen_twice_is_stored_once(api_inbox):
    receive(inbound(api_inbox, external_id="old"))
    first, again, old = receive_many(
        [
            inbound(api_inbox, external_id="m1"),
            inbound(api_inbox, external_id="m1", text="redelivered"),
            inbound(api_inbox, external_id="old"),
        ]
    )
    assert not first.duplicate and again.duplicate and old.duplicate
    assert again.message.pk == first.message.pk
    assert Message.objects.filter(external_id="m1").count() == 1


def test_one_new_customer_writing_twice_is_one_contact_whose_messages_share_a_conversation(
    api_inbox,
):
    first, second = receive_many(
        [
            inbound(api_inbox, sender_address="new@mail.example", thread_key="chat-1"),
            inbound(api_inbox, sender_address="New@Mail.example", thread_key="chat-1"),
        ]
    )
    assert first.contact.pk == second.contact.pk
    assert Contact.objects.filter(identities__address="new@mail.example").count() == 1
    assert first.conversation.pk == second.conversation.pk
    first.conversation.refresh_from_db()
    assert first.conversation.status == "new"


def test_a_bad_message_gets_its_reason_and_the_others_are_stored(api_inbox):
    good, empty, bad_sender, also_good = receive_many(
        [
            inbound(api_inbox, external_id="g1"),
            inbound(api_inbox, external_id="e1", text=""),
            inbound(api_inbox, external_id="b1", sender_address="not an address"),
            inbound(api_inbox, external_id="g2"),
        ]
    )
    assert isinstance(empty, InboundRejected) and isinstance(bad_sender, InboundRejected)
    assert isinstance(good, ReceiveResult) and isinstance(also_good, ReceiveResult)
    assert set(Message.objects.values_list("external_id", flat=True)) == {"g1", "g2"}


def test_references_are_remembered_for_parents_that_come_later(api_inbox):
    (reply,) = receive_many([inbound(api_inbox, external_id="r1", references=["p9", "p8"])])
    refs = set(ThreadReference.objects.filter(message=reply.message).values_list("ref", flat=True))
    assert refs == {"p9", "p8"}


def test_a_conflict_rolls_the_burst_back_and_stores_each_message_once(api_inbox, monkeypatch):
    """As if another process stored "m1" between the burst's read and its insert: the
    unique key refuses the insert, the burst is undone, and one-by-one storing wins."""
    monkeypatch.setattr(burst.Burst, "has", lambda self, inbound: False)
    receive(inbound(api_inbox, external_id="m1"))
    results = receive_many(
        [inbound(api_inbox, external_id="m0"), inbound(api_inbox, external_id="m1")]
    )
    assert [r.duplicate for r in results] == [False, True]
    assert Message.objects.filter(external_id="m0").count() == 1
    assert Message.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_events_come_after_the_commit_together_then_one_by_one(api_inbox):
    seen: list[str] = []

    def together(events, **_):
        seen.append(f"together:{len(events)}")

    def each(event, **_):
        if event.kind == EventKind.MESSAGE_RECEIVED:
            seen.append("each")

    events_committed.connect(together, dispatch_uid="test-together")
    conversation_event.connect(each, dispatch_uid="test-each")
    try:
        receive_many([inbound(api_inbox, external_id="a"), inbound(api_inbox, external_id="b")])
    finally:
        events_committed.disconnect(dispatch_uid="test-together")
        conversation_event.disconnect(dispatch_uid="test-each")
    # The burst's four events (two conversations opened, two messages) are told together
    # once, after its commit, then each on its own.
    assert seen == ["together:4", "each", "each"]
    assert Message.objects.count() == 2


def test_a_burst_asks_the_database_far_less_than_one_by_one(api_inbox):
    def mails(prefix: str) -> list:
        return [
            inbound(
                api_inbox,
                external_id=f"{prefix}{n}",
                sender_address=f"c{n % 5}@mail.example",
                references=[f"{prefix}{n - 1}"] if n % 2 else [],
            )
            for n in range(20)
        ]

    receive(inbound(api_inbox, external_id="warm-up"))
    with CaptureQueriesContext(connection) as single:
        for message in mails("s"):
            receive(message)
    with CaptureQueriesContext(connection) as together:
        receive_many(mails("b"))
    assert len(together) < len(single) * 0.6, (len(together), len(single))


def test_a_customer_created_meanwhile_sends_the_burst_back_to_one_by_one(api_inbox, monkeypatch):
    """As if another process created this customer after the burst looked: the identity's
    unique key refuses the second creation and the message joins the existing customer."""
    existing = receive(inbound(api_inbox, sender_address="ravi@mail.example")).contact
    original = burst.Burst._read_contacts

    def looked_too_early(self, inbounds):
        original(self, inbounds)
        self._contacts.clear()

    monkeypatch.setattr(burst.Burst, "_read_contacts", looked_too_early)
    (result,) = receive_many([inbound(api_inbox, sender_address="Ravi@Mail.example")])
    assert result.contact.pk == existing.pk
    assert Contact.objects.filter(identities__address="ravi@mail.example").count() == 1


def test_a_new_customer_writing_by_email_joins_their_domains_organization(api_inbox):
    from sahayak.contacts.models import Organization

    acme = Organization.objects.create(name="Acme", domain="acme.example")
    (result,) = receive_many([inbound(api_inbox, sender_address="meera@acme.example")])
    assert result.contact.organization_id == acme.pk


def test_rows_are_inserted_together_in_arrival_order_around_a_message_with_a_file(api_inbox):
    """Messages, references and events of a burst wait for one insert per table before
    the commit; a message with a file is inserted at once, after the ones before it, so
    ids keep the order the messages arrived in either way."""
    photo = InboundAttachment("parcel.jpg", "image/jpeg", b"\xff\xd8 not really a jpeg")
    with CaptureQueriesContext(connection) as queries:
        results = receive_many(
            [
                inbound(api_inbox, external_id="m1", sender_address="a@mail.example"),
                inbound(api_inbox, external_id="m2", references=["m1"]),
                inbound(api_inbox, external_id="m3", attachments=[photo]),
                inbound(api_inbox, external_id="m4", references=["m3", "m2"]),
                inbound(api_inbox, external_id="m5", sender_address="b@mail.example"),
            ]
        )
    stored = list(Message.objects.order_by("pk").values_list("external_id", flat=True))
    assert stored == ["m1", "m2", "m3", "m4", "m5"]
    assert [r.message.pk for r in results] == sorted(r.message.pk for r in results)
    assert Message.objects.get(external_id="m3").attachments.get().size == len(photo.content)
    message_inserts = [
        q for q in queries if q["sql"].startswith('INSERT INTO "conversations_message"')
    ]
    # m1 and m2 together before the file, m3 with its file, m4 and m5 together at the end
    assert len(message_inserts) == 3
    references = ThreadReference.objects.filter(ref__in=["m1", "m2", "m3"])
    assert {(r.ref, r.message.external_id) for r in references} == {
        ("m1", "m2"),
        ("m3", "m4"),
        ("m2", "m4"),
    }
    opened = Event.objects.filter(kind=EventKind.CREATED).order_by("pk")
    assert [e.conversation_id for e in opened] == sorted(e.conversation_id for e in opened)


def test_a_repeat_of_a_message_still_waiting_to_be_inserted_is_found(api_inbox):
    first, repeat = receive_many(
        [inbound(api_inbox, external_id="twice"), inbound(api_inbox, external_id="twice")]
    )
    assert repeat.duplicate and repeat.message.pk == first.message.pk
    assert Message.objects.filter(external_id="twice").count() == 1
