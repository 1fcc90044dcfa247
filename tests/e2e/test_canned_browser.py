"""Canned replies and macros in a real browser (headless Chromium): the agent types "/ref"
in the reply box, picks "Refund policy", sees it in the customer's language with the
customer's name, and sends it; then runs a macro that replies, tags and solves."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from .browser import CHROMIUM, live, login
from .helpers import django_eval, kill, prepare_env, start_server

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not shutil.which(CHROMIUM), reason="Debian's chromium is not installed"),
]

SETUP = """
from sahayak.accounts.models import Role, User
from sahayak.automation import canned
from sahayak.automation.models import CannedReply
from sahayak.conversations.models import Inbox
from sahayak.conversations.inbound import InboundMessage
from sahayak.conversations.pipeline import receive
User.objects.create_user("asha", "asha@support.example", "pw-for-browser", first_name="Asha",
    role=Role.ADMIN, locale="en")
inbox = Inbox.objects.create(name="API", channel="api")
got = receive(InboundMessage(channel="api", inbox=inbox, sender_kind="email",
    sender_address="elodie@mail.example", sender_name="Élodie Martin", subject="Remboursement",
    text="Bonjour, je voudrais être remboursée pour ma commande, elle est arrivée cassée.",
    external_id="m-1"))
canned.save_reply(CannedReply(title="Refund policy", shortcut="refund"), [
    ("en", "Hello {{ customer.first_name }}, your refund is on its way. {{ agent.first_name }}"),
    ("fr", "Bonjour {{ customer.first_name }}, votre remboursement est en route. {{ agent.first_name }}"),
])
canned.save_reply(CannedReply(title="Shipping times", shortcut="ship"), [("en", "3 to 5 days.")])
from sahayak.automation import macros
from sahayak.automation.models import Macro
macros.save_macro(Macro(name="Refund done"), [
    {"type": "reply", "text": "Le remboursement de {{ fields.amount }} est fait."},
    {"type": "add_tags", "value": ["refund"]},
    {"type": "status", "value": "solved"},
], [{"name": "amount", "label": "Amount"}])
result = {"conversation": got.conversation.pk, "language": got.conversation.language}
"""


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    env = prepare_env(tmp_path, "sahayak_e2e_canned")
    data = django_eval(SETUP, env)
    proc, base = start_server(env, "--no-worker")
    yield base, data
    kill(proc)


def test_agent_inserts_a_canned_reply_in_the_customers_language_and_sends_it(server, browser):
    base, data = server
    assert data["language"] == "fr"
    page = login(browser, base, "asha")
    page.goto(f"{base}/c/{data['conversation']}/")
    live(page)
    page.click("#reply-text")
    page.keyboard.type("/ref")
    option = page.locator("#canned-picker .canned-item", has_text="Refund policy")
    option.wait_for()
    expect(page.locator("#canned-picker .canned-item")).to_have_count(1)  # "ship" does not match
    assert "Bonjour Élodie" in option.inner_text()
    option.click()
    french = "Bonjour Élodie, votre remboursement est en route. Asha"
    assert page.input_value("#reply-text") == french
    assert page.locator("#canned-picker").is_hidden()
    page.click("#reply-form button[value=reply]")
    page.wait_for_selector(f".msg.dir-out:has-text('{french}')")

    # A macro that replies, tags and solves, with the amount filled in.
    page.click("details.macros summary")
    page.fill("form.macro input[name=field-amount]", "40 €")
    page.click("form.macro button.macro-run")
    page.wait_for_selector(".msg.dir-out:has-text('Le remboursement de 40 € est fait.')")
    page.locator("#side select[name=status] option:checked", has_text="Solved").wait_for(
        state="attached"
    )
    assert "refund" in page.input_value("#side input[name=tags]")
