"""Signing in as people do, in a browser against a running server: single sign-on through a
local OpenID Connect provider (role and teams from its claims), and two-factor enrolment
followed by a sign-in that asks for the code."""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import Any

import pyotp
import pytest
from playwright.sync_api import expect

from tests.accounts.oidc_provider import Provider

from .browser import CHROMIUM, submit_sign_in
from .helpers import django_eval, kill, prepare_env, start_server

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not shutil.which(CHROMIUM), reason="Debian's chromium is not installed"),
]

SSO_USER = """
from sahayak.accounts.models import AgentSession, AuditEvent, User
user = User.objects.get(email="meera@corp.example")
result = {
    "role": user.role,
    "teams": sorted(user.teams.values_list("name", flat=True)),
    "usable_password": user.has_usable_password(),
    "method": list(AgentSession.objects.filter(user=user).values_list("method", flat=True)),
    "audit": sorted(set(AuditEvent.objects.filter(object_id=str(user.pk))
                        .values_list("action", flat=True))),
}
"""


def test_single_sign_on_through_a_local_provider(tmp_path: Path, browser: Any) -> None:
    with Provider() as provider:
        provider.claims = {
            "sub": "u-1001",
            "email": "meera@corp.example",
            "email_verified": True,
            "given_name": "Meera",
            "family_name": "Iyer",
            "groups": ["helpdesk-supervisors", "Billing"],
        }
        env = prepare_env(tmp_path, "sahayak_e2e_sso")
        env.update(provider.env())
        env["SAHAYAK_OIDC_NAME"] = "Corp SSO"
        env["SAHAYAK_OIDC_ROLE_MAP"] = "helpdesk-supervisors=supervisor,helpdesk-admins=admin"
        django_eval(
            "from sahayak.accounts.models import Team\n"
            "Team.objects.create(name='Billing'); Team.objects.create(name='Sales')\n"
            "result = 1",
            env,
        )
        proc, base = start_server(env)
        try:
            page = browser.new_context().new_page()
            page.set_default_timeout(20_000)
            page.goto(f"{base}/login/?next=/kb/")
            page.click("#sso")  # "Sign in with Corp SSO"
            page.wait_for_url(f"{base}/kb/")
            assert "Meera Iyer" in page.content()
        finally:
            output = kill(proc)
        user = django_eval(SSO_USER, env)
    assert user["role"] == "supervisor", output
    assert user["teams"] == ["Billing"]
    assert not user["usable_password"]  # this account signs in only through the provider
    assert user["method"] == ["sso"]
    assert {"user.created_by_sso", "user.role_changed", "signin.succeeded"} <= set(user["audit"])


def test_two_factor_enrolment_and_sign_in(tmp_path: Path, browser: Any) -> None:
    env = prepare_env(tmp_path, "sahayak_e2e_2fa")
    django_eval(
        "from sahayak.accounts.models import User\n"
        "User.objects.create_user('asha', 'asha@support.example', 'a-long-pass-77')\n"
        "result = 1",
        env,
    )
    proc, base = start_server(env)
    try:
        page = browser.new_context().new_page()
        page.set_default_timeout(20_000)
        page.goto(f"{base}/login/")
        submit_sign_in(page, "asha", "a-long-pass-77")
        page.wait_for_url(f"{base}/")

        page.goto(f"{base}/profile/")
        page.click("text=Two-factor sign-in")
        # A click waits only for the next page to start arriving: wait for what it shows.
        page.locator(".qr svg").wait_for()
        expect(page.locator(".qr svg")).to_have_count(1)
        key = page.inner_text("#totp-secret").replace(" ", "")
        page.fill("#id_code", pyotp.TOTP(key).now())
        page.click("text=Turn on")
        page.locator(".recovery-codes li").nth(9).wait_for()
        expect(page.locator(".recovery-codes li")).to_have_count(10)

        page.click("text=Sign out")
        page.wait_for_url(f"{base}/login/")
        submit_sign_in(page, "asha", "a-long-pass-77")
        page.wait_for_url(f"{base}/login/verify/**")
        # The code of the next step: the current one was spent on enrolment.
        page.fill("#id_code", pyotp.TOTP(key).at(int(time.time()) + 30))
        page.click("text=Verify")
        page.wait_for_url(f"{base}/")
        page.locator("a[href='/profile/']").wait_for()
        expect(page.locator("a[href='/profile/']")).to_have_count(1)
    finally:
        kill(proc)
