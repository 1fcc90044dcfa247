"""Sign-in resists guessing (per account and per address), admins lift locks, passwords
reset by email, sessions can be listed and signed out, and all of it is in the audit log."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from sahayak.accounts.models import AgentSession, AuditEvent, User
from sahayak.connectors.email import outbox
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
PASSWORD = "s3cret-pass"


@pytest.fixture
def agent(db: Any) -> User:
    return UserFactory(username="asha", email="asha@support.example", password=PASSWORD)


@pytest.fixture(autouse=True)
def _real_mail_backend(settings: Any) -> None:
    """Django's test runner swaps in an in-memory backend: use the one Sahayak ships."""
    settings.EMAIL_BACKEND = "sahayak.connectors.email.backend.RelayEmailBackend"


def sign_in(client: Client, login: str, password: str, **extra: Any) -> Any:
    return client.post("/login/", {"username": login, "password": password}, **extra)


def signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def test_failures_bring_a_growing_wait_and_a_right_password_waits_too(
    agent: User, settings: Any
) -> None:
    settings.SAHAYAK_SIGNIN_FREE_TRIES = 2
    client = Client()
    for _ in range(2):
        assert sign_in(client, "asha", "wrong").status_code == 200
    agent.refresh_from_db()
    assert agent.failed_signins == 2
    # The third try must wait: refused with 429 before the password is checked.
    response = sign_in(client, "asha", PASSWORD)
    assert response.status_code == 429 and int(response["Retry-After"]) >= 1
    assert "Too many failed sign-ins" in response.content.decode()
    assert not signed_in(client)
    # Once the wait is over the right password works and the count starts again.
    User.objects.filter(pk=agent.pk).update(signin_blocked_until=timezone.now())
    assert sign_in(client, "asha", PASSWORD).status_code == 302
    agent.refresh_from_db()
    assert agent.failed_signins == 0
    assert AuditEvent.objects.filter(action="signin.failed", object_id=str(agent.pk)).count() == 2
    assert AuditEvent.objects.filter(action="signin.succeeded", object_id=str(agent.pk)).exists()


def test_the_wait_doubles_with_each_failure(agent: User, settings: Any) -> None:
    from sahayak.accounts.signin import delay_after

    settings.SAHAYAK_SIGNIN_FREE_TRIES = 3
    assert [delay_after(n) for n in range(2, 8)] == [0, 1, 2, 4, 8, 16]
    assert delay_after(100) == 15 * 60


def test_an_account_locks_until_an_admin_unlocks_it(
    agent: User, admin: User, settings: Any
) -> None:
    settings.SAHAYAK_SIGNIN_LOCK_AFTER = 3
    settings.SAHAYAK_SIGNIN_FREE_TRIES = 100
    client = Client()
    for _ in range(3):
        sign_in(client, "asha@support.example", "wrong")
    agent.refresh_from_db()
    assert agent.signin_locked_at is not None
    response = sign_in(client, "asha", PASSWORD)
    assert response.status_code == 429 and "locked" in response.content.decode()
    assert AuditEvent.objects.filter(action="signin.locked", object_id=str(agent.pk)).exists()

    admin.is_staff = admin.is_superuser = True
    admin.save()
    admin_client = Client()
    admin_client.force_login(admin)
    response = admin_client.post(
        "/admin/accounts/user/", {"action": "unlock_signin", "_selected_action": [agent.pk]}
    )
    assert response.status_code == 302
    agent.refresh_from_db()
    assert agent.signin_locked_at is None and agent.failed_signins == 0
    assert AuditEvent.objects.get(action="signin.unlocked").actor == admin
    assert sign_in(client, "asha", PASSWORD).status_code == 302


def test_one_address_guessing_many_accounts_is_stopped(agent: User, settings: Any) -> None:
    settings.SAHAYAK_SIGNIN_IP_RATE = 3
    client = Client(REMOTE_ADDR="203.0.113.9")
    for name in ("nobody1", "nobody2", "nobody3"):
        assert sign_in(client, name, "guess").status_code == 200
    assert AuditEvent.objects.filter(action="signin.failed", object_id="").count() == 3
    # Even a right password is not checked from that address now …
    assert sign_in(client, "asha", PASSWORD).status_code == 429
    # … while another address signs in as usual.
    assert sign_in(Client(REMOTE_ADDR="198.51.100.7"), "asha", PASSWORD).status_code == 302


def test_the_admin_site_signs_in_through_the_throttled_page() -> None:
    response = Client().get("/admin/login/?next=/admin/")
    assert response.status_code == 302
    assert response["Location"] == "/login/?next=%2Fadmin%2F"


def _reset_link() -> str:
    mails = outbox.recent()
    assert mails, "no mail was sent"
    kept = outbox.read(mails[0].key)
    assert kept is not None
    match = re.search(r"https?://[^/\s]+(/password/reset/[^\s]+/)", kept.text)
    assert match, kept.text
    return match.group(1)


