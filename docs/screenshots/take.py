"""Screenshots of the agent workspace for the README (headless Chromium, Playwright).

    sahayak serve &                       # a demo server (make run)
    python docs/screenshots/take.py [--base http://127.0.0.1:8000]
    python docs/screenshots/take.py --only reports --suffix -hi   # signed in as a Hindi user
"""

from __future__ import annotations

import argparse
from pathlib import Path

from playwright.sync_api import sync_playwright

HERE = Path(__file__).resolve().parent
SIZES = {"desktop": {"width": 1400, "height": 900}, "phone": {"width": 390, "height": 844}}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", default="http://127.0.0.1:8000")
    parser.add_argument("--user", default="admin")
    parser.add_argument("--password", default="sahayak-demo")
    parser.add_argument("--conversation", type=int, default=3)
    parser.add_argument("--only", choices=["all", "reports"], default="all")
    parser.add_argument("--suffix", default="", help="added to the file names (-hi)")
    args = parser.parse_args()
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        shots = [(name, viewport, "light") for name, viewport in SIZES.items()]
        if args.only == "all":
            shots.append(("desktop", SIZES["desktop"], "dark"))
        for name, viewport, scheme in shots:
            context = browser.new_context(
                viewport=viewport, device_scale_factor=1, color_scheme=scheme
            )
            page = context.new_page()
            dark = "-dark" if scheme == "dark" else ""
            page.goto(f"{args.base}/login/")
            page.fill("#id_username", args.user)
            page.fill("#id_password", args.password)
            page.click("button.primary")
            if not dark:
                page.goto(f"{args.base}/reports/?days=30")
                page.screenshot(path=HERE / f"reports-{name}{args.suffix}.png", full_page=True)
            if args.only == "reports":
                continue
            page.goto(f"{args.base}/?view=all")
            page.locator("[data-count='view:all']:not(:empty)").wait_for(state="attached")
            page.screenshot(path=HERE / f"inbox-{name}{dark}.png")
            page.goto(f"{args.base}/c/{args.conversation}/")
            page.locator("body[data-live='1']").wait_for(state="attached")
            page.screenshot(path=HERE / f"conversation-{name}{dark}.png")
            if dark:
                continue
            contact = page.locator("#side a[href^='/contacts/']").first.get_attribute("href")
            page.goto(f"{args.base}{contact}#timeline-title")
            page.screenshot(path=HERE / f"contact-{name}.png")
            page.goto(f"{args.base}/c/{args.conversation}/")
            page.keyboard.press("?")
            page.locator("dialog#shortcuts[open]").wait_for()
            page.screenshot(path=HERE / f"shortcuts-{name}.png")
        browser.close()


if __name__ == "__main__":
    main()
