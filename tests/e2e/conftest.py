import pytest


@pytest.fixture(autouse=True)
def _media_root():
    """E2E tests run against their own server process and data dir."""
