"""The one inbound pipeline: identity, threading, idempotency, bad input. Every test runs
twice: through ``receive()``, and through ``receive_many()`` with a burst of one (the
burst's own cases are in test_burst.py)."""

import sys
import threading

import pytest
from django.db import connection

from sahayak.conversations.burst import receive_many
from sahayak.conversations.inbound import InboundAttachment, InboundMessage, InboundRejected
from sahayak.conversations.models import Conversation, Event, Message, Status
from sahayak.conversations.pipeline import receive
from sahayak.conversations.services import set_status
from tests.conftest import inbound

pytestmark = pytest.mark.django_db


def receive_in_a_burst(message: InboundMessage):
    [result] = receive_many([message])
    if isinstance(result, InboundRejected):
        raise result
    return result


@pytest.fixture(autouse=True, params=["receive", "receive_many"])
def store(request, monkeypatch):
    """Which path stores: the tests below call ``receive``, swapped here for the burst."""
    if request.param == "receive_many":
        monkeypatch.setattr(sys.modules[__name__], "receive", receive_in_a_burst)
    return request.param


def test_first_message_opens_a_conversation_with_contact_and_event(
    api_inbox, django_capture_on_commit_callbacks
):
    from sahayak.conversations.events import EventKind, conversation_event

    seen = []
    conversation_event.connect(
        lambda event, **kw: seen.append((event.kind, event.message and event.message.pk)),
        weak=False,
        dispatch_uid="t",
    )
    try:
        with django_capture_on_commit_callbacks(execute=True):
            result = receive(inbound(api_inbox, subject="Parcel", external_id="m-1"))
    finally:
        conversation_event.disconnect(dispatch_uid="t")
    conv = result.conversation
    assert result.created_conversation and not result.duplicate
    assert conv.subject == "Parcel" and conv.status == Status.NEW
    assert conv.contact.name == "Asha" and conv.language == "en"
    assert conv.waiting_since is not None and conv.team_id == api_inbox.team_id
    assert Event.objects.filter(conversation=conv, kind="created").exists()
    assert seen == [
        (EventKind.CREATED, None),
        (EventKind.MESSAGE_RECEIVED, result.message.pk),
    ]


def test_same_external_id_twice_is_stored_once(api_inbox):
    first = receive(inbound(api_inbox, external_id="dup-1"))
    second = receive(inbound(api_inbox, external_id="dup-1", text="changed on redelivery"))
    assert second.duplicate and second.message.pk == first.message.pk
    assert Message.objects.count() == 1 and Conversation.objects.count() == 1


def test_external_ids_are_scoped_by_channel(api_inbox):
    from tests.factories import InboxFactory

    form = InboxFactory(channel="webform")
    receive(inbound(api_inbox, external_id="same"))
    receive(inbound(form, external_id="same"))
    assert Message.objects.count() == 2


def test_threads_by_explicit_reference_references_and_thread_key(api_inbox):
    opened = receive(inbound(api_inbox, external_id="a", thread_key="chat-7")).conversation
    by_ref = receive(inbound(api_inbox, external_id="b", conversation_id=opened.pk))
    by_refs = receive(inbound(api_inbox, external_id="c", references=["zzz", "a"]))
    by_key = receive(inbound(api_inbox, external_id="d", thread_key="chat-7"))
    assert {by_ref.conversation.pk, by_refs.conversation.pk, by_key.conversation.pk} == {opened.pk}
    assert Message.objects.filter(conversation=opened).count() == 4


def test_reply_to_solved_conversation_reopens_it(api_inbox, admin):
    conv = receive(inbound(api_inbox, external_id="a", thread_key="k")).conversation
    set_status(conversation=conv, status=Status.SOLVED, actor=admin)
    again = receive(inbound(api_inbox, external_id="b", thread_key="k")).conversation
    assert again.pk == conv.pk and again.status == Status.OPEN and again.solved_at is None
    assert Event.objects.filter(
        conversation=conv, kind="status", data__reason="customer_reply"
    ).exists()


