"""The agent's everyday desk in a real browser (headless Chromium), at desktop and phone
width: keyboard only from the inbox to a solved conversation, files in replies, the side
panel following a reply, bulk bar and merge safeguards, drafts, the shortcuts overlay, the
theme, and no serious accessibility violation (axe-core) in light or dark."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from .browser import CHROMIUM, PASSWORD, live, login, submit_sign_in
from .helpers import django_eval, kill, prepare_env, start_server

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not shutil.which(CHROMIUM), reason="Debian's chromium is not installed"),
]

SETUP = """
from sahayak.accounts.models import Role, User
from sahayak.conversations.models import Conversation, Inbox
from sahayak.conversations.inbound import InboundMessage
from sahayak.conversations.pipeline import receive
User.objects.create_user("asha", "asha@support.example", "pw-for-browser", first_name="Asha",
    role=Role.ADMIN)
inbox = Inbox.objects.create(name="Support mail", channel="email",
    config={"address": "help@shop.example"})
def mail(address, name, subject, text, ref):
    got = receive(InboundMessage(channel="email", inbox=inbox, sender_kind="email",
        sender_address=address, sender_name=name, subject=subject, text=text,
        external_id=ref))
    return got.conversation.pk
first = mail("meera@mail.example", "Meera Iyer", "Parcel is late", "ORD-7 is a week late.", "m1")
second = mail("meera@mail.example", "Meera Iyer", "Also the wrong size", "And the size.", "m2")
other = mail("nikos@mail.example", "Νίκος Παπαδόπουλος", "Λάθος μέγεθος", "Λάθος.", "m3")
from sahayak.accounts.services import create_api_token
_token, secret = create_api_token(user=User.objects.get(username="asha"))
meera = Conversation.objects.get(pk=first).contact_id
result = {"first": first, "second": second, "other": other, "token": secret, "meera": meera}
"""

# The pages checked with axe-core, in light and in dark.
AXE_PAGES = [
    "/?view=all",
    "/c/{first}/",
    "/contacts/{meera}/",
    "/c/{first}/merge/",
    "/c/new/",
    "/reports/",
    "/profile/",
    "/profile/signatures/",
    "/settings/surveys/",
    "/settings/start/",
]


@pytest.fixture
def desk(tmp_path: Path) -> Iterator[dict[str, Any]]:
    env = prepare_env(tmp_path, "sahayak_e2e_desk")
    data = django_eval(SETUP, env)
    proc, base = start_server(env)  # with its worker: replies are sent (to the local outbox)
    yield {"base": base, "env": env, **data}
    kill(proc)


def phone(browser: Any, base: str) -> Any:
    page = browser.new_context(viewport={"width": 390, "height": 844}, has_touch=True).new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{base}/login/")
    submit_sign_in(page, "asha", PASSWORD)
    page.wait_for_url(f"{base}/")
    return page


def serious_violations(page: Any) -> list[str]:
    """axe-core's serious and critical findings on the page as it is now."""
    from axe_playwright_python.sync_playwright import Axe

    found = Axe().run(page).response["violations"]
    return [
        f"{v['id']}: {[n['target'] for n in v['nodes']][:3]}"
        for v in found
        if v["impact"] in ("serious", "critical")
    ]


