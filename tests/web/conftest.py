from typing import Any

import pytest
from django.test import Client


@pytest.fixture
def web(admin: Any) -> Client:
    """A browser-like client signed in as the admin."""
    client = Client()
    client.force_login(admin)
    return client


def signed_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client