def test_reply_to_closed_conversation_opens_a_new_linked_one(api_inbox, admin):
    old = receive(inbound(api_inbox, external_id="a", thread_key="k")).conversation
    set_status(conversation=old, status=Status.CLOSED, actor=admin)
    new = receive(inbound(api_inbox, external_id="b", thread_key="k")).conversation
    assert new.pk != old.pk
    assert list(new.related.values_list("pk", flat=True)) == [old.pk]


def test_message_into_merged_conversation_lands_in_the_target(api_inbox, admin):
    from sahayak.conversations.services import merge_conversations

    a = receive(inbound(api_inbox, external_id="a", thread_key="k1")).conversation
    b = receive(inbound(api_inbox, external_id="b", thread_key="k2")).conversation
    merge_conversations(source=a, target=b, actor=admin)
    later = receive(inbound(api_inbox, external_id="c", references=["a"]))
    assert later.conversation.pk == b.pk


def test_language_is_detected_for_each_script(api_inbox):
    samples = {
        "hi": "नमस्ते, मेरा ऑर्डर अभी तक नहीं आया है।",
        "bn": "নমস্কার, আমার অর্ডার এখনও আসেনি।",
        "el": "Γεια σας, η παραγγελία μου δεν έχει φτάσει ακόμα.",
        "fr": "Bonjour, ma commande n'est toujours pas arrivée.",
        "en": "Hello, my order still has not arrived.",
    }
    for code, text in samples.items():
        result = receive(inbound(api_inbox, sender_address=f"{code}@mail.example", text=text))
        assert result.conversation.language == code, text
        assert result.contact.locale == code


def test_html_is_sanitized_and_text_extracted(api_inbox):
    result = receive(
        inbound(
            api_inbox,
            text="",
            html='<p onclick="x()">Hi <b>there</b></p><script>alert(1)</script><img src=x onerror=alert(1)>',
        )
    )
    message = result.message
    assert "<script" not in message.html and "onerror" not in message.html
    assert "onclick" not in message.html and "<b>there</b>" in message.html
    assert message.text == "Hi there"


def test_attachments_are_stored_content_addressed(api_inbox):
    content = "रसीद".encode() * 10
    result = receive(
        inbound(
            api_inbox,
            attachments=[InboundAttachment("रसीद.pdf", "application/pdf", content)],
        )
    )
    attachment = result.message.attachments.get()
    assert attachment.filename == "रसीद.pdf" and attachment.size == len(content)
    assert attachment.file.read() == content


@pytest.mark.parametrize(
    "overrides",
    [
        {"text": "   "},
        {"text": "x" * 100_001},
        {"text": "", "html": "<p>" + "x" * 500_001 + "</p>"},
        {"sender_address": "not an email"},
        {"external_id": ""},
        {"external_id": "x" * 256},
    ],
)
def test_bad_inbound_is_rejected_with_a_reason_and_stores_nothing(api_inbox, overrides):
    with pytest.raises(InboundRejected) as excinfo:
        receive(inbound(api_inbox, **overrides))
    assert str(excinfo.value)
    assert Message.objects.count() == 0 and Conversation.objects.count() == 0


def test_oversized_attachment_is_rejected(api_inbox, settings):
    settings.SAHAYAK_MAX_ATTACHMENT_BYTES = 10
    with pytest.raises(InboundRejected):
        receive(inbound(api_inbox, attachments=[InboundAttachment("a.bin", "", b"x" * 11)]))


@pytest.mark.django_db(transaction=True)
def test_concurrent_delivery_of_the_same_message_stores_it_once(api_inbox):
    """Two threads deliver the same new customer's message at the same moment."""
    results, errors = [], []
    barrier = threading.Barrier(4)

    def deliver(external_id):
        try:
            barrier.wait(timeout=10)
            results.append(
                receive(
                    inbound(api_inbox, sender_address="new@mail.example", external_id=external_id)
                )
            )
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver, args=(eid,)) for eid in ["x", "x", "y", "y"]]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors
    assert Message.objects.count() == 2
    assert len({r.message.pk for r in results}) == 2
    assert sum(not r.duplicate for r in results) == 2
    # Both messages belong to one contact, though it was created concurrently.
    assert len({r.contact.pk for r in results}) == 1
