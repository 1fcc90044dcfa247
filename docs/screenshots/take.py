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
        for name, viewport in SIZES.items():
            page = browser.new_context(viewport=viewport, device_scale_factor=1).new_page()
            page.goto(f"{args.base}/login/")
            page.fill("#id_username", args.user)
            page.fill("#id_password", args.password)
            page.click("button.primary")
            page.goto(f"{args.base}/reports/?days=30")
            page.screenshot(path=HERE / f"reports-{name}{args.suffix}.png", full_page=True)
            if args.only == "reports":
                continue
            page.goto(f"{args.base}/?view=all")
            page.screenshot(path=HERE / f"inbox-{name}.png")
            page.goto(f"{args.base}/c/{args.conversation}/")
            page.wait_for_function("document.body.dataset.live === '1'")
            page.screenshot(path=HERE / f"conversation-{name}.png")
        browser.close()


if __name__ == "__main__":
    main()
