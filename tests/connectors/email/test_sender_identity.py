"""The sender of an email is the address in angle brackets, and a From address that the
receiving relay found forged (SPF/DKIM/DMARC) never reaches into that customer's
conversation or draws an acknowledgement."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import TestCase

from sahayak.connectors.email.inbound import ingest as _ingest
from sahayak.connectors.email.parsing import parse_message
from sahayak.connectors.email.thread_ids import reply_token
from sahayak.conversations.models import Message

from . import corpus


def ingest(raw: bytes, **kwargs: Any) -> Any:
    """Ingest as the server does: its transaction commits, so listeners (the
    acknowledgement rule) react."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        return _ingest(raw, **kwargs)


pytestmark = pytest.mark.django_db

VICTIM = "asha@mail.example"


def test_display_name_posing_as_an_address_is_not_the_sender(mailbox: Any) -> None:
    root = ingest(corpus.plain())
    forged = corpus.reply(
        "Please send the refund to my new account.",
        message_id="spoof@evil.example",
        sender=f"{VICTIM} <attacker@evil.example>",
    )
    parsed = parse_message(forged)
    assert (parsed.from_address, parsed.from_name) == ("attacker@evil.example", "")
    quoted = parse_message(forged.replace(f"From: {VICTIM}".encode(), f'From: "{VICTIM}"'.encode()))
    assert (quoted.from_address, quoted.from_name) == ("attacker@evil.example", "")
    outcome = ingest(forged)
    assert outcome.conversation_id != root.conversation_id
    message = Message.objects.get(pk=outcome.message_id)
    assert message.author_contact.identities.get().address == "attacker@evil.example"


def _with_results(raw: bytes, results: str) -> bytes:
    return f"Authentication-Results: mx.shop.example; {results}\r\n".encode() + raw


def test_failed_dmarc_marks_the_sender_unverified_and_threads_by_nothing_it_could_forge(
    mailbox: Any,
) -> None:
    mailbox.config["auto_reply"] = True
    mailbox.save()
    root = ingest(corpus.plain())
    token = reply_token(root.conversation_id)
    forged = _with_results(
        corpus.plain(
            "Change my address please",
            message_id="forged@evil.example",
            subject=f"Re: Order 1042 has not arrived [#{root.conversation_id}]",
            to=f"support+{token}@shop.example",
        ),
        "spf=fail smtp.mailfrom=evil.example; dkim=none; dmarc=fail header.from=mail.example",
    )
    outcome = ingest(forged)
    assert outcome.created_conversation and outcome.conversation_id != root.conversation_id
    message = Message.objects.get(pk=outcome.message_id)
    assert message.metadata["email"]["unverified_sender"] is True
    assert message.metadata["email"]["auth"]["dmarc"] == "fail"
    assert not Message.objects.filter(
        conversation_id=outcome.conversation_id, metadata__automatic="auto_reply"
    ).exists()  # no acknowledgement to the address the forger named


def test_passing_results_and_untrusted_headers_change_nothing(mailbox: Any, settings: Any) -> None:
    root = ingest(corpus.plain())
    passed = ingest(
        _with_results(
            corpus.reply("Any news?", message_id="ok@mail.example"),
            "spf=fail smtp.mailfrom=mail.example; dkim=pass header.d=mail.example",
        )
    )
    assert passed.conversation_id == root.conversation_id  # by subject, as before
    # A relay we do not trust said "fail": only the named relay's header counts.
    settings.SAHAYAK_EMAIL_AUTHSERV_IDS = ["relay.shop.example"]
    raw = _with_results(
        corpus.reply("And now?", message_id="ok2@mail.example"), "dmarc=fail header.from=x"
    )
    assert parse_message(raw).auth is None
    assert ingest(raw).conversation_id == root.conversation_id


def test_a_property_named_like_a_method_is_not_read_as_its_result() -> None:
    from sahayak.connectors.email.authresults import read_verdict

    verdict = read_verdict(["mx.shop.example; dmarc=fail header.from=x policy.dmarc=reject"])
    assert verdict is not None and verdict.results == {"dmarc": "fail"}
