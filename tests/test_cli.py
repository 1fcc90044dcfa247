"""The console commands: token, demo."""

import io

import pytest
from django.core.management import CommandError, call_command

from sahayak.contacts.models import Contact, Order
from sahayak.conversations.models import Conversation
from tests.conftest import ApiClient

pytestmark = pytest.mark.django_db


def test_token_create_prints_a_working_token(admin):
    out = io.StringIO()
    call_command("token", "create", "--email", "OWNER@support.example", stdout=out)
    secret = out.getvalue().strip()
    assert secret.startswith("shk_")
    assert ApiClient(secret).get("/api/v1/conversations").status_code == 200
    listing = io.StringIO()
    call_command("token", "list", stdout=listing)
    assert secret not in listing.getvalue() and "owner@support.example" in listing.getvalue()
    call_command("token", "revoke", secret[:10], stdout=io.StringIO())
    assert ApiClient(secret).get("/api/v1/conversations").status_code == 401


def test_token_create_for_unknown_agent_fails_clearly(db):
    with pytest.raises(CommandError, match="No agent"):
        call_command("token", "create", "--email", "ghost@support.example")


def test_demo_loads_customers_in_five_languages_on_several_channels_once(db):
    out = io.StringIO()
    call_command("demo", stdout=out)
    assert "admin@example.com" in out.getvalue()
    assert Contact.objects.filter(merged_into__isnull=True).count() >= 50
    languages = set(Conversation.objects.values_list("language", flat=True))
    assert {"en", "hi", "bn", "el", "fr"} <= languages
    assert Conversation.objects.values("channel").distinct().count() >= 4
    assert Order.objects.count() >= 50
    # Customers who wrote by phone and by email are one profile.
    assert (
        Contact.objects.filter(identities__kind="phone").filter(identities__kind="email").exists()
    )
    before = Conversation.objects.count()
    again = io.StringIO()
    call_command("demo", stdout=again)
    assert "already loaded" in again.getvalue() and Conversation.objects.count() == before


def test_demo_has_only_channels_that_can_be_answered(db):
    """Every demo conversation has a channel a reply can go out on, and the links printed
    use the port asked for."""
    from sahayak.conversations.services import reply_channels

    out = io.StringIO()
    call_command("demo", "--port", "8400", stdout=out)
    assert "http://127.0.0.1:8400/" in out.getvalue() and ":8000" not in out.getvalue()
    conversations = Conversation.objects.select_related("contact")
    assert conversations.exists()
    for conversation in conversations:
        assert reply_channels(conversation), f"#{conversation.pk} cannot be answered"


def test_serve_refuses_to_start_when_the_smtp_port_is_taken(db):
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(CommandError, match=f"SMTP port 127.0.0.1:{port}"):
            call_command("serve", "--smtp-port", str(port), "--no-worker", "--no-fetchmail")
