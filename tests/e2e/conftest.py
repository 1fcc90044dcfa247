import pytest
from playwright.sync_api import expect

# Pages under a loaded CI machine: what a test waits to see gets as long as a page action.
expect.set_options(timeout=15_000)


@pytest.fixture(autouse=True)
def _media_root():
    """E2E tests run against their own server process and data dir."""


@pytest.fixture
def browser():
    """A headless Chromium (Debian's), closed after the test."""
    from .browser import launch

    yield from launch()
