"""Self-service deflection in a real browser (headless Chromium): a customer types their
question into the web form, is offered an article, reads it and goes away without sending
the form; the help center records a deflection. Writing after all cancels it."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from .browser import CHROMIUM
from .helpers import django_eval, kill, prepare_env, start_server

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not shutil.which(CHROMIUM), reason="Debian's chromium is not installed"),
]

SETUP = """
from sahayak.conversations.models import Inbox
from sahayak.knowledge.articles import TranslationInput, create_article
inbox = Inbox.objects.create(name="Contact us", channel="webform")
create_article(author=None, translations=[
    TranslationInput(locale="en", title="Track your parcel", body="Open **Orders** and choose *Track*.", status="published"),
    TranslationInput(locale="fr", title="Suivre votre colis", body="Ouvrez **Commandes** puis *Suivre*.", status="published"),
])
create_article(author=None, translations=[
    TranslationInput(locale="en", title="Change your password", body="Settings, then Security.", status="published"),
])
result = {"form": inbox.public_key}
"""

EVENTS = """
from sahayak.knowledge.models import SelfServiceEvent
result = sorted((e.kind, e.channel, e.locale, e.query) for e in SelfServiceEvent.objects.all())
"""


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, dict[str, str], dict[str, Any]]]:
    env = prepare_env(tmp_path, "sahayak_e2e_deflection")
    data = django_eval(SETUP, env)
    proc, base = start_server(env, "--no-worker")
    yield base, env, data
    kill(proc)


def events(env: dict[str, str], want: int) -> list[list[str]]:
    deadline = time.monotonic() + 10
    while True:
        found = django_eval(EVENTS, env)
        if len(found) >= want or time.monotonic() > deadline:
            return found
        time.sleep(0.2)


def open_form(browser: Any, base: str, form: str, locale: str) -> tuple[Any, Any]:
    context = browser.new_context(locale=locale, viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{base}/form/{form}/")
    return context, page


def test_reading_a_suggested_article_and_leaving_is_a_deflection(server, browser):
    base, env, data = server
    context, page = open_form(browser, base, data["form"], "fr-FR")
    page.fill("#id_name", "Amélie")
    page.fill("#id_email", "amelie@mail.example")
    page.type("#id_subject", "Où est mon colis ?", delay=30)
    suggestion = page.locator("#suggestions a", has_text="Suivre votre colis")
    suggestion.wait_for()
    expect(page.locator("#suggestions a")).to_have_count(1)

    with context.expect_page() as opened:
        suggestion.click()
    article = opened.value
    article.wait_for_load_state()
    assert article.locator("h1").inner_text() == "Suivre votre colis"
    assert article.locator(".body strong").inner_text() == "Commandes"
    assert events(env, 1) == [["suggested_view", "webform", "fr", "Où est mon colis ?"]]

    # The customer is satisfied: closes the article and the form without sending anything.
    article.close(run_before_unload=True)
    page.close(run_before_unload=True)
    deadline = time.monotonic() + 10
    while events(env, 1)[0][0] != "deflected" and time.monotonic() < deadline:
        time.sleep(0.2)
    assert events(env, 1) == [["deflected", "webform", "fr", "Où est mon colis ?"]]
    context.close()


def test_sending_the_form_after_reading_is_counted_as_a_ticket(server, browser):
    base, env, data = server
    context, page = open_form(browser, base, data["form"], "en-GB")
    page.fill("#id_name", "Ravi")
    page.fill("#id_email", "ravi@mail.example")
    page.type("#id_subject", "forgot password", delay=30)
    suggestion = page.locator("#suggestions a", has_text="Change your password")
    with context.expect_page() as opened:
        suggestion.click()
    opened.value.wait_for_load_state()
    opened.value.close(run_before_unload=True)
    page.fill("#id_message", "The reset email never arrives.")
    page.click("button[type=submit]")
    page.wait_for_load_state()
    assert events(env, 1) == [["submitted", "webform", "en", "forgot password"]]
    context.close()
