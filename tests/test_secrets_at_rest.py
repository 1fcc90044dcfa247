"""Secrets are encrypted in the database, never shown in the admin, and survive a key
rotation; a fresh data dir is private to the service's user."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import connection
from django.test import Client

from sahayak import crypto
from sahayak.conversations.fields import MASK
from sahayak.conversations.models import Inbox
from tests.factories import InboxFactory

pytestmark = pytest.mark.django_db

CONFIG = {
    "address": "help@shop.example",
    "smtp": {"host": "mail.example", "port": 587, "username": "help", "password": "smtp-pw-1"},
    "imap": {"host": "mail.example", "port": 993, "username": "help", "password": "imap-pw-2"},
}


def stored_config(inbox: Inbox) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT config FROM conversations_inbox WHERE id = %s", [inbox.pk])
        return str(cursor.fetchone()[0])


def test_mail_passwords_and_secrets_are_encrypted_in_the_database() -> None:
    inbox = InboxFactory(channel="email", config=CONFIG)
    api = InboxFactory(channel="api", config={"webhook_secret": "whsec-3", "webhook_url": "x"})
    raw = stored_config(inbox) + stored_config(api)
    for secret in ("smtp-pw-1", "imap-pw-2", "whsec-3"):
        assert secret not in raw
    assert "help@shop.example" in raw  # only secrets are sealed
    fresh = Inbox.objects.get(pk=inbox.pk)
    assert fresh.config["smtp"]["password"] == "smtp-pw-1"  # plain in memory
    assert Inbox.objects.values_list("config", flat=True).get(pk=api.pk)["webhook_secret"] == (
        "whsec-3"
    )


def test_the_admin_never_shows_a_secret_and_keeps_it_when_the_mask_is_sent_back(
    admin: Any,
) -> None:
    admin.is_staff = admin.is_superuser = True
    admin.save()
    inbox = InboxFactory(channel="email", config=CONFIG)
    client = Client()
    client.force_login(admin)
    page = client.get(f"/admin/conversations/inbox/{inbox.pk}/change/").content.decode()
    assert "smtp-pw-1" not in page and "imap-pw-2" not in page and MASK in page
    form = client.get(f"/admin/conversations/inbox/{inbox.pk}/change/").context["adminform"].form
    response = client.post(
        f"/admin/conversations/inbox/{inbox.pk}/change/",
        {
            "name": "Renamed",
            "channel": "email",
            "public_key": inbox.public_key,
            "config": form["config"].value(),
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    inbox.refresh_from_db()
    assert inbox.name == "Renamed" and inbox.config["smtp"]["password"] == "smtp-pw-1"


def test_keys_rotate_without_losing_a_secret(monkeypatch: Any, settings: Any) -> None:
    old = Fernet.generate_key().decode()
    new = Fernet.generate_key().decode()
    monkeypatch.setenv("SAHAYAK_ENCRYPTION_KEYS", old)
    crypto.reset_keys()
    try:
        inbox = InboxFactory(channel="email", config=CONFIG)
        before = stored_config(inbox)
        monkeypatch.setenv("SAHAYAK_ENCRYPTION_KEYS", f"{new},{old}")
        crypto.reset_keys()
        call_command("rotate_keys", stdout=open(os.devnull, "w"))  # noqa: SIM115
        assert stored_config(inbox) != before
        monkeypatch.setenv("SAHAYAK_ENCRYPTION_KEYS", new)  # the old key is gone now
        crypto.reset_keys()
        assert Inbox.objects.get(pk=inbox.pk).config["imap"]["password"] == "imap-pw-2"
        monkeypatch.setenv("SAHAYAK_ENCRYPTION_KEYS", Fernet.generate_key().decode())
        crypto.reset_keys()
        # A wrong key: the secret reads as empty, the inbox itself still loads.
        assert Inbox.objects.get(pk=inbox.pk).config["imap"]["password"] == ""
    finally:
        monkeypatch.delenv("SAHAYAK_ENCRYPTION_KEYS")
        crypto.reset_keys()


def test_a_fresh_data_dir_and_its_keys_are_private(tmp_path: Path) -> None:
    data = tmp_path / "data"
    env = {**os.environ, "SAHAYAK_DATA_DIR": str(data)}
    env.pop("SAHAYAK_ENCRYPTION_KEYS", None)
    env.pop("SECRET_KEY", None)
    code = "import django; django.setup(); from sahayak import crypto; crypto.encrypt('x')"
    subprocess.run(
        [sys.executable, "-c", code],
        env={**env, "DJANGO_SETTINGS_MODULE": "sahayak.settings"},
        check=True,
    )
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    for name in ("secret_key", "encryption_keys"):
        assert stat.S_IMODE((data / name).stat().st_mode) == 0o600
