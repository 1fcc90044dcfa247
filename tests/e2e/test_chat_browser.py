"""The chat widget on a business's page (another origin, headless Chromium) talking to an
agent in the workspace: live both ways, history after reload, hostile text never run, and
messages typed while the server is down sent exactly once when it is back."""

from __future__ import annotations

import shutil
import signal
import threading
import time
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from .browser import CHROMIUM, live, login
from .helpers import django_eval, free_port, kill, prepare_env, start_server, wait_for

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not shutil.which(CHROMIUM), reason="Debian's chromium is not installed"),
]

SETUP = """
from sahayak.accounts.models import Role, User
from sahayak.conversations.models import Inbox
User.objects.create_user("asha", "asha@support.example", "pw-for-browser", first_name="Asha",
    last_name="Rao", role=Role.ADMIN)
inbox = Inbox.objects.create(name="Shop chat", channel="chat",
    config={"allowed_origins": [SHOP], "greeting": {"fr": "Bonjour ! Une question ?"}})
result = {"key": inbox.public_key}
"""

PAYLOAD = '<img src=x onerror="window.pwned=1"><script>window.pwned=2</script>'


class Shop:
    """The business's own site: a page with the widget's one tag, on its own origin."""

    def __init__(self, root: Path, port: int):
        self.root, self.port = root, port
        handler = partial(_QuietHandler, directory=str(root))
        self.server = ThreadingHTTPServer(("127.0.0.1", port), handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://localhost:{self.port}/shoes.html"

    def publish(self, sahayak: str, key: str) -> None:
        (self.root / "shoes.html").write_text(
            "<!doctype html><html><head><meta charset=utf-8><title>Running shoes</title></head>"
            "<body><h1>Running shoes</h1>"
            f'<script src="{sahayak}/widget.js" data-inbox="{key}" async></script>'
            "</body></html>",
            encoding="utf-8",
        )


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def chat(tmp_path: Path) -> Iterator[dict[str, Any]]:
    env = prepare_env(tmp_path, "sahayak_e2e_chat")
    shop_port = free_port()
    data = django_eval(f"SHOP = 'http://localhost:{shop_port}'\n{SETUP}", env)
    proc, base = start_server(env, "--no-worker")
    (tmp_path / "shop").mkdir()
    shop = Shop(tmp_path / "shop", shop_port)
    shop.publish(base, data["key"])
    state = {"base": base, "env": env, "shop": shop, "key": data["key"], "proc": proc}
    yield state
    shop.server.shutdown()
    kill(state["proc"])


def visitor_page(browser: Any, shop: Shop) -> Any:
    context = browser.new_context(locale="fr-FR", viewport={"width": 390, "height": 800})
    page = context.new_page()
    page.set_default_timeout(20_000)
    page.goto(shop.url)
    page.click(".sc-launcher")  # Playwright's selectors pierce the widget's shadow root
    return page


def send(page: Any, text: str) -> None:
    page.fill(".sc-text", text)
    page.press(".sc-text", "Enter")


def stored_texts(env: dict[str, str]) -> list[str]:
    return django_eval(
        "from sahayak.conversations.models import Message\n"
        "result = list(Message.objects.filter(direction='in').order_by('id')"
        ".values_list('text', flat=True))",
        env,
    )


def test_a_visitor_and_an_agent_chat_live_and_the_history_survives_a_reload(chat, browser):
    base = chat["base"]
    agent = login(browser, base, "asha")
    agent.goto(f"{base}/?view=all")
    live(agent)  # the open workspace makes the agent available

    visitor = visitor_page(browser, chat["shop"])
    visitor.wait_for_selector(".sc-status:has-text('Nous sommes en ligne')")
    assert "Bonjour ! Une question ?" in visitor.inner_text(".sc-greeting")
    assert visitor.get_attribute(".sc-text", "placeholder") == "Écrivez un message…"
    send(visitor, f"Ma commande ORD-9 est en retard {PAYLOAD}")
    visitor.wait_for_selector(".sc-visitor[data-id]")

    # The chat is in the shared inbox at once; the agent opens it and sees where the visitor is.
    agent.click("text=Ma commande ORD-9")
    agent.wait_for_selector(".msg.dir-in:has-text('ORD-9')")
    live(agent)
    assert "Running shoes" in agent.inner_text(".visitor-page")
    assert agent.get_attribute(".visitor-page", "href") == chat["shop"].url
    assert "fr-FR" in agent.inner_text(".visitor-locale")
    assert "onerror" in agent.inner_text(".msg.dir-in")  # shown as text...

    # The visitor sees the agent open the chat and type; the reply arrives without a reload.
    agent.fill("#reply-text", "Elle arrive demain")
    agent.type("#reply-text", " ")
    visitor.wait_for_selector(".sc-typing:has-text('Asha')")
    agent.fill("#reply-text", f"Elle arrive demain. {PAYLOAD}")
    agent.click("#reply-form button[value=reply]")
    reply = visitor.wait_for_selector(".sc-agent[data-id]:has-text('Elle arrive demain')")
    assert "Asha" in reply.inner_text()
    assert "onerror" in reply.inner_text()  # ...in the widget too...
    # ...and never run, on either side.
    assert visitor.evaluate("window.pwned") is None
    assert agent.evaluate("window.pwned") is None
    expect(visitor.locator(".sc-msg img")).to_have_count(0)

    # The agent sees the visitor type (the widget says so at most every 3 s).
    visitor.wait_for_timeout(3100)
    visitor.type(".sc-text", "Merci")
    agent.wait_for_selector("#presence .who:has-text('typing')")

    # A reload (or a new tab) of the shop keeps the conversation.
    visitor.reload()
    visitor.wait_for_selector(".sc-msg[data-id] >> nth=1", state="attached")
    visitor.click(".sc-launcher")
    texts = visitor.locator(".sc-msg[data-id] .sc-bubble").all_inner_texts()
    assert len(texts) == 2 and "ORD-9" in texts[0] and "demain" in texts[1]
    tab = visitor.context.new_page()
    tab.goto(chat["shop"].url)
    tab.wait_for_selector(".sc-msg[data-id] >> nth=1", state="attached")
    assert visitor.evaluate("window.pwned") is None


def test_messages_typed_while_the_server_is_down_are_stored_once_when_it_is_back(chat, browser):
    visitor = visitor_page(browser, chat["shop"])
    # No agent is online: the widget asks for an email address first (offline mode).
    visitor.wait_for_selector(".sc-details:has-text('Nous sommes absents')")
    visitor.fill(".sc-details input[name=email]", "lea@mail.example")
    visitor.click(".sc-details button")
    send(visitor, "premier")
    visitor.wait_for_selector(".sc-visitor[data-id]:has-text('premier')")

    # The server dies mid-conversation; the visitor keeps typing.
    kill(chat["proc"], signal.SIGKILL)
    visitor.wait_for_selector(".sc-status:has-text('Reconnexion')")
    send(visitor, "deuxième")
    send(visitor, "troisième")
    expect(visitor.locator(".sc-pending")).to_have_count(2)

    # Back on the same port: the widget reconnects and resends its outbox.
    port = int(chat["base"].rsplit(":", 1)[1])
    chat["proc"], _base = start_server(chat["env"], "--no-worker", port=port)
    expect(visitor.locator("#sahayak-chat .sc-visitor[data-id]")).to_have_count(3, timeout=40_000)
    expect(visitor.locator(".sc-pending")).to_have_count(0)
    assert stored_texts(chat["env"]) == ["premier", "deuxième", "troisième"]
    # A reload shows each once.
    visitor.reload()
    visitor.wait_for_selector(".sc-msg[data-id] >> nth=2", state="attached")
    texts = visitor.locator(".sc-msg[data-id] .sc-bubble").all_inner_texts()
    assert texts == ["premier", "deuxième", "troisième"]


ARTICLE = """
from sahayak.conversations.models import Inbox
from sahayak.knowledge.articles import TranslationInput, create_article
inbox = Inbox.objects.get(channel="chat")
inbox.config = {**inbox.config, "answer_bot": True}
inbox.save()
create_article(author=None, translations=[
    TranslationInput(locale="fr", title="Choisir sa pointure", body="Mesurez votre pied.", status="published"),
])
result = True
"""

EVENTS = """
from sahayak.knowledge.models import SelfServiceEvent
result = [(e.kind, e.channel) for e in SelfServiceEvent.objects.order_by("id")]
"""


def wait_for_events(env: dict[str, str], expected: list[list[str]]) -> list[list[str]]:
    deadline = time.monotonic() + 10
    found = django_eval(EVENTS, env)
    while found != expected and time.monotonic() < deadline:
        time.sleep(0.2)
        found = django_eval(EVENTS, env)
    return found


def test_the_widget_suggests_articles_and_counts_a_deflection(chat, browser):
    django_eval(ARTICLE, chat["env"])
    visitor = visitor_page(browser, chat["shop"])
    # Nobody is online: the widget first asks for an email to answer by.
    visitor.fill(".sc-details input[name=email]", "amelie@mail.example")
    visitor.click(".sc-details button")
    visitor.type(".sc-text", "Quelle pointure choisir ?", delay=20)
    link = visitor.locator(".sc-suggest a", has_text="Choisir sa pointure")
    link.wait_for()
    with visitor.context.expect_page() as opened:
        link.click()
    article = opened.value
    article.wait_for_load_state()
    assert article.locator("h1").inner_text() == "Choisir sa pointure"
    article.close(run_before_unload=True)
    assert wait_for_events(chat["env"], [["deflected", "chat"]]) == [["deflected", "chat"]]

    # Writing after all: the visitor was not helped by the article after all.
    visitor.press(".sc-text", "Enter")
    assert wait_for_events(chat["env"], [["submitted", "chat"], ["bot_answered", "chat"]]) == [
        ["submitted", "chat"],
        ["bot_answered", "chat"],
    ]
    assert visitor.locator(".sc-suggest").is_hidden()
    # The answer bot replies in French with a link to the article on Sahayak's host.
    link = visitor.locator(".sc-agent .sc-bubble a.sc-link").first
    link.wait_for()
    assert link.get_attribute("href").startswith(chat["base"] + "/help/fr/articles/")
    assert "Cela a-t-il résolu" in visitor.locator(".sc-agent .sc-bubble").last.inner_text()


def test_a_visitor_rates_the_chat_inline_in_the_widget(chat, browser):
    """The agent solves the chat and asks for a rating: the widget shows the scale in the
    visitor's language, and one tap records the answer on the conversation."""
    base = chat["base"]
    agent = login(browser, base, "asha")
    agent.goto(f"{base}/?view=all")
    live(agent)
    visitor = visitor_page(browser, chat["shop"])
    send(visitor, "Où est ma commande ORD-12 ?")
    visitor.wait_for_selector(".sc-visitor[data-id]")
    agent.click("text=Où est ma commande ORD-12")
    agent.wait_for_selector(".msg.dir-in:has-text('ORD-12')")
    agent.select_option("select[name=status]", "solved")
    agent.click("text=Ask the customer for a rating")
    row = visitor.wait_for_selector(".sc-rating")
    assert "Évaluez notre aide" in row.inner_text()
    visitor.click(".sc-rate:has-text('4')")
    visitor.wait_for_selector(".sc-rating-done")
    answered = django_eval(
        "from sahayak.feedback.models import Survey\n"
        "s = Survey.objects.get()\n"
        "result = [s.score, s.state, s.language]",
        chat["env"],
    )
    assert answered[:2] == [4, "answered"]


def test_on_a_phone_the_launcher_never_covers_send_and_escape_closes(chat, browser):
    agent = login(browser, chat["base"], "asha")  # someone is there: no "leave a message"
    agent.goto(f"{chat['base']}/?view=all")
    live(agent)
    context = browser.new_context(
        locale="fr-FR", viewport={"width": 390, "height": 844}, has_touch=True
    )
    page = context.new_page()
    page.set_default_timeout(20_000)
    page.goto(chat["shop"].url)
    launcher = page.locator(".sc-launcher")
    launcher.wait_for()
    # Drawn icons, not emoji (which show as empty boxes without an emoji font).
    expect(launcher.locator("svg.sc-icon")).to_have_count(1)
    assert launcher.inner_text().strip() == ""
    launcher.click()
    # Open: focus is in the panel (on the form it asks first), the launcher out of the way.
    page.locator(".sc-panel :focus").wait_for()
    assert not launcher.is_visible()
    page.locator(".sc-form .sc-send").click(trial=True)  # fails if anything covers it
    page.locator(".sc-attach").click(trial=True)
    expect(page.locator(".sc-attach svg.sc-icon")).to_have_count(1)
    send(page, "Bonjour, ma commande ?")
    wait_for(lambda: "Bonjour, ma commande ?" in stored_texts(chat["env"]))
    # Escape closes the panel and gives focus back to the launcher.
    page.keyboard.press("Escape")
    page.locator(".sc-panel").wait_for(state="hidden")
    assert launcher.is_visible()
    page.locator(".sc-launcher:focus").wait_for()
    context.close()
