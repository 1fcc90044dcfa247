import pytest


@pytest.fixture(autouse=True)
def _media_root():
    """E2E tests run against their own server process and data dir."""


@pytest.fixture
def browser():
    """A headless Chromium (Debian's), closed after the test."""
    from .browser import launch

    yield from launch()
