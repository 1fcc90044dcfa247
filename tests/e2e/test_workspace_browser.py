"""Two agents in two real browsers (headless Chromium): log in, read, reply, note, and see
each other's work and presence live, without reloading; then the UI in Hindi."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
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
from sahayak.conversations.models import Inbox
from sahayak.conversations.inbound import InboundMessage
from sahayak.conversations.pipeline import receive
for name, first in (("asha", "Asha"), ("ravi", "Ravi")):
    user = User.objects.create_user(name, f"{name}@support.example", "pw-for-browser", first_name=first, role=Role.ADMIN)
inbox = Inbox.objects.create(name="API", channel="api")
got = receive(InboundMessage(channel="api", inbox=inbox, sender_kind="email",
    sender_address="meera@mail.example", sender_name="Meera Iyer", subject="Parcel is late",
    text="My parcel ORD-7 is a week late.", external_id="m-1"))
from sahayak.accounts.services import create_api_token
_token, secret = create_api_token(user=User.objects.get(username="asha"))
result = {"conversation": got.conversation.pk, "inbox": inbox.pk, "token": secret}
"""


def customer_writes(base: str, data: dict[str, Any], **message: Any) -> None:
    """A customer's message arrives over the API channel, as from the business's own system."""
    response = httpx.post(
        f"{base}/api/v1/inbound",
        headers={"Authorization": f"Bearer {data['token']}"},
        json={"inbox_id": data["inbox"], **message},
        timeout=10,
    )
    assert response.status_code in (200, 201), response.text


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, dict[str, str], dict[str, Any]]]:
    env = prepare_env(tmp_path, "sahayak_e2e_browser")
    data = django_eval(SETUP, env)
    proc, base = start_server(env, "--no-worker")
    yield base, env, data
    kill(proc)


def test_two_agents_work_the_same_conversation_live(server, browser):
    base, env, data = server
    conversation = data["conversation"]
    asha = login(browser, base, "asha")
    ravi = login(browser, base, "ravi")

    # Ravi keeps the inbox open; Asha opens the conversation from hers.
    ravi.goto(f"{base}/?view=all")
    live(ravi)
    asha.goto(f"{base}/?view=all")
    asha.click("text=Parcel is late")
    asha.wait_for_url(f"{base}/c/{conversation}/")
    live(asha)
    assert "meera@mail.example" in asha.inner_text("#side")

    # A new customer writes: Ravi's inbox shows it without a reload.
    customer_writes(
        base,
        data,
        external_id="m-2",
        sender={"kind": "email", "address": "nikos@mail.example", "name": "Νίκος"},
        subject="Λάθος μέγεθος",
        text="Έλαβα λάθος μέγεθος.",
    )
    ravi.wait_for_selector("text=Λάθος μέγεθος")

    # Ravi opens the same conversation: each sees the other there.
    ravi.goto(f"{base}/c/{conversation}/")
    live(ravi)
    ravi.wait_for_selector("#presence .who:has-text('Asha')")
    asha.wait_for_selector("#presence .who:has-text('Ravi')")

    # Asha types: Ravi sees her typing. She sends: the reply appears for both.
    asha.fill("#reply-text", "Sorry for the wait, Meera. Checking with the courier.")
    asha.type("#reply-text", " ")
    ravi.wait_for_selector("#presence .who:has-text('typing')")
    asha.click("#reply-form button[value=reply]")
    asha.wait_for_selector(".msg.dir-out:has-text('Checking with the courier')")
    ravi.wait_for_selector(".msg.dir-out:has-text('Checking with the courier')")
    assert asha.input_value("#reply-text") == ""

    # A note mentioning Ravi: it shows as a note for both and Ravi is notified.
    asha.fill("#reply-text", "@ravi can you call the courier?")
    asha.click("#reply-form button[value=note]")
    ravi.wait_for_selector(".msg.dir-note:has-text('call the courier')")
    ravi.wait_for_selector(f".toast:has-text('#{conversation}')")
    assert ravi.inner_text("#unread").strip() == "1"

    # The customer answers: both timelines grow, with each message shown once.
    customer_writes(
        base,
        data,
        external_id="m-3",
        conversation_id=conversation,
        sender={"kind": "email", "address": "meera@mail.example"},
        text="Thank you, waiting.",
    )
    for page in (asha, ravi):
        page.wait_for_selector(".msg.dir-in:has-text('Thank you, waiting.')")
        expect(page.locator(".msg:has-text('Checking with the courier')")).to_have_count(1)

    # Ravi assigns it to himself: Asha's side panel follows.
    ravi.select_option("#side select[name=assignee]", label="Ravi")
    asha.locator("#side select[name=assignee] option:checked", has_text="Ravi").wait_for(
        state="attached"
    )


def test_agent_switches_the_workspace_to_hindi(server, browser):
    base, _env, _data = server
    page = login(browser, base, "ravi")
    page.goto(f"{base}/profile/")
    page.select_option("#id_locale", "hi")
    page.fill("#id_time_zone", "Asia/Kolkata")
    page.click("main button.primary")
    page.goto(f"{base}/")
    assert page.get_attribute("html", "lang") == "hi"
    nav = page.inner_text("header nav")
    assert "इनबॉक्स" in nav and "संपर्क" in nav
    assert "असाइन नहीं" in page.inner_text("aside.views")
