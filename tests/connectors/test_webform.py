"""The public web form: CSRF-safe, rate-limited, idempotent on resubmit, clear errors."""

import re

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from sahayak.conversations.models import Conversation, Message
from tests.factories import InboxFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clear_rate_limits():
    cache.clear()


@pytest.fixture
def form_inbox():
    return InboxFactory(name="Help", channel="webform", config={"title": "Contact us"})


def _open_form(client, inbox):
    page = client.get(f"/form/{inbox.public_key}/")
    assert page.status_code == 200
    html = page.content.decode()
    token = re.search(r'name="submission" value="([^"]+)"', html).group(1)
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    return token, csrf


def _fields(token, csrf, **extra):
    data = {
        "name": "Léa Bernard",
        "email": "Lea@Mail.example",
        "subject": "Colis",
        "message": "Bonjour, mon colis n'est pas arrivé.",
        "submission": token,
        "csrfmiddlewaretoken": csrf,
    }
    data.update(extra)
    return data


def test_submission_opens_a_conversation_and_shows_its_number(form_inbox):
    client = Client(enforce_csrf_checks=True)
    token, csrf = _open_form(client, form_inbox)
    response = client.post(f"/form/{form_inbox.public_key}/", _fields(token, csrf))
    assert response.status_code == 200
    conv = Conversation.objects.get()
    assert f"#{conv.number}" in response.content.decode()
    assert conv.channel == "webform" and conv.language == "fr"
    assert conv.contact.identities.get().address == "lea@mail.example"


def test_resubmitting_the_same_form_stores_one_message(form_inbox):
    client = Client(enforce_csrf_checks=True)
    token, csrf = _open_form(client, form_inbox)
    for _ in range(3):
        client.post(f"/form/{form_inbox.public_key}/", _fields(token, csrf))
    assert Message.objects.count() == 1


def test_post_without_csrf_token_is_refused(form_inbox):
    client = Client(enforce_csrf_checks=True)
    token, _csrf = _open_form(client, form_inbox)
    response = client.post(f"/form/{form_inbox.public_key}/", _fields(token, ""))
    assert response.status_code == 403
    assert not Message.objects.exists()


def test_invalid_fields_get_400_with_the_form_again(form_inbox):
    client = Client()
    token, csrf = _open_form(client, form_inbox)
    response = client.post(f"/form/{form_inbox.public_key}/", _fields(token, csrf, email="nope"))
    assert response.status_code == 400
    assert "errorlist" in response.content.decode()
    assert not Message.objects.exists()


def test_hostile_text_is_escaped_on_the_page(form_inbox):
    client = Client()
    token, csrf = _open_form(client, form_inbox)
    payload = '"><script>alert(1)</script>'
    response = client.post(f"/form/{form_inbox.public_key}/", _fields(token, csrf, email=payload))
    assert "<script>alert(1)</script>" not in response.content.decode()


def test_rate_limit_answers_429(form_inbox, settings):
    settings.SAHAYAK_WEBFORM_RATE = 2
    client = Client()
    codes = []
    for n in range(4):
        token, csrf = _open_form(client, form_inbox)
        codes.append(
            client.post(
                f"/form/{form_inbox.public_key}/", _fields(token, csrf, subject=f"s{n}")
            ).status_code
        )
    assert codes == [200, 200, 429, 429]
    assert Message.objects.count() == 2


def test_attachment_is_stored_and_oversized_one_refused(form_inbox, settings):
    client = Client()
    token, csrf = _open_form(client, form_inbox)
    upload = SimpleUploadedFile("ফটো.png", b"\x89PNG....", content_type="image/png")
    client.post(f"/form/{form_inbox.public_key}/", {**_fields(token, csrf), "attachment": upload})
    assert Message.objects.get().attachments.get().filename == "ফটো.png"
    settings.SAHAYAK_MAX_ATTACHMENT_BYTES = 4
    token, csrf = _open_form(client, form_inbox)
    big = SimpleUploadedFile("big.bin", b"0123456789")
    response = client.post(
        f"/form/{form_inbox.public_key}/", {**_fields(token, csrf), "attachment": big}
    )
    assert response.status_code == 400 and Message.objects.count() == 1


def test_unknown_or_inactive_form_is_404():
    assert Client().get("/form/nope/").status_code == 404
    inactive = InboxFactory(channel="webform", is_active=False)
    assert Client().get(f"/form/{inactive.public_key}/").status_code == 404
    api_inbox = InboxFactory(channel="api")
    assert Client().get(f"/form/{api_inbox.public_key}/").status_code == 404


@pytest.mark.parametrize(
    ("language", "label", "button"),
    [
        ("fr", "Votre nom", "Envoyer"),
        ("hi", "आपका नाम", "भेजें"),
        ("bn", "আপনার নাম", "পাঠান"),
        ("el", "Το όνομά σας", "Αποστολή"),
        ("en", "Your name", "Send"),
        ("de", "Your name", "Send"),
    ],
)
def test_form_is_shown_in_the_visitors_language(form_inbox, language, label, button):
    """Unsupported languages fall back to English."""
    page = Client().get(f"/form/{form_inbox.public_key}/", HTTP_ACCEPT_LANGUAGE=language)
    html = page.content.decode()
    assert label in html and button in html
    assert f'lang="{language if language != "de" else "en"}"' in html


def test_form_errors_are_translated(form_inbox):
    client = Client()
    token, csrf = _open_form(client, form_inbox)
    response = client.post(
        f"/form/{form_inbox.public_key}/",
        _fields(token, csrf, email="x"),
        HTTP_ACCEPT_LANGUAGE="fr",
    )
    assert response.status_code == 400
    assert "Saisissez une adresse de courriel valide" in response.content.decode()


def test_behind_a_trusted_proxy_each_client_has_its_own_limit_and_spoofing_does_not_help(
    form_inbox, settings
):
    from django.core.cache import cache

    cache.clear()
    settings.SAHAYAK_WEBFORM_RATE = 1

    def send(client, n, forwarded, remote="10.0.0.5"):
        token, csrf = _open_form(client, form_inbox)
        return client.post(
            f"/form/{form_inbox.public_key}/",
            _fields(token, csrf, subject=f"s{n}"),
            REMOTE_ADDR=remote,
            HTTP_X_FORWARDED_FOR=forwarded,
        ).status_code

    # Not configured: the header is ignored, everyone behind the proxy shares one limit.
    assert [send(Client(), 1, "203.0.113.1"), send(Client(), 2, "203.0.113.2")] == [200, 429]
    cache.clear()
    settings.SAHAYAK_TRUSTED_PROXIES = ["10.0.0.0/8"]
    assert send(Client(), 3, "203.0.113.1") == 200
    assert send(Client(), 4, "203.0.113.2") == 200  # another client, its own limit
    # A client cannot escape its limit by prepending a made-up address.
    assert send(Client(), 5, "198.51.100.9, 203.0.113.1") == 429
    # Nor can a direct (untrusted) client claim to be someone else.
    assert send(Client(), 6, "203.0.113.3", remote="192.0.2.50") == 200
    assert send(Client(), 7, "203.0.113.4", remote="192.0.2.50") == 429