def test_keyboard_only_from_the_inbox_to_a_solved_conversation(desk, browser, tmp_path):
    base = desk["base"]
    page = login(browser, base, "asha")
    page.goto(f"{base}/?view=unassigned")
    live(page)

    # j chooses the first conversation in the list, Enter opens it.
    page.keyboard.press("j")
    page.locator("#inbox-list tr.chosen").wait_for()
    page.keyboard.press("Enter")
    page.wait_for_url(f"{base}/c/*/")
    conversation = int(page.url.rstrip("/").rsplit("/", 1)[-1])
    live(page)

    # a: assigned to me.
    page.keyboard.press("a")
    page.locator("#side select[name=assignee] option:checked", has_text="Asha").wait_for(
        state="attached"
    )

    # r: the reply box; type, then Tab to the file picker and choose a file by keyboard.
    page.keyboard.press("r")
    expect(page.locator("#reply-text:focus")).to_have_count(1)
    page.keyboard.type("Here is your return label.")
    label = tmp_path / "return-label.pdf"
    label.write_bytes(b"%PDF-1.4 return label")
    for _ in range(12):
        if page.locator("#reply-files:focus").count():
            break
        page.keyboard.press("Tab")
    expect(page.locator("#reply-files:focus")).to_have_count(1)
    # The file picker is reachable by Tab. Opening it with Space is the browser's own
    # behaviour, and headless Chromium now and then drops its "file chooser opened" event;
    # the files are therefore given to the focused field as the picker would give them.
    page.locator("#reply-files").set_input_files(str(label))
    page.locator("#reply-file-list li:has-text('return-label.pdf')").wait_for()
    expect(page.locator("#reply-files:focus")).to_have_count(1)

    # Then set status: Solved, chosen by typing in the list; Ctrl+Enter sends.
    for _ in range(12):
        if page.locator("#then-status:focus").count():
            break
        page.keyboard.press("Tab")
    page.keyboard.type("Solved")
    assert page.locator("#then-status").input_value() == "solved"
    page.keyboard.press("Control+Enter")

    page.locator(
        ".msg.dir-out:has-text('return label') .atts a:has-text('return-label.pdf')"
    ).wait_for()
    page.locator("#side select[name=status] option:checked", has_text="Solved").wait_for(
        state="attached"
    )
    stored = django_eval(
        "from sahayak.conversations.models import Conversation, Message\n"
        f"c = Conversation.objects.get(pk={conversation})\n"
        "m = Message.objects.filter(conversation=c, direction='out').get()\n"
        "result = [c.status, c.assignee.username, [a.filename for a in m.attachments.all()]]",
        desk["env"],
    )
    assert stored == ["solved", "asha", ["return-label.pdf"]]

    # ? shows the shortcuts, Escape closes them.
    page.keyboard.press("?")
    page.locator("dialog#shortcuts[open]").wait_for()
    assert "Next / previous conversation" in page.inner_text("dialog#shortcuts")
    page.keyboard.press("Escape")
    page.locator("dialog#shortcuts[open]").wait_for(state="detached")

    # / goes to search from anywhere.
    page.keyboard.press("/")
    expect(page.locator("#top-q:focus")).to_have_count(1)


def test_the_side_panel_follows_a_reply_and_drafts_survive_a_reload(desk, browser):
    base = desk["base"]
    page = phone(browser, base)
    page.goto(f"{base}/c/{desk['second']}/")
    live(page)
    assert page.locator("#side select[name=status]").input_value() == "new"

    # A draft is kept in this browser across a reload, and gone once sent.
    page.fill("#reply-text", "Sorry about the size, Meera: a new one is on its way.")
    page.locator("#draft-state:has-text('Draft saved')").wait_for()
    page.reload()
    assert "a new one is on its way" in page.input_value("#reply-text")

    page.click("#reply-form button[value=reply]")
    page.locator(".msg.dir-out:has-text('a new one is on its way')").wait_for()
    # The reply went out (worker, local outbox): new → open, and the panel shows it.
    page.locator("#side select[name=status] option:checked", has_text="Open").wait_for(
        state="attached", timeout=30_000
    )
    # Nobody had it: "Assign to me" was ticked by default.
    assert page.locator("#side select[name=assignee]").input_value() != ""
    page.reload()
    assert page.input_value("#reply-text") == ""


def test_bulk_bar_says_what_is_missing(desk, browser):
    base = desk["base"]
    page = phone(browser, base)
    page.goto(f"{base}/?view=all")
    # Nothing selected: Apply says so and sends nothing.
    page.click("#bulk-apply")
    page.locator("#bulk-count.error").wait_for()
    assert "Select conversations first" in page.inner_text("#bulk-count")
    # Selected, but no agent chosen: nobody is unassigned by accident.
    page.check(f"input[name=ids][value='{desk['first']}']")
    assert "1 selected" in page.inner_text("#bulk-count")
    assert page.locator("select[name=value_assign]").input_value() == ""
    page.click("#bulk-apply")
    page.locator(".flash li:has-text('Choose who gets')").wait_for()
    # "Me" assigns them to me.
    page.check(f"input[name=ids][value='{desk['first']}']")
    page.select_option("select[name=value_assign]", "me")
    page.click("#bulk-apply")
    page.locator(".flash li:has-text('Updated 1 conversations')").wait_for()


