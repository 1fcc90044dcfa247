"""Two-factor sign-in: enrolment, codes at sign-in (no replay), recovery codes that work
once, turning it off, and roles that must use it."""

from __future__ import annotations

import html
import re
import time
from typing import Any

import pyotp
import pytest
from django.test import Client

from sahayak.accounts.models import AuditEvent, Role, TwoFactor, User
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
PASSWORD = "s3cret-pass"


@pytest.fixture
def agent(db: Any) -> User:
    return UserFactory(username="asha", email="asha@support.example", password=PASSWORD)


def enrol(client: Client) -> tuple[str, list[str]]:
    """Turn two-factor on through the profile pages; returns the secret and the codes."""
    page = client.get("/profile/two-factor/").content.decode()
    assert "<svg" in page  # the QR code
    secret = re.search(r'<code id="totp-secret">([A-Z2-7 ]+)</code>', page)
    assert secret
    key = secret.group(1).replace(" ", "")
    response = client.post("/profile/two-factor/", {"code": pyotp.TOTP(key).now()})
    assert response.status_code == 200
    codes = re.findall(r"<li><code>([0-9a-f-]+)</code></li>", response.content.decode())
    assert len(codes) == 10
    return key, codes


def next_code(key: str) -> str:
    """A valid code of the next 30-second step (one not used yet)."""
    return pyotp.TOTP(key).at(int(time.time()) + 30)


def password_step(client: Client) -> Any:
    return client.post("/login/", {"username": "asha", "password": PASSWORD, "next": "/kb/"})


def test_enrolment_then_sign_in_asks_for_the_code(agent: User) -> None:
    client = Client()
    client.force_login(agent)
    key, _codes = enrol(client)
    device = TwoFactor.objects.get(user=agent)
    assert device.secret.startswith("enc:") and key not in device.secret  # encrypted at rest
    assert AuditEvent.objects.filter(action="2fa.enabled", object_id=str(agent.pk)).exists()

    browser = Client()
    response = password_step(browser)
    assert response.status_code == 302 and response["Location"].startswith("/login/verify/")
    assert "_auth_user_id" not in browser.session  # the password alone signs nobody in
    assert browser.get("/").status_code == 302

    wrong = browser.post(response["Location"], {"code": "000000"})
    assert wrong.status_code == 400
    code = next_code(key)  # the current one was spent on enrolment
    right = browser.post(response["Location"], {"code": code, "next": "/kb/"})
    assert right.status_code == 302 and right["Location"] == "/kb/"
    assert browser.get("/").status_code == 200

    # The same code cannot be used again by someone who saw it.
    other = Client()
    step = password_step(other)
    assert other.post(step["Location"], {"code": code}).status_code == 400


def test_a_recovery_code_signs_in_once(agent: User) -> None:
    client = Client()
    client.force_login(agent)
    _key, codes = enrol(client)
    first = Client()
    step = password_step(first)
    assert first.post(step["Location"], {"code": codes[0].upper()}).status_code == 302
    second = Client()
    step = password_step(second)
    assert second.post(step["Location"], {"code": codes[0]}).status_code == 400
    assert AuditEvent.objects.filter(action="2fa.recovery_code_used").count() == 1
    page = client.get("/profile/two-factor/").content.decode()
    assert "9 recovery codes left" in page


def test_wrong_codes_count_as_failed_sign_ins(agent: User, settings: Any) -> None:
    settings.SAHAYAK_SIGNIN_FREE_TRIES = 1
    client = Client()
    client.force_login(agent)
    key, _codes = enrol(client)
    browser = Client()
    step = password_step(browser)
    assert browser.post(step["Location"], {"code": "123456"}).status_code == 400
    # The next try must wait, even with the right code.
    response = browser.post(step["Location"], {"code": next_code(key)})
    assert response.status_code == 429


def test_turning_off_needs_the_password(agent: User) -> None:
    client = Client()
    client.force_login(agent)
    enrol(client)
    client.post("/profile/two-factor/off/", {"password": "wrong"})
    assert TwoFactor.objects.filter(user=agent).exists()
    client.post("/profile/two-factor/off/", {"password": PASSWORD})
    assert not TwoFactor.objects.filter(user=agent).exists()
    assert password_step(Client())["Location"] == "/kb/"  # no second step any more


def test_new_recovery_codes_replace_the_old_ones(agent: User) -> None:
    client = Client()
    client.force_login(agent)
    key, old = enrol(client)
    response = client.post("/profile/two-factor/codes/", {"code": next_code(key)})
    new = re.findall(r"<li><code>([0-9a-f-]+)</code></li>", response.content.decode())
    assert len(new) == 10 and not set(new) & set(old)
    browser = Client()
    step = password_step(browser)
    assert browser.post(step["Location"], {"code": old[1]}).status_code == 400


def test_a_role_that_must_use_two_factors_is_sent_to_set_it_up(agent: User, settings: Any) -> None:
    settings.SAHAYAK_2FA_REQUIRED_ROLES = ["admin"]
    boss = UserFactory(username="boss", role=Role.ADMIN, password=PASSWORD)
    client = Client()
    client.post("/login/", {"username": "boss", "password": PASSWORD})
    response = client.get("/")
    assert response.status_code == 302 and response["Location"] == "/profile/two-factor/"
    assert client.get("/api/v1/contacts").status_code == 401  # the API is token-only anyway
    page = client.get("/profile/two-factor/")
    assert "must sign in with two factors" in html.unescape(page.content.decode())
    enrol(client)
    assert client.get("/").status_code == 200
    # It cannot be turned off by the user.
    client.post("/profile/two-factor/off/", {"password": PASSWORD})
    assert TwoFactor.objects.filter(user=boss).exists()
    # Agents are not required to.
    other = Client()
    password_step(other)
    assert other.get("/").status_code == 200