def test_a_password_is_reset_by_email_which_unlocks_and_signs_out_elsewhere(
    agent: User,
) -> None:
    other = Client()
    assert sign_in(other, "asha", PASSWORD).status_code == 302
    User.objects.filter(pk=agent.pk).update(signin_locked_at=timezone.now())

    client = Client()
    response = client.post("/password/reset/", {"email": "ASHA@support.example"})
    assert response.status_code == 302 and response["Location"] == "/password/reset/sent/"
    link = _reset_link()
    form_page = client.get(link, follow=True)
    assert form_page.status_code == 200
    response = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": "a-new-long-pass-42", "new_password2": "a-new-long-pass-42"},
    )
    assert response.status_code == 302 and response["Location"] == "/password/reset/done/"
    agent.refresh_from_db()
    assert agent.signin_locked_at is None and agent.check_password("a-new-long-pass-42")
    assert other.get("/").status_code == 302  # the other browser was signed out
    # The link works once.
    assert "expired" in client.get(link, follow=True).content.decode()


def test_password_reset_says_the_same_for_unknown_addresses_and_is_rate_limited(
    agent: User, settings: Any
) -> None:
    settings.SAHAYAK_PASSWORD_RESET_RATE = 2
    client = Client()
    response = client.post("/password/reset/", {"email": "nobody@support.example"})
    assert response.status_code == 302 and outbox.recent() == []
    for _ in range(4):
        client.post("/password/reset/", {"email": "asha@support.example"})
    # One of the two allowed per client went to the unknown address: one mail only.
    assert len(outbox.recent()) == 1


def test_sessions_are_listed_and_signed_out_everywhere_else(agent: User) -> None:
    laptop, phone = Client(HTTP_USER_AGENT="Laptop browser"), Client(HTTP_USER_AGENT="Phone")
    sign_in(laptop, "asha", PASSWORD)
    sign_in(phone, "asha", PASSWORD)
    page = laptop.get("/profile/sessions/").content.decode()
    assert "Laptop browser" in page and "Phone" in page
    assert AgentSession.objects.filter(user=agent).count() == 2

    response = laptop.post("/profile/sessions/", {})
    assert response.status_code == 302
    assert phone.get("/").status_code == 302  # signed out
    assert laptop.get("/").status_code == 200  # this one stays
    assert AgentSession.objects.filter(user=agent).count() == 1
    assert AuditEvent.objects.filter(action="session.signed_out_everywhere").exists()


def test_one_session_can_be_signed_out_but_not_another_agents(agent: User, outsider: User) -> None:
    laptop, phone, theirs = Client(), Client(), Client()
    sign_in(laptop, "asha", PASSWORD)
    sign_in(phone, "asha", PASSWORD)
    outsider.set_password(PASSWORD)
    outsider.save()
    sign_in(theirs, "outsider", PASSWORD)
    their_session = AgentSession.objects.get(user=outsider)
    laptop.post("/profile/sessions/", {"session": their_session.pk})
    assert theirs.get("/").status_code == 200  # not ours to end
    phone_session = AgentSession.objects.get(session_key=phone.session.session_key)
    laptop.post("/profile/sessions/", {"session": phone_session.pk})
    assert phone.get("/").status_code == 302


def test_signing_out_removes_the_session_from_the_list(agent: User) -> None:
    client = Client()
    sign_in(client, "asha", PASSWORD)
    assert AgentSession.objects.filter(user=agent).count() == 1
    client.post("/logout/")
    assert AgentSession.objects.filter(user=agent).count() == 0


def test_session_lifetime_comes_from_the_settings(agent: User, settings: Any) -> None:
    settings.SESSION_COOKIE_AGE = 3600
    client = Client()
    sign_in(client, "asha", PASSWORD)
    expiry = client.session.get_expiry_date()
    assert timedelta(minutes=55) < expiry - timezone.now() <= timedelta(hours=1)


def test_the_unlock_command_lifts_a_lock(agent: User) -> None:
    from io import StringIO

    from django.core.management import call_command

    User.objects.filter(pk=agent.pk).update(signin_locked_at=timezone.now(), failed_signins=10)
    out = StringIO()
    call_command("unlock", "ASHA@support.example", stdout=out)
    agent.refresh_from_db()
    assert agent.signin_locked_at is None and agent.failed_signins == 0
    assert "unlocked" in out.getvalue()


def test_throttling_degrades_gracefully_when_redis_is_down(agent: User, settings: Any) -> None:
    """An unreachable cache must not lock everyone out or fail the page: the per-address
    count is skipped (and logged) while the per-account limit, kept in the database, holds."""
    from django.core.cache import caches

    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens there
        }
    }
    caches._settings = None  # type: ignore[attr-defined]
    try:
        assert type(caches["default"]).__name__ == "RedisCache"
        client = Client()
        assert sign_in(client, "asha", "wrong").status_code == 200
        assert sign_in(client, "asha", PASSWORD).status_code == 302
    finally:
        caches._settings = None  # type: ignore[attr-defined]
