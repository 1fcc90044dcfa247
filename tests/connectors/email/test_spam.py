"""Likely spam is stored but set aside (status "Spam"), never acknowledged, and restored by
"Not spam": built-in signals, the relay's verdict, and a real SpamAssassin spamd."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.test import TestCase

from sahayak.connectors.email.inbound import ingest as _ingest
from sahayak.conversations.models import Conversation, Message, Status
from tests.e2e.helpers import free_port
from tests.web.conftest import signed_in

from . import corpus


def ingest(raw: bytes, **kwargs: Any) -> Any:
    """Ingest as the server does: its transaction commits, so listeners (the
    acknowledgement rule) react."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        return _ingest(raw, **kwargs)


pytestmark = pytest.mark.django_db

GTUBE = "XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X"


def acknowledged(outcome: Any) -> bool:
    return Message.objects.filter(
        conversation_id=outcome.conversation_id, metadata__automatic="auto_reply"
    ).exists()


@pytest.fixture
def acking(mailbox: Any) -> Any:
    mailbox.config["auto_reply"] = True
    mailbox.save()
    return mailbox


def test_bulk_mail_is_set_aside_unanswered_and_not_spam_restores_it(
    acking: Any, admin: Any
) -> None:
    outcome = ingest(
        corpus.plain(
            "Congratulations you have won the lottery! Claim your prize: send the wire transfer fee.",
            message_id="lotto@evil.example",
            sender="Prize Desk <prize@evil.example>",
            subject="YOU HAVE WON A GREAT PRIZE TODAY",
        )
    )
    conversation = Conversation.objects.get(pk=outcome.conversation_id)
    assert conversation.status == Status.SPAM and conversation.waiting_since is None
    assert not acknowledged(outcome)
    spam = Message.objects.get(pk=outcome.message_id).metadata["email"]["spam"]
    assert spam["spam"] and spam["score"] >= 5
    page = signed_in(admin).get(f"/c/{conversation.pk}/").content.decode()
    assert "Not spam" in page
    signed_in(admin).post(f"/c/{conversation.pk}/update/", {"status": "open"})
    conversation.refresh_from_db()
    assert conversation.status == Status.OPEN and conversation.waiting_since is not None


def test_the_relay_verdict_counts_and_ordinary_mail_is_untouched(acking: Any) -> None:
    flagged = ingest(corpus.plain("Hello", message_id="f@mail.example", extra="X-Spam-Flag: YES"))
    assert Conversation.objects.get(pk=flagged.conversation_id).status == Status.SPAM
    normal = ingest(
        corpus.plain(
            "Hello, my order has not arrived yet.",
            message_id="n@mail.example",
            sender="Ravi <ravi@mail.example>",
        )
    )
    assert Conversation.objects.get(pk=normal.conversation_id).status == Status.NEW
    assert acknowledged(normal)


@pytest.fixture
def spamd() -> Iterator[str]:
    binary = shutil.which("spamd")
    if binary is None:
        pytest.skip("spamd (Debian's spamassassin package) is not installed")
    port = free_port()
    folder = Path(tempfile.mkdtemp(prefix="spamd-"))
    command = [binary, f"--listen=127.0.0.1:{port}", "--max-children=1", "--local"]
    command += ["--nouser-config", f"--pidfile={folder / 'pid'}", "--syslog=stderr"]
    if os.geteuid() == 0:  # spamd will not run its children as root
        command += ["-u", "nobody"]
    log = (folder / "log").open("wb")
    process = subprocess.Popen(command, stdout=log, stderr=log)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), 0.5).close()
                break
            except OSError:
                time.sleep(0.2)
        else:
            pytest.fail("spamd did not start: " + (folder / "log").read_text()[-2000:])
        yield f"127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(10)
        log.close()
        shutil.rmtree(folder, ignore_errors=True)


def test_spamassassin_s_verdict_is_used_when_spamd_is_configured(
    acking: Any, spamd: str, settings: Any
) -> None:
    settings.SAHAYAK_SPAMD_ADDRESS = spamd
    outcome = ingest(corpus.plain(f"Hello\n{GTUBE}\n", message_id="gtube@mail.example"))
    assert Conversation.objects.get(pk=outcome.conversation_id).status == Status.SPAM
    reasons = Message.objects.get(pk=outcome.message_id).metadata["email"]["spam"]["reasons"]
    assert any("SpamAssassin" in r and "GTUBE" in r for r in reasons)
    clean = ingest(
        corpus.plain(
            "Hello, my order has not arrived yet.",
            message_id="clean@mail.example",
            sender="Ravi <ravi@mail.example>",
        )
    )
    assert Conversation.objects.get(pk=clean.conversation_id).status == Status.NEW


def test_mail_is_stored_when_spamd_is_down(mailbox: Any, settings: Any) -> None:
    settings.SAHAYAK_SPAMD_ADDRESS = f"127.0.0.1:{free_port()}"
    outcome = ingest(corpus.plain(f"Hello\n{GTUBE}\n", message_id="down@mail.example"))
    assert outcome.status == "stored"
    assert Conversation.objects.get(pk=outcome.conversation_id).status == Status.NEW