def test_merge_asks_first_and_warns_when_the_customers_differ(desk, browser):
    base = desk["base"]
    page = phone(browser, base)
    page.goto(f"{base}/c/{desk['first']}/")
    page.click("text=Merge into another conversation…")
    # The same customer's other conversation is offered; another is found by search.
    page.locator(".merge-candidates a:has-text('Also the wrong size')").wait_for()
    page.fill("#merge-q", "Νίκος")
    page.keyboard.press("Enter")
    page.click(".merge-candidates a:has-text('Λάθος μέγεθος')")
    assert "different customers" in page.inner_text(".merge-confirm")
    assert "Parcel is late" in page.inner_text(".merge-pair")
    assert "Λάθος μέγεθος" in page.inner_text(".merge-pair")
    # The box must be ticked before the merge happens.
    page.click(".merge-confirm button.primary")
    assert page.url.split("?")[0].endswith(f"/c/{desk['first']}/merge/")
    page.check("input[name=customers_differ]")
    page.click(".merge-confirm button.primary")
    page.wait_for_url(f"{base}/c/{desk['other']}/")
    page.locator("text=Undo merge").wait_for()


def test_time_zone_is_picked_from_suggestions_in_the_agents_language(desk, browser):
    base = desk["base"]
    page = login(browser, base, "asha")
    page.goto(f"{base}/profile/")
    page.select_option("#id_locale", "hi")
    page.click("main button.primary")
    page.focus("#id_time_zone")
    options = page.locator("#id_time_zone-options option")
    options.first.wait_for(state="attached")
    assert options.count() > 300
    assert "कोलकाता" in page.get_attribute(
        "#id_time_zone-options option[value='Asia/Kolkata']", "label"
    )
    page.fill("#id_time_zone", "Mars/Olympus")
    page.click("main button.primary")
    page.locator(".errorlist").wait_for()
    page.fill("#id_time_zone", "Asia/Kolkata")
    page.click("main button.primary")
    assert page.input_value("#id_time_zone") == "Asia/Kolkata"


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_no_serious_accessibility_violations(desk, browser, scheme):
    base = desk["base"]
    context = browser.new_context(viewport={"width": 1280, "height": 900}, color_scheme=scheme)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{base}/login/")
    assert serious_violations(page) == []
    submit_sign_in(page, "asha", PASSWORD)
    page.wait_for_url(f"{base}/")
    found = {}
    for path in AXE_PAGES:
        page.goto(base + path.format(**desk))
        page.wait_for_load_state("networkidle")
        problems = serious_violations(page)
        if problems:
            found[path] = problems
    assert found == {}


def test_the_theme_follows_the_system_and_the_toggle_overrides_it(desk, browser):
    base = desk["base"]
    context = browser.new_context(color_scheme="dark")
    page = context.new_page()
    page.goto(f"{base}/login/")
    submit_sign_in(page, "asha", PASSWORD)
    page.wait_for_url(f"{base}/")
    background = page.locator("body").evaluate("b => getComputedStyle(b).backgroundColor")
    assert background == "rgb(17, 21, 27)"  # dark, from the system setting
    page.click("#theme-toggle")  # as the system → dark (kept) → light
    page.click("#theme-toggle")
    assert page.get_attribute("html", "data-theme") == "light"
    page.reload()
    background = page.locator("body").evaluate("b => getComputedStyle(b).backgroundColor")
    assert background == "rgb(245, 247, 250)"  # light, as chosen, after a reload


def mail_arrives(desk: dict[str, Any], raw: bytes, recipient: str = "help@shop.example") -> dict:
    """A mail reaches the server (as from the MTA's pipe): stored through the one pipeline."""
    response = httpx.post(
        f"{desk['base']}/api/v1/inbound/email",
        params={"recipient": recipient},
        content=raw,
        headers={"Authorization": f"Bearer {desk['token']}", "Content-Type": "message/rfc822"},
        timeout=10,
    )
    assert response.status_code in (200, 201), response.text
    return response.json()


def raw_mail(
    sender: str, to: str, subject: str, text: str, message_id: str, **headers: str
) -> bytes:
    lines = [
        f"From: {sender}",
        f"To: {to}",
        f"Subject: {subject}",
        f"Message-ID: <{message_id}>",
        *(f"{name.replace('_', '-')}: {value}" for name, value in headers.items()),
        "Content-Type: text/plain; charset=utf-8",
        "",
        text,
    ]
    return "\r\n".join(lines).encode()


