"""Over real sockets: smtplib -> our SMTP listener (250 only once stored, reasons for
refusals), and our replies -> a capturing SMTP sink (threading headers, language, token,
retries and bounces)."""

from __future__ import annotations

import smtplib
from typing import Any

import pytest
from django.test import TestCase
from django.utils import timezone

from sahayak.connectors.email.inbound import ingest as _ingest
from sahayak.connectors.email.thread_ids import conversation_from_token
from sahayak.conversations.delivery import deliver
from sahayak.conversations.models import Conversation, DeliveryStatus, Message
from sahayak.conversations.services import reply
from tests.e2e.helpers import free_port

from . import corpus


def ingest(raw: bytes, **kwargs: Any) -> Any:
    """Ingest as the server does: its transaction commits, so listeners (the
    acknowledgement rule) react."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        return _ingest(raw, **kwargs)


def send(port: int, raw: bytes, to: str = corpus.SUPPORT) -> Any:
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
        client.ehlo()
        return client.sendmail("asha@mail.example", [to], raw)


def test_listener_answers_250_after_storing_and_once_for_a_redelivery(
    smtp_listener: int, mailbox: Any
) -> None:
    with smtplib.SMTP("127.0.0.1", smtp_listener, timeout=10) as client:
        client.ehlo()
        assert client.has_extn("size") and client.has_extn("8bitmime")
        client.mail("asha@mail.example")
        client.rcpt(corpus.SUPPORT)
        code, text = client.data(corpus.greek_8bit())
    assert code == 250 and b"Stored as message" in text
    message = Message.objects.get()  # committed before the 250 was written
    assert "εισιτήριό" in message.text
    send(smtp_listener, corpus.greek_8bit())
    assert Message.objects.count() == 1


def test_listener_refuses_unknown_recipients_and_oversized_mail(
    smtp_listener: int, mailbox: Any, settings: Any
) -> None:
    with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
        send(smtp_listener, corpus.plain(), to="nobody@shop.example")
    code, text = refused.value.recipients["nobody@shop.example"]
    assert code == 550 and b"No mailbox" in text
    with smtplib.SMTP("127.0.0.1", smtp_listener, timeout=10) as client:
        client.ehlo()
        limit = int(client.esmtp_features["size"])
        big = corpus.plain("x" * (limit + 10))
        with pytest.raises((smtplib.SMTPDataError, smtplib.SMTPSenderRefused)) as too_big:
            client.sendmail("asha@mail.example", [corpus.SUPPORT], big)
    assert too_big.value.smtp_code == 552
    assert Message.objects.count() == 0


def test_a_mail_without_from_takes_the_envelope_sender(smtp_listener: int, mailbox: Any) -> None:
    """A missing From header is unusual, not a reason to refuse: relays pass it."""
    raw = corpus.plain("No From header here.", message_id="nofrom@mail.example")
    raw = raw.replace(b"From: Asha Rao <asha@mail.example>\r\n", b"")
    send(smtp_listener, raw)  # MAIL FROM:<asha@mail.example>
    message = Message.objects.get(external_id="nofrom@mail.example")
    assert message.author_contact.identities.get().address == "asha@mail.example"
    assert "NoFromHeader" in message.metadata["email"]["defects"]


def test_listener_takes_bare_lf_endings_and_long_lines_as_relays_do(
    smtp_listener: int, mailbox: Any
) -> None:
    """Postfix and Exim pass both; a permanent 500 for them would lose real mail."""
    body = "\n".join(f"Line {n}: my order has still not arrived." for n in range(60))
    bare_lf = corpus.plain(body, message_id="lf@mail.example").replace(b"\r\n", b"\n")
    assert len(bare_lf) > 2000 and b"\r" not in bare_lf
    send(smtp_listener, bare_lf)
    long_html = "<p>" + "Ceci est une très longue ligne HTML. " * 400 + "</p>"
    assert len(long_html.encode()) > 10_000
    send(
        smtp_listener,
        corpus.plain(long_html, message_id="long@mail.example", subject="Long line"),
    )
    stored = {m.external_id: m for m in Message.objects.all()}
    assert "Line 59: my order has still not arrived." in stored["lf@mail.example"].text
    assert stored["long@mail.example"].text.count("très longue ligne") == 400


def test_listener_gives_reasons_for_permanent_and_temporary_refusals(
    smtp_listener: int, mailbox: Any, settings: Any
) -> None:
    with (
        smtplib.SMTP("127.0.0.1", smtp_listener, timeout=10) as client,
        pytest.raises(smtplib.SMTPDataError) as garbage,
    ):
        client.sendmail("", [corpus.SUPPORT], corpus.garbage())  # null sender, no From
    assert garbage.value.smtp_code == 550 and b"no sender" in garbage.value.smtp_error
    settings.SAHAYAK_EMAIL_SENDER_RATE = 1
    send(smtp_listener, corpus.plain())
    with pytest.raises(smtplib.SMTPDataError) as deferred:
        send(smtp_listener, corpus.plain("again", message_id="again@mail.example"))
    assert deferred.value.smtp_code == 451  # the sender's server will retry: nothing lost
    assert Message.objects.count() == 1


def test_plus_address_with_token_is_accepted_and_threads(smtp_listener: int, mailbox: Any) -> None:
    send(smtp_listener, corpus.plain())
    conversation = Conversation.objects.get()
    from sahayak.connectors.email.thread_ids import reply_token

    to = f"support+{reply_token(conversation.pk)}@shop.example"
    send(
        smtp_listener, corpus.plain("via token", message_id="tok@mail.example", subject="x"), to=to
    )
    assert Message.objects.filter(conversation=conversation).count() == 2


@pytest.fixture
def conversation(mailbox: Any, db: Any) -> Conversation:
    outcome = ingest(corpus.plain("Bonjour, ma commande n'est pas arrivée.", charset="utf-8"))
    return Conversation.objects.get(pk=outcome.conversation_id)


@pytest.mark.django_db
def test_reply_is_sent_threaded_in_the_customers_language(
    smtp_sink: Any, conversation: Conversation, admin: Any
) -> None:
    assert conversation.contact.locale == "fr"
    message = reply(conversation=conversation, author=admin, text="Nous regardons.")
    assert deliver(message.pk) == DeliveryStatus.SENT
    mime = smtp_sink.parsed()
    message.refresh_from_db()
    assert mime["Message-ID"] == f"<{message.external_id}>"
    assert mime["In-Reply-To"] == "<first@mail.example>"
    assert mime["References"] == "<first@mail.example>"
    assert mime["To"].addresses[0].addr_spec == "asha@mail.example"
    assert mime["Subject"] == f"Re: Order 1042 has not arrived [#{conversation.pk}]"
    token = mime["Reply-To"].addresses[0].username.split("+", 1)[1]
    assert conversation_from_token(token) == conversation.pk
    text = mime.get_body(("plain",)).get_content()
    html = mime.get_body(("html",)).get_content()
    assert "Nous regardons." in text
    assert f"Votre demande porte le numéro #{conversation.pk}" in text
    assert 'lang="fr"' in html
    assert mime["Content-Language"] == "fr"
    # The customer's answer to our reply threads back by our Message-ID.
    answer = ingest(
        corpus.reply(
            "Merci",
            message_id="merci@mail.example",
            in_reply_to=message.external_id,
            subject="Re: something",
        )
    )
    assert answer.conversation_id == conversation.pk


def test_line_breaks_in_names_cannot_break_or_inject_headers(
    smtp_sink: Any, conversation: Conversation, admin: Any
) -> None:
    conversation.contact.name = "Asha\r\nBcc: victim@evil.example"
    conversation.contact.save()
    admin.first_name, admin.last_name = "Ravi\n", "Kumar\u2028X-Evil: 1"
    admin.save()
    message = reply(conversation=conversation, author=admin, text="Checking.")
    assert deliver(message.pk) == DeliveryStatus.SENT
    mime = smtp_sink.parsed()
    assert mime["To"].addresses[0].display_name == "Asha Bcc: victim@evil.example"
    assert mime["To"].addresses[0].addr_spec == "asha@mail.example"
    assert mime["Bcc"] is None and mime["X-Evil"] is None
    assert smtp_sink.messages[-1][1] == ["asha@mail.example"]


@pytest.mark.django_db
def test_temporary_smtp_failure_retries_and_permanent_one_fails_with_the_reason(
    smtp_sink: Any, conversation: Conversation, admin: Any
) -> None:
    smtp_sink.answers = ["451 4.3.0 Try again later"]
    message = reply(conversation=conversation, author=admin, text="First try")
    assert deliver(message.pk) == DeliveryStatus.RETRYING
    message.refresh_from_db()
    assert "451" in message.delivery_error
    Message.objects.filter(pk=message.pk).update(next_attempt_at=timezone.now())
    assert deliver(message.pk) == DeliveryStatus.SENT
    assert len(smtp_sink.messages) == 1
    smtp_sink.answers = ["554 5.7.1 Rejected as spam"]
    second = reply(conversation=conversation, author=admin, text="Second")
    assert deliver(second.pk) == DeliveryStatus.FAILED
    second.refresh_from_db()
    assert "554" in second.delivery_error and "spam" in second.delivery_error


@pytest.mark.django_db
def test_unreachable_relay_is_retried(
    settings: Any, conversation: Conversation, admin: Any
) -> None:
    settings.SAHAYAK_SMTP_URL = f"smtp://127.0.0.1:{free_port()}?security=none"
    message = reply(conversation=conversation, author=admin, text="Hello")
    assert deliver(message.pk) == DeliveryStatus.RETRYING


@pytest.mark.django_db
def test_auto_reply_goes_to_people_and_never_to_robots(smtp_sink: Any, mailbox: Any) -> None:
    mailbox.config["auto_reply"] = True
    mailbox.save()
    ingest(corpus.greek_8bit())
    ingest(corpus.auto_reply())
    ingest(corpus.bulk())
    automatic = Message.objects.filter(metadata__automatic="auto_reply")
    assert automatic.count() == 1
    ack = automatic.get()
    assert ack.conversation.contact.identities.get().address == "giorgos@mail.example"
    assert "Σας ευχαριστούμε" in ack.text
    assert deliver(ack.pk) == DeliveryStatus.SENT
    mime = smtp_sink.parsed()
    assert mime["Auto-Submitted"] == "auto-replied"
    conversation = ack.conversation
    conversation.refresh_from_db()
    assert conversation.first_response_at is None  # an acknowledgement is not an answer
