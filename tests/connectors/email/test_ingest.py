"""Every inbound email is stored exactly once in the right conversation, or refused with a
clear reason: the corpus of the real world's odd mail, threading in every order."""

from __future__ import annotations

from datetime import timedelta
from email.utils import format_datetime
from typing import Any

import pytest
from django.core.files.storage import default_storage
from django.utils import timezone

from sahayak.connectors.email.inbound import MailDeferred, MailRejected, ingest, ingest_many
from sahayak.connectors.email.thread_ids import reply_token
from sahayak.conversations import pipeline
from sahayak.conversations.models import (
    Conversation,
    DeliveryStatus,
    Direction,
    Message,
    Status,
)
from sahayak.conversations.services import set_status

from . import corpus

pytestmark = pytest.mark.django_db


def conversation_of(outcome: Any) -> Conversation:
    return Conversation.objects.get(pk=outcome.conversation_id)


def sent_reply(conversation_id: int, author: Any, external_id: str) -> Message:
    """A reply we sent earlier with ``external_id`` as its Message-ID."""
    return Message.objects.create(
        conversation_id=conversation_id,
        direction=Direction.OUTBOUND,
        channel="email",
        author_user=author,
        text="We are on it",
        external_id=external_id,
        delivery_status=DeliveryStatus.SENT,
    )


def test_a_message_is_stored_once_however_often_it_arrives(mailbox: Any) -> None:
    first = ingest(corpus.plain())
    again = ingest(corpus.plain())
    assert first.status == "stored" and again.status == "duplicate"
    assert again.message_id == first.message_id
    assert Message.objects.count() == 1
    message = Message.objects.get()
    assert message.external_id == "first@mail.example"
    assert message.conversation.subject == "Order 1042 has not arrived"
    assert message.conversation.inbox == mailbox
    assert message.author_contact.identities.get().address == "asha@mail.example"
    raw = default_storage.open(message.metadata["email"]["raw"]).read()
    assert raw == corpus.plain()


def test_references_only_reply_threads(mailbox: Any) -> None:
    root = ingest(corpus.plain())
    answer = ingest(
        corpus.reply(
            "More details", message_id="r1@mail.example", references=["first@mail.example"]
        )
    )
    assert answer.conversation_id == root.conversation_id


def test_reply_delivered_before_its_parent_ends_in_one_conversation(mailbox: Any) -> None:
    child = ingest(
        corpus.reply("Any news?", message_id="child@mail.example", in_reply_to="first@mail.example")
    )
    parent = ingest(corpus.plain())
    assert parent.conversation_id == child.conversation_id
    assert Conversation.objects.count() == 1
    assert conversation_of(child).subject == "Order 1042 has not arrived"  # "Re:" stripped


def test_a_chain_delivered_out_of_order_ends_in_one_conversation_in_written_order(
    mailbox: Any, client: Any, admin: Any
) -> None:
    """A <- B <- C linked only by In-Reply-To, delivered C, A, B: B is the missing link."""
    now = timezone.now()

    def mail(body: str, mid: str, parent: str | None, minutes_ago: int, subject: str) -> bytes:
        date = format_datetime(now - timedelta(minutes=minutes_ago))
        if parent is None:
            return corpus.plain(body, message_id=mid, subject=subject, date=date)
        return corpus.reply(body, message_id=mid, in_reply_to=parent, subject=subject, date=date)

    a = mail("A: the parcel is damaged.", "a@mail.example", None, 30, "Damaged parcel")
    b = mail("B: here is a photo.", "b@mail.example", "a@mail.example", 20, "Photo")
    c = mail("C: any news?", "c@mail.example", "b@mail.example", 10, "News?")
    outcomes = [ingest(c), ingest(a), ingest(b)]
    live = Conversation.objects.filter(merged_into__isnull=True)
    assert live.count() == 1 and live.get().messages.count() == 3
    client.force_login(admin)
    page = client.get(f"/c/{live.get().pk}/").content.decode()
    assert page.index("A: the parcel") < page.index("B: here is") < page.index("C: any news")
    assert outcomes[2].conversation_id == live.get().pk  # B says where it ended


def test_two_replies_to_a_message_never_seen_share_a_conversation(mailbox: Any) -> None:
    a = ingest(corpus.reply("one", message_id="a@mail.example", in_reply_to="lost@mail.example"))
    b = ingest(
        corpus.reply(
            "two",
            message_id="b@mail.example",
            sender="Ravi <ravi@mail.example>",
            references=["lost@mail.example"],
        )
    )
    assert a.conversation_id == b.conversation_id


