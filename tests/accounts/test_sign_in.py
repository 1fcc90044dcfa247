"""Agents sign in with their user name or their email address, in any letter case."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def agent(db: Any) -> Any:
    return UserFactory(username="asha", email="asha@support.example", password="s3cret-pass")


@pytest.mark.parametrize("login", ["asha", "asha@support.example", "Asha@Support.Example"])
def test_sign_in_by_user_name_or_email(agent: Any, login: str) -> None:
    client = Client()
    response = client.post("/login/", {"username": login, "password": "s3cret-pass"})
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.get("/").status_code == 200


@pytest.mark.parametrize("login", ["asha@support.example", "nobody@support.example"])
def test_a_wrong_password_or_unknown_email_is_refused(agent: Any, login: str) -> None:
    response = Client().post("/login/", {"username": login, "password": "wrong"})
    assert response.status_code == 200 and "_auth_user_id" not in Client().session
