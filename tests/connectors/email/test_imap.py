"""A real IMAP server (Dovecot): messages are stored, then flagged; refused ones are marked
and left for a person; a passing failure leaves them for the next round; nothing blocks."""

from __future__ import annotations

from typing import Any

import pytest

from sahayak.connectors.email import imap
from sahayak.connectors.email.imap import REJECTED, STORED
from sahayak.connectors.email.mailboxes import MailboxSettings, save_mailbox
from sahayak.conversations.models import Message

from . import corpus

pytestmark = pytest.mark.django_db


@pytest.fixture
def imap_mailbox(dovecot: Any) -> Any:
    return save_mailbox(
        MailboxSettings(name="IMAP support", address=corpus.SUPPORT, imap=dovecot.server())
    )


def test_poll_stores_the_corpus_then_flags_and_never_blocks(
    dovecot: Any, imap_mailbox: Any
) -> None:
    dovecot.append(
        corpus.reply(
            "Where is it?", message_id="child@mail.example", in_reply_to="first@mail.example"
        ),
        corpus.garbage(),
        corpus.plain(),
        corpus.windows_1252_declared_utf8(),
        corpus.greek_8bit(),
        corpus.html_only(),
        corpus.plain(),  # the same message delivered twice
    )
    report = imap.poll_mailbox(imap_mailbox, batch_size=3)
    assert (report.stored, report.duplicates, report.rejected) == (5, 1, 1)
    assert Message.objects.count() == 5
    child = Message.objects.get(external_id="child@mail.example")
    parent = Message.objects.get(external_id="first@mail.example")
    assert child.conversation_id == parent.conversation_id  # reply fetched before its parent
    flags = dovecot.flags()
    assert sum(STORED in f for _id, f in flags) == 6
    assert sum(REJECTED in f for _id, f in flags) == 1  # kept for a person to look at
    assert all("\\Seen" in f for _id, f in flags if STORED in f)
    again = imap.poll_mailbox(imap_mailbox)
    assert (again.stored, again.duplicates, again.rejected) == (0, 0, 0)


def test_a_message_that_fails_for_now_stays_unflagged_for_the_next_round(
    dovecot: Any, imap_mailbox: Any, settings: Any
) -> None:
    settings.SAHAYAK_EMAIL_SENDER_RATE = 1
    dovecot.append(corpus.plain(), corpus.plain("more", message_id="more@mail.example"))
    report = imap.poll_mailbox(imap_mailbox)
    assert (report.stored, report.deferred) == (1, 1)
    flags = dovecot.flags()
    assert [STORED in f for _id, f in flags] == [True, False]
    settings.SAHAYAK_EMAIL_SENDER_RATE = 0
    assert imap.poll_mailbox(imap_mailbox).stored == 1
    assert Message.objects.count() == 2
    assert all(STORED in f for _id, f in dovecot.flags())


def test_move_after_storing(dovecot: Any, imap_mailbox: Any) -> None:
    imap_mailbox.config["imap_after"] = "move"
    imap_mailbox.config["imap_move_to"] = "Done"
    imap_mailbox.save()
    dovecot.append(corpus.plain())
    assert imap.poll_mailbox(imap_mailbox).stored == 1
    assert dovecot.flags("INBOX") == []
    assert [{STORED, "\\Seen"} <= f for _id, f in dovecot.flags("Done")] == [True]