def test_reply_to_our_sent_message_threads_by_its_message_id(mailbox: Any, admin: Any) -> None:
    root = ingest(corpus.plain())
    sent = sent_reply(root.conversation_id, admin, "sahayak.1.2.x@shop.example")
    answer = ingest(
        corpus.reply(
            "Thanks",
            message_id="r2@mail.example",
            in_reply_to=sent.external_id,
            subject="Something else entirely",
        )
    )
    assert answer.conversation_id == root.conversation_id


def test_signed_reply_token_threads_even_from_another_address(mailbox: Any) -> None:
    root = ingest(corpus.plain())
    token = reply_token(root.conversation_id)
    colleague = ingest(
        corpus.plain(
            "I am Asha's colleague, adding details.",
            message_id="col@mail.example",
            sender="Ravi <ravi@mail.example>",
            subject="New subject",
            to=f"support+{token}@shop.example",
        )
    )
    assert colleague.conversation_id == root.conversation_id
    forged = ingest(
        corpus.plain(
            "Forged token",
            message_id="forged@mail.example",
            sender="Mallory <m@evil.example>",
            subject="New subject",
            to=f"support+c{root.conversation_id}-aaaaaaaaaaaaaaaa@shop.example",
        )
    )
    assert forged.conversation_id != root.conversation_id


def test_subject_number_threads_only_for_the_same_customer(mailbox: Any) -> None:
    root = ingest(corpus.plain())
    same = ingest(
        corpus.plain(
            "again", message_id="same@mail.example", subject=f"Update [#{root.conversation_id}]"
        )
    )
    assert same.conversation_id == root.conversation_id
    stranger = ingest(
        corpus.plain(
            "hijack",
            message_id="stranger@mail.example",
            sender="x@evil.example",
            subject=f"Update [#{root.conversation_id}]",
        )
    )
    assert stranger.conversation_id != root.conversation_id


def test_outlook_thread_index_threads_without_references(mailbox: Any) -> None:
    root_block = bytes(range(22))
    first = ingest(corpus.outlook_reply(corpus.thread_index(root_block), "o1@mail.example"))
    second = ingest(
        corpus.outlook_reply(corpus.thread_index(root_block, child_blocks=1), "o2@mail.example")
    )
    assert first.conversation_id == second.conversation_id
    other = ingest(corpus.outlook_reply(corpus.thread_index(bytes(22)), "o3@mail.example"))
    # A different Outlook thread, same sender and subject: the subject rule joins them,
    # which is what the inbox asks for (subject threading is on by default).
    assert other.conversation_id == first.conversation_id


def test_subject_rule_needs_a_reply_prefix_the_same_sender_and_can_be_off(mailbox: Any) -> None:
    root = ingest(corpus.plain())
    re_reply = ingest(
        corpus.plain("re", message_id="s1@mail.example", subject="RE: Order 1042 has not arrived")
    )
    assert re_reply.conversation_id == root.conversation_id
    fresh = ingest(corpus.plain("new", message_id="s2@mail.example"))
    assert fresh.conversation_id != root.conversation_id  # no prefix: a new question
    other_sender = ingest(
        corpus.plain(
            "me too",
            message_id="s3@mail.example",
            sender="b@mail.example",
            subject="Re: Order 1042 has not arrived",
        )
    )
    assert other_sender.conversation_id not in (root.conversation_id, fresh.conversation_id)
    mailbox.config["subject_threading"] = False
    mailbox.save()
    off = ingest(
        corpus.plain("re", message_id="s4@mail.example", subject="Re: Order 1042 has not arrived")
    )
    assert off.conversation_id not in (root.conversation_id, fresh.conversation_id)


def test_reply_on_a_closed_conversation_reopens_or_starts_a_linked_one(
    mailbox: Any, admin: Any
) -> None:
    root = ingest(corpus.plain())
    set_status(conversation=conversation_of(root), status=Status.CLOSED, actor=admin)
    reopened = ingest(
        corpus.reply("back", message_id="c1@mail.example", in_reply_to="first@mail.example")
    )
    assert reopened.conversation_id == root.conversation_id
    assert conversation_of(root).status == Status.OPEN
    set_status(conversation=conversation_of(root), status=Status.CLOSED, actor=admin)
    mailbox.config["on_closed"] = "new"
    mailbox.save()
    linked = ingest(
        corpus.reply("again", message_id="c2@mail.example", in_reply_to="c1@mail.example")
    )
    assert linked.conversation_id != root.conversation_id
    assert list(conversation_of(linked).related.values_list("pk", flat=True)) == [
        root.conversation_id
    ]


