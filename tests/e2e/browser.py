"""Driving Debian's Chromium (headless) for page tests."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

CHROMIUM = "/usr/bin/chromium"
PASSWORD = "pw-for-browser"  # what the tests' setup scripts give their agents


def launch() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        instance = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield instance
        instance.close()


def login(browser: Any, base: str, username: str) -> Any:
    """A new browser context signed in to the workspace as ``username``."""
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{base}/login/")
    submit_sign_in(page, username, PASSWORD)
    page.wait_for_url(f"{base}/")
    return page


def submit_sign_in(page: Any, username: str, password: str) -> None:
    """Fill in and send the sign-in form the page shows."""
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button.primary")


def live(page: Any) -> None:
    """The page's agent socket is connected."""
    # Locators, not wait_for_function: the pages' CSP forbids evaluating strings.
    page.locator("body[data-live='1']").wait_for(state="attached")
