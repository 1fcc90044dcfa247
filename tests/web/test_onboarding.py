"""The first-run checklist: steps ticked by what exists, a team and the chat widget created
from it, colleagues invited by email with a working sign-up link."""

import re

import pytest
from django.core import mail

from sahayak.accounts.models import Team, User
from sahayak.conversations.models import Inbox
from tests.factories import UserFactory

from .conftest import signed_in

pytestmark = pytest.mark.django_db


def test_a_new_install_shows_the_checklist_to_its_administrator(web):
    body = web.get("/").content.decode()
    assert "Getting started" in body and "Create your team" in body
    web.post("/settings/start/team/", {"name": "Support"})
    assert Team.objects.filter(name="Support").exists()
    body = web.get("/settings/start/").content.decode()
    assert 'id="team" class="card done"' in body


def test_agents_never_see_it_and_cannot_use_it(outsider):
    client = signed_in(outsider)
    assert "Getting started" not in client.get("/").content.decode()
    assert client.get("/settings/start/").status_code == 403
    assert client.post("/settings/start/team/", {"name": "Mine"}).status_code == 403
    assert not Team.objects.exists()


def test_the_chat_widget_is_created_once_and_its_snippet_shown(web):
    web.post("/settings/start/chat/")
    web.post("/settings/start/chat/")
    chat = Inbox.objects.get(channel="chat")
    assert f'data-inbox="{chat.public_key}"' in web.get("/settings/start/").content.decode()


def test_an_invited_colleague_chooses_a_password_from_the_email_and_signs_in(web, client):
    web.post("/settings/start/invite/", {"email": "ravi@support.example", "role": "agent"})
    ravi = User.objects.get(email="ravi@support.example")
    assert not ravi.has_usable_password()
    (sent,) = mail.outbox
    assert sent.to == ["ravi@support.example"]
    link = re.search(r"https?://\S+/password/reset/\S+/", sent.body).group(0)
    path = "/" + link.split("/", 3)[3]
    form_page = client.get(path, follow=True)
    new = {"new_password1": "a-long-new-pass-4921", "new_password2": "a-long-new-pass-4921"}
    client.post(form_page.redirect_chain[-1][0], new)
    ravi.refresh_from_db()
    assert ravi.check_password("a-long-new-pass-4921")
    # Invited twice: refused, not a second account.
    web.post("/settings/start/invite/", {"email": "RAVI@support.example"})
    assert User.objects.filter(email__iexact="ravi@support.example").count() == 1


def test_the_checklist_can_be_hidden_and_is_gone_once_everything_is_done(web, admin):
    web.post("/settings/start/hide/")
    assert "Getting started" not in web.get("/").content.decode()
    admin.refresh_from_db()
    assert admin.onboarding_hidden
    UserFactory()  # a colleague: that step is done, others are not
    body = signed_in(UserFactory(role="admin")).get("/").content.decode()
    assert "Getting started" in body
