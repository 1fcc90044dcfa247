"""The widget's HTTP side: the script, its settings in the visitor's language, uploads, files."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from sahayak.connectors.chat import services
from sahayak.conversations.models import Message

from .conftest import SITE

pytestmark = pytest.mark.django_db

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00"
    b"\x00\x00IEND\xaeB`\x82"
)


def test_the_widget_script_and_styles_are_served_by_sahayak_itself(client: Client):
    script = client.get("/widget.js")
    assert script.status_code == 200
    assert script["Content-Type"].startswith("text/javascript")
    assert b"SahayakChat" in script.content and b"innerHTML" not in script.content
    assert client.get("/widget.css")["Content-Type"].startswith("text/css")


@pytest.mark.parametrize(
    ("locale", "words"),
    [("fr-FR", "Écrivez"), ("hi-IN", "संदेश"), ("bn", "বার্তা"), ("el", "μήνυμα"), ("en-GB", "Write")],
)
def test_the_settings_come_in_the_visitors_language(client, chat_inbox, locale, words):
    chat_inbox.config = {**chat_inbox.config, "color": "#aa0000", "greeting": {"fr": "Salut"}}
    chat_inbox.save()
    response = client.get(f"/chat/{chat_inbox.public_key}/config?locale={locale}", HTTP_ORIGIN=SITE)
    body = response.json()
    assert words in body["strings"]["placeholder"]
    assert body["color"] == "#aa0000"
    assert body["locale"] == locale[:2]
    if locale.startswith("fr"):
        assert body["greeting"] == "Salut"
    assert response["Access-Control-Allow-Origin"] == SITE


def test_settings_answer_no_cors_to_an_unlisted_site_and_404_for_unknown_inboxes(
    client, chat_inbox
):
    response = client.get(
        f"/chat/{chat_inbox.public_key}/config", HTTP_ORIGIN="https://evil.example"
    )
    assert "Access-Control-Allow-Origin" not in response
    assert client.get("/chat/unknown-key/config").status_code == 404


def _visitor(inbox: Any) -> tuple[Any, str]:
    return services.start_session(inbox=inbox, context={})


def _upload(client: Client, inbox: Any, token: str, name: str, body: bytes, kind: str) -> Any:
    return client.post(
        f"/chat/{inbox.public_key}/upload",
        {"token": token, "client_id": "f1", "file": SimpleUploadedFile(name, body, kind)},
        HTTP_ORIGIN=SITE,
    )


def test_a_visitor_uploads_an_image_that_only_they_can_fetch(client, chat_inbox):
    session, token = _visitor(chat_inbox)
    response = _upload(client, chat_inbox, token, "photo.png", PNG, "image/png")
    assert response.status_code == 201, response.content
    attachment = response.json()["message"]["attachments"][0]
    assert attachment["name"] == "photo.png"
    again = _upload(client, chat_inbox, token, "photo.png", PNG, "image/png")
    assert again.json()["message"]["id"] == response.json()["message"]["id"]  # stored once
    file = client.get(attachment["url"])
    assert file.status_code == 200 and b"".join(file.streaming_content) == PNG
    assert "sandbox" in file["Content-Security-Policy"]
    # A link is for its visitor's files only: a forged one finds nothing.
    other, _token = _visitor(chat_inbox)
    stolen = services.attachment_url(other, Message.objects.get().attachments.get())
    assert client.get(stolen).status_code == 404
    assert client.get(attachment["url"][:-3] + "abc").status_code == 404


@pytest.mark.parametrize(
    ("name", "body", "kind", "status", "code"),
    [
        ("run.exe", b"MZ...", "application/x-msdownload", 415, "type"),
        ("page.html", b"<script>alert(1)</script>", "text/html", 415, "type"),
        ("big.png", PNG + b"\0" * 2048, "image/png", 413, "too_large"),
    ],
)
def test_uploads_of_the_wrong_type_or_size_are_refused(
    client, chat_inbox, settings, name, body, kind, status, code
):
    settings.SAHAYAK_CHAT_UPLOAD_BYTES = 1024
    _session, token = _visitor(chat_inbox)
    response = _upload(client, chat_inbox, token, name, body, kind)
    assert (response.status_code, response.json()["code"]) == (status, code)
    assert not Message.objects.exists()


def test_an_upload_needs_the_visitors_token_and_an_allowed_site(client, chat_inbox):
    _session, token = _visitor(chat_inbox)
    assert _upload(client, chat_inbox, "x" * 40, "a.png", PNG, "image/png").status_code == 403
    forged = client.post(
        f"/chat/{chat_inbox.public_key}/upload",
        {"token": token, "file": SimpleUploadedFile("a.png", PNG, "image/png")},
        HTTP_ORIGIN="https://evil.example",
    )
    assert forged.status_code == 403
    assert not Message.objects.exists()


def test_the_preview_page_embeds_the_widget_with_the_inboxs_key(client, chat_inbox):
    page = client.get(f"/chat/{chat_inbox.public_key}/preview")
    assert page.status_code == 200
    assert f'data-inbox="{chat_inbox.public_key}"'.encode() in page.content


def test_an_unknown_or_missing_locale_gets_the_default_language(client, chat_inbox):
    for query in ("?locale=zz-ZZ", "?locale=", ""):
        body = client.get(f"/chat/{chat_inbox.public_key}/config{query}").json()
        assert body["locale"] == "en" and body["strings"]["placeholder"] == "Write a message…"


def test_file_links_expire(client, chat_inbox, settings):
    session, token = _visitor(chat_inbox)
    response = _upload(client, chat_inbox, token, "photo.png", PNG, "image/png")
    url = response.json()["message"]["attachments"][0]["url"]
    assert client.get(url).status_code == 200
    settings.SAHAYAK_CHAT_FILE_LINK_SECONDS = -1  # every link is older than that
    assert client.get(url).status_code == 404


def test_one_address_cannot_open_sessions_without_end(chat_inbox, settings):
    settings.SAHAYAK_CHAT_SESSIONS_PER_IP = 3
    for _ in range(3):
        services.start_session(inbox=chat_inbox, context={}, ip="203.0.113.5")
    with pytest.raises(services.ChatError) as refused:
        services.start_session(inbox=chat_inbox, context={}, ip="203.0.113.5")
    assert refused.value.code == "rate"
    services.start_session(inbox=chat_inbox, context={}, ip="198.51.100.1")  # others may


def test_an_inbox_has_a_ceiling_for_new_sessions(chat_inbox, settings):
    settings.SAHAYAK_CHAT_SESSIONS_PER_INBOX = 2
    services.start_session(inbox=chat_inbox, context={}, ip="192.0.2.1")
    services.start_session(inbox=chat_inbox, context={}, ip="192.0.2.2")
    with pytest.raises(services.ChatError):
        services.start_session(inbox=chat_inbox, context={}, ip="192.0.2.3")


def test_messages_from_one_address_across_sessions_are_limited(chat_inbox, settings):
    settings.SAHAYAK_CHAT_IP_RATE = 4
    sessions = [_visitor(chat_inbox)[0] for _ in range(3)]
    allowed = [
        not services.rate_limited(session, "203.0.113.9") for session in sessions for _ in (1, 2)
    ]
    assert allowed == [True, True, True, True, False, False]
    assert not services.rate_limited(sessions[0], "198.51.100.2")
