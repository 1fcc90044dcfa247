"""The channel port: the core imports no connector, and one package plus one app entry is
all a new channel needs to appear in the reply box, the inbox filter and the API."""

from __future__ import annotations

import ast
import json
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import override_settings

from sahayak.conversations import channels
from sahayak.conversations.delivery import deliver
from sahayak.conversations.models import DeliveryStatus, Message
from sahayak.conversations.services import reply
from tests.factories import ConversationFactory, IdentityFactory, InboxFactory

CORE = ("contacts", "conversations")
FORBIDDEN = ("sahayak.connectors", "sahayak.web", "sahayak.api", "sahayak.portal")


def _imports(path: Path) -> list[str]:
    names = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
    return names


@pytest.mark.parametrize("app", CORE)
def test_the_core_imports_no_connector_nor_transport(app: str) -> None:
    root = Path(settings.BASE_DIR) / app
    offenders = [
        f"{path.relative_to(root)}: {name}"
        for path in root.rglob("*.py")
        for name in _imports(path)
        if name.startswith(FORBIDDEN)
    ]
    assert offenders == []


@pytest.fixture
def pigeon(db: Any, webhook_server: Any) -> Any:
    """The throwaway channel installed, with an active inbox that posts to a local fake."""
    with override_settings(INSTALLED_APPS=[*settings.INSTALLED_APPS, "tests.connectors.throwaway"]):
        InboxFactory(channel="pigeon", name="Lofts", config={"url": webhook_server[0]})
        yield webhook_server[1]
    assert not channels.is_known("pigeon"), "uninstalled: gone again"


@pytest.fixture
def customer_with_loft(db: Any) -> Any:
    conversation = ConversationFactory(channel="email", inbox=InboxFactory(channel="email"))
    IdentityFactory(contact=conversation.contact, kind="email")
    return conversation


def test_a_new_channel_appears_in_the_reply_box_the_inbox_filter_and_the_api(
    pigeon: Any, customer_with_loft: Any, web: Any, api: Any, admin: Any
) -> None:
    conversation = customer_with_loft
    # Not reachable yet: neither offered nor accepted.
    page = web.get(f"/c/{conversation.pk}/").content.decode()
    assert "Carrier pigeon" not in page
    refused = api.post(
        f"/api/v1/conversations/{conversation.pk}/messages", {"text": "hi", "channel": "pigeon"}
    )
    assert refused.status_code == 422 and "Carrier pigeon" in refused.json()["detail"]

    from sahayak.contacts.services import add_identity

    add_identity(contact=conversation.contact, kind="pigeon_loft", address="@Roof-7")
    page = web.get(f"/c/{conversation.pk}/").content.decode()
    assert '<option value="pigeon">Carrier pigeon</option>' in page
    inbox = web.get("/?view=all").content.decode()
    assert "channel=pigeon" in inbox and "M4 12h16" in inbox
    sent = api.post(
        f"/api/v1/conversations/{conversation.pk}/messages", {"text": "hi", "channel": "pigeon"}
    )
    assert sent.status_code == 201
    assert deliver(sent.json()["id"]) == DeliveryStatus.SENT
    assert json.loads(pigeon.requests[0]["body"])["to"]["pigeon_loft"] == ["roof-7"]


def test_the_workspace_refuses_a_channel_the_customer_cannot_be_reached_on(
    customer_with_loft: Any, web: Any
) -> None:
    conversation = customer_with_loft
    response = web.post(
        f"/c/{conversation.pk}/reply/",
        {"text": "hi", "kind": "reply", "channel": "chat"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 422 and "Chat" in response.content.decode()
    assert not Message.objects.filter(conversation=conversation).exists()


def test_the_api_refuses_unknown_and_unreachable_channels_with_a_reason(
    customer_with_loft: Any, api: Any
) -> None:
    url = f"/api/v1/conversations/{customer_with_loft.pk}/messages"
    for channel in ("chat", "nonesuch"):
        response = api.post(url, {"text": "hi", "channel": channel})
        assert response.status_code == 422, channel
        assert "cannot be reached" in response.json()["detail"]
    assert not Message.objects.filter(conversation=customer_with_loft).exists()


def test_a_conversation_on_a_channel_without_connector_offers_the_others(db: Any, web: Any) -> None:
    InboxFactory(channel="email", config={"address": "help@shop.example"})
    conversation = ConversationFactory(channel="fax")  # no connector for it
    IdentityFactory(contact=conversation.contact, kind="email")
    page = web.get(f"/c/{conversation.pk}/").content.decode()
    assert '<option value="email">Email</option>' in page
    assert 'value="fax"' not in page
    with pytest.raises(Exception, match="cannot be reached"):
        reply(conversation=conversation, author=conversation.contact, text="x")  # type: ignore[arg-type]


def test_the_admin_offers_only_channels_with_a_connector(web: Any, admin: Any) -> None:
    admin.is_staff = admin.is_superuser = True
    admin.save()
    page = web.get("/admin/conversations/inbox/add/").content.decode()
    assert '<option value="email">Email</option>' in page
    assert '<option value="whatsapp">WhatsApp</option>' in page
    assert 'value="fax"' not in page
    refused = web.post(
        "/admin/conversations/inbox/add/",
        {"name": "Fax", "channel": "fax", "public_key": "k1", "config": "{}"},
    )
    assert refused.status_code == 200 and "Select a valid choice" in refused.content.decode()
