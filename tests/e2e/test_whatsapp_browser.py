"""WhatsApp in a real browser: an agent answers inside the 24-hour window, sees free
text give way to the template picker once the window has closed, sends an approved
template, and watches its status go delivered → read live, without reloading."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from tests.connectors.whatsapp.fake import (
    APP_SECRET,
    PHONE_ID,
    TOKEN,
    WABA_ID,
    WhatsAppFake,
    envelope,
    signed,
    status,
    text,
)

from .browser import CHROMIUM, live, login
from .helpers import django_eval, kill, prepare_env, start_server, wait_for

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not shutil.which(CHROMIUM), reason="Debian's chromium is not installed"),
]

SETUP = f"""
from sahayak.accounts.models import Role, User
from sahayak.connectors.messaging.setup import save_channel
from sahayak.connectors.whatsapp import templates
User.objects.create_user("asha", "asha@support.example", "pw-for-browser", first_name="Asha",
    role=Role.ADMIN, locale="en")
inbox = save_channel(kind="whatsapp", name="WhatsApp", values={{
    "phone_number_id": "{PHONE_ID}", "business_account_id": "{WABA_ID}",
    "access_token": "{TOKEN}", "app_secret": "{APP_SECRET}", "language": "en_US"}})
templates.sync(inbox)
result = inbox.public_key
"""


@pytest.fixture
def setup(tmp_path: Path) -> Iterator[tuple[str, str, WhatsAppFake, dict[str, str]]]:
    fake = WhatsAppFake().start()
    env = prepare_env(tmp_path, "sahayak_e2e_whatsapp")
    env["SAHAYAK_GRAPH_API_URL"] = fake.api
    key = django_eval(SETUP, env)
    proc, base = start_server(env, "--no-telegram", "--no-fetchmail")
    yield base, key, fake, env
    kill(proc)
    fake.stop()


def _webhook(base: str, key: str, body: dict[str, Any]) -> None:
    raw, signature = signed(body)
    response = httpx.post(
        f"{base}/hooks/whatsapp/{key}",
        content=raw,
        headers={"Content-Type": "application/json", "X-Hub-Signature-256": signature},
    )
    assert response.status_code == 200


def _sends(fake: WhatsAppFake) -> list[dict[str, Any]]:
    return [json.loads(r.body) for r in fake.calls("POST", r"/v21\.0/\d+/messages")]


def test_an_agent_answers_in_the_window_then_with_a_template_and_sees_it_read(setup, browser):
    base, key, fake, env = setup
    _webhook(
        base,
        key,
        envelope([text("wamid.cust1", "Bonjour, où est ma commande A-17 ?")], name="Élodie"),
    )
    # Acknowledged once queued: the message is stored right after the answer.
    conversation = wait_for(
        lambda: django_eval(
            "from sahayak.conversations.models import Message\n"
            "result = Message.objects.filter(external_id='wamid.cust1')"
            ".values_list('conversation_id', flat=True).first()",
            env,
        ),
        timeout=30,
        interval=0.5,
    )
    page = login(browser, base, "asha")
    page.goto(f"{base}/c/{conversation}/")
    live(page)
    assert "Reply window on WhatsApp" in page.inner_text(".reply-window")
    page.fill("#reply-text", "Elle part aujourd'hui.")
    page.click("#reply-form button[value=reply]")
    wait_for(lambda: len(_sends(fake)) == 1, timeout=30)
    assert _sends(fake)[0]["text"]["body"] == "Elle part aujourd'hui."
    page.locator(".msg.dir-out .ds-sent").wait_for()

    # A day later the window has closed: free text is no longer offered on WhatsApp.
    django_eval(
        "from datetime import timedelta\n"
        "from django.utils import timezone\n"
        "from sahayak.conversations.models import Message\n"
        f"result = Message.objects.filter(conversation_id={conversation}, direction='in')"
        ".update(created_at=timezone.now() - timedelta(hours=25))",
        env,
    )
    page.reload()
    live(page)
    assert "only an approved template can be sent now" in page.inner_text(".reply-window")
    expect(page.locator("#reply-form option[value=whatsapp]")).to_have_count(0)
    offer = page.locator(".template-offer", has_text="order_update")
    offer.locator("summary").click()
    offer.locator("input[name='header-1']").fill("A-17")
    offer.locator("input[name='body-1']").fill("Élodie")
    offer.locator("input[name='body-2']").fill("A-17")
    offer.locator("input[name='buttons-0']").fill("A-17")
    offer.locator("button.primary").click()
    wait_for(lambda: len(_sends(fake)) == 2, timeout=30)
    sent = _sends(fake)[1]
    # The customer wrote in French: the template goes out in its approved French version.
    assert sent["type"] == "template" and sent["template"]["language"]["code"] == "fr"
    template_message = page.locator(
        ".msg.dir-out", has_text="Bonjour Élodie, votre commande A-17 est partie."
    )
    template_message.locator(".ds-sent").wait_for()

    wamid = django_eval(
        "from sahayak.conversations.models import Message\n"
        f"result = Message.objects.filter(conversation_id={conversation}, direction='out')"
        ".order_by('-id').values_list('external_id', flat=True).first()",
        env,
    )
    _webhook(base, key, envelope(statuses=[status(wamid, "delivered")]))
    template_message.locator(".ds-delivered").wait_for()
    _webhook(base, key, envelope(statuses=[status(wamid, "read")]))
    template_message.locator(".ds-read").wait_for()
    assert "Read" in template_message.locator(".delivery").inner_text()