def test_counts_beside_the_views_follow_new_mail_live(desk, browser):
    page = login(browser, desk["base"], "asha")
    page.goto(f"{desk['base']}/?view=all")
    live(page)
    unassigned = page.locator("[data-count='view:unassigned']")
    page.locator("[data-count='view:unassigned']:text-is('3')").wait_for()
    assert page.locator("[data-count='channel:email']").inner_text() == "3"
    mail_arrives(
        desk, raw_mail("ravi@mail.example", "help@shop.example", "Refund?", "Hi", "n1@mail.example")
    )
    page.locator("[data-count='view:unassigned']:text-is('4')").wait_for(timeout=20_000)
    assert unassigned.inner_text() == "4"


def test_the_assignee_is_told_when_the_customer_replies(desk, browser):
    page = login(browser, desk["base"], "asha")
    page.goto(f"{desk['base']}/c/{desk['second']}/")
    live(page)
    page.keyboard.press("a")  # assigned to me
    page.locator("#side select[name=assignee] option:checked", has_text="Asha").wait_for(
        state="attached"
    )
    page.goto(f"{desk['base']}/?view=mine")
    live(page)
    mail_arrives(
        desk,
        raw_mail(
            "Meera Iyer <meera@mail.example>",
            "help@shop.example",
            "Re: Also the wrong size",
            "Any news about the size?",
            "r2@mail.example",
            In_Reply_To="<m2>",
        ),
    )
    page.locator(".toast:has-text('The customer replied:')").wait_for(timeout=20_000)
    assert page.inner_text("#unread").strip() == "1"


def test_a_new_conversation_from_the_contact_page_joins_the_timeline(desk, browser):
    base = desk["base"]
    page = phone(browser, base)
    page.goto(f"{base}/contacts/{desk['meera']}/")
    page.click("text=Start a conversation")
    page.fill("input[name=subject]", "Your replacement shirt")
    page.fill("textarea[name=text]", "It leaves **today**.")
    page.click("main button.primary")
    page.wait_for_url(f"{base}/c/*/")
    page.locator(".msg.dir-out:has-text('It leaves today.')").wait_for()
    page.goto(f"{base}/contacts/{desk['meera']}/")
    timeline = page.locator(".timeline-list")
    timeline.locator("li:has-text('It leaves today.')").wait_for()
    expect(timeline.locator("li:has-text('ORD-7 is a week late.')")).to_have_count(1)
    # Filtered to orders only: no messages.
    page.uncheck("input[name=show][value=message]")
    page.click(".timeline-filter button")
    expect(page.locator(".timeline-list li:has-text('It leaves today.')")).to_have_count(0)


def test_a_side_conversation_with_a_supplier_from_the_side_panel(desk, browser):
    base = desk["base"]
    page = login(browser, base, "asha")
    page.goto(f"{base}/c/{desk['first']}/")
    live(page)
    page.click("text=New side conversation…")
    page.fill(".side-new input[name=to]", "orders@supplier.example")
    page.fill(".side-new textarea[name=text]", "Can you trace ORD-7?")
    page.click(".side-new button")
    page.locator(".side-thread .side-msg:has-text('Can you trace ORD-7?')").wait_for()
    reply_to = django_eval(
        "from sahayak.connectors.email.models import SideMessage\n"
        "m = SideMessage.objects.get()\n"
        "result = m.outbox_item.payload['reply_to']",
        desk["env"],
    )
    mail_arrives(
        desk,
        raw_mail(
            "orders@supplier.example",
            reply_to,
            "Re: trace",
            "Found it, it ships today.",
            "s1@supplier.example",
        ),
        recipient=reply_to,
    )
    # The answer shows in the side thread, live, and never in the customer's timeline.
    page.locator(".side-thread .side-msg:has-text('it ships today')").wait_for(timeout=20_000)
    expect(page.locator("#timeline:has-text('it ships today')")).to_have_count(0)


def test_a_new_install_walks_its_administrator_through_the_first_steps(desk, browser):
    base = desk["base"]
    page = phone(browser, base)
    page.locator(".setup-banner:has-text('Create your team')").wait_for()
    page.click("text=Continue setting up")
    page.fill("#team-name", "Support")
    page.click("#team button")
    page.locator("#team.done").wait_for()
    page.fill("#invite input[name=email]", "ravi@support.example")
    page.click("#invite button")
    page.locator(".flash li:has-text('Invitation sent to ravi@support.example')").wait_for()
    page.locator("#invite.done").wait_for()
