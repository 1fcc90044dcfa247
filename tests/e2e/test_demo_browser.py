"""The demo as a new user meets it: sign in with the email address the README gives, answer
one conversation of every demo channel from the workspace, and see each reply end "Sent"
(email replies in the local outbox, readable under Mailboxes -> Sent mail)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .browser import CHROMIUM, submit_sign_in
from .helpers import django_eval, kill, prepare_env, sahayak, start_server

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not shutil.which(CHROMIUM), reason="Debian's chromium is not installed"),
]

ONE_PER_CHANNEL = """
from sahayak.conversations.models import Conversation
result = {}
for c in Conversation.objects.filter(merged_into__isnull=True).order_by("id"):
    result.setdefault(c.channel, c.pk)
"""

OUTCOME = """
from sahayak.conversations.models import Message
result = list(Message.objects.filter(direction="out", text__startswith="Demo reply on ")
              .values_list("channel", "delivery_status", "delivery_error"))
"""


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[tuple[str, dict[str, str]]]:
    env = prepare_env(tmp_path, "sahayak_e2e_demo")
    env.pop("SAHAYAK_SMTP_URL", None)
    sahayak(["demo"], env)
    proc, base = start_server(env)
    yield base, env
    kill(proc)


def test_every_demo_channel_can_be_answered_and_each_reply_is_sent(demo: Any, browser: Any):
    base, env = demo
    conversations = django_eval(ONE_PER_CHANNEL, env)
    assert set(conversations) == {"email", "chat", "webform", "api"}

    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    page.set_default_timeout(20_000)
    page.goto(f"{base}/login/")
    submit_sign_in(page, "Admin@Example.com", "sahayak-demo")
    page.wait_for_url(f"{base}/")

    for channel, conversation in conversations.items():
        page.goto(f"{base}/c/{conversation}/")
        offered = page.eval_on_selector_all(
            "#reply-form select[name=channel] option", "els => els.map(e => e.value)"
        )
        assert offered and offered[0] == channel, (channel, offered)
        page.fill("#reply-text", f"Demo reply on {channel}")
        page.click("#reply-form button[value=reply]")
        sent = f".msg.dir-out:has-text('Demo reply on {channel}') .delivery.ds-sent"
        page.wait_for_selector(sent, timeout=45_000)

    outcome = django_eval(OUTCOME, env)
    assert sorted(row[0] for row in outcome) == sorted(conversations)
    assert {row[1] for row in outcome} == {"sent"}, outcome

    # The email replies (email, chat visitor gone, web form) are in the outbox.
    page.goto(f"{base}/settings/mailboxes/sent/")
    assert page.locator("table.table tbody tr").count() >= 3