def test_a_split_thread_from_concurrent_deliveries_is_rejoined(
    mailbox: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    child = ingest(
        corpus.reply("news?", message_id="kid@mail.example", in_reply_to="first@mail.example")
    )
    # The parent is stored as if the child's transaction had not committed yet.
    monkeypatch.setattr(pipeline, "_referring_to", lambda channel, external_id: None)
    parent = ingest(corpus.plain())
    assert parent.conversation_id == child.conversation_id
    kept = conversation_of(child)
    assert kept.messages.count() == 2
    assert Conversation.objects.exclude(pk=kept.pk).get().merged_into_id == kept.pk


@pytest.mark.parametrize(
    "raw, expected",
    [
        (corpus.windows_1252_declared_utf8(), "coûte 30 €"),
        (corpus.greek_8bit(), "εισιτήριό"),
        (corpus.encoded_headers(), "मेरा ऑर्डर"),
        (corpus.html_only(), "The box was crushed."),
        (corpus.alternative(), "Plain version"),
        (corpus.forwarded_eml(), "See the forwarded mail"),
        (corpus.truncated_mime(), "The text survives."),
        (corpus.no_message_id(), "without an id"),
        (corpus.auto_reply(), "out of the office"),
        (corpus.bulk(), "newsletter"),
    ],
)
def test_the_corpus_is_stored_once_each(mailbox: Any, raw: bytes, expected: str) -> None:
    first = ingest(raw)
    assert first.status == "stored"
    assert ingest(raw).status == "duplicate"
    message = Message.objects.get(pk=first.message_id)
    assert expected in message.text
    assert Message.objects.count() == 1


def test_html_is_sanitized_and_inline_images_kept(mailbox: Any) -> None:
    message = Message.objects.get(pk=ingest(corpus.html_only()).message_id)
    assert "<script" not in message.html and "onclick" not in message.html
    assert "javascript:" not in message.html
    assert 'src="cid:photo1@mail.example"' in message.html
    image = message.attachments.get()
    assert image.content_id == "photo1@mail.example"


def test_refusals_carry_a_reason(mailbox: Any, settings: Any) -> None:
    with pytest.raises(MailRejected, match="No mailbox"):
        ingest(corpus.plain(to="nobody@elsewhere.example"))
    with pytest.raises(MailRejected, match="no sender"):
        ingest(corpus.garbage(), inbox=mailbox)
    settings.SAHAYAK_EMAIL_MAX_BYTES = 1000
    with pytest.raises(MailRejected) as too_big:
        ingest(corpus.plain("x" * 2000))
    assert too_big.value.smtp_status == 552
    assert Message.objects.count() == 0


def test_a_sender_over_the_rate_limit_is_deferred_not_lost(mailbox: Any, settings: Any) -> None:
    settings.SAHAYAK_EMAIL_SENDER_RATE = 3
    for n in range(3):
        ingest(corpus.plain(f"loop {n}", message_id=f"loop{n}@mail.example"))
    with pytest.raises(MailDeferred):
        ingest(corpus.plain("loop 3", message_id="loop3@mail.example"))
    assert ingest(corpus.plain("loop 0", message_id="loop0@mail.example")).status == "duplicate"


def test_a_bounce_marks_our_message_failed_and_opens_nothing(mailbox: Any, admin: Any) -> None:
    root = ingest(corpus.plain())
    sent = sent_reply(root.conversation_id, admin, "sahayak.9.9.abc@shop.example")
    outcome = ingest(corpus.dsn(sent.external_id))
    assert outcome.status == "report"
    sent.refresh_from_db()
    assert sent.delivery_status == DeliveryStatus.FAILED
    assert "5.1.1" in sent.delivery_error and "user unknown" in sent.delivery_error
    assert Conversation.objects.count() == 1
    assert conversation_of(root).events.filter(kind="delivery_report").exists()


def test_batch_stores_good_mail_and_returns_each_refusal_in_place(mailbox: Any) -> None:
    results = ingest_many(
        [corpus.plain(), corpus.garbage(), corpus.greek_8bit(), corpus.plain()], inbox=mailbox
    )
    assert [getattr(r, "status", type(r).__name__) for r in results] == [
        "stored",
        "MailRejected",
        "stored",
        "duplicate",
    ]
    assert Message.objects.count() == 2
