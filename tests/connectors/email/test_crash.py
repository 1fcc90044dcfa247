"""An IMAP fetch killed with SIGKILL mid-batch, then restarted: every message ends stored
exactly once, in the right conversation, and flagged."""

from __future__ import annotations

import signal
import time
from typing import Any

import pytest

from bench.mail_corpus import thread_corpus
from tests.e2e.helpers import django_eval, kill, prepare_env, sahayak, start

from . import corpus

pytestmark = pytest.mark.slow


def test_fetch_killed_mid_batch_stores_every_message_once(tmp_path: Any, dovecot: Any) -> None:
    env = prepare_env(tmp_path, "sahayak_e2e_mail_crash")
    env["SAHAYAK_EMAIL_SENDER_RATE"] = "0"
    django_eval(
        "from sahayak.connectors.email.mailboxes import MailboxSettings, ServerSettings, save_mailbox\n"
        f"s = ServerSettings('127.0.0.1', {dovecot.port}, 'none', '{dovecot.user}', '{dovecot.password}')\n"
        f"result = save_mailbox(MailboxSettings(name='Crash', address='{corpus.SUPPORT}', imap=s)).pk",
        env,
    )
    mails, threads = thread_corpus(240, seed=7)
    dovecot.append(*mails)
    fetch = start(["fetchmail", "--once", "--batch", "20"], env)
    deadline = time.monotonic() + 120
    flagged = 0
    while time.monotonic() < deadline and fetch.poll() is None:
        flagged = sum("SahayakStored" in f for _id, f in dovecot.flags())
        if flagged >= 40:
            break
        time.sleep(0.05)
    assert fetch.poll() is None, "the fetch finished before it could be killed"
    kill(fetch, signal.SIGKILL)
    assert 0 < flagged < len(mails)
    out = sahayak(["fetchmail", "--once", "--batch", "20"], env)
    assert "0 rejected" in out and "0 failed" in out
    assert all("SahayakStored" in f for _id, f in dovecot.flags())
    stored = django_eval(
        "from sahayak.conversations.models import Message\n"
        "result = list(Message.objects.filter(channel='email').values_list('external_id', 'conversation__merged_into', 'conversation'))",
        env,
    )
    ids = [row[0] for row in stored]
    assert len(ids) == len(set(ids)) == len(mails)
    where = {row[0]: row[1] or row[2] for row in stored}
    for thread in threads:
        assert len({where[message_id] for message_id in thread}) == 1, thread
