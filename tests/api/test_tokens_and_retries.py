"""API tokens have scopes, expiry and a request budget; a POST retried with the same
Idempotency-Key is answered again and never done twice."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone

from sahayak.accounts.models import ApiToken, TokenScope, User
from sahayak.accounts.services import create_api_token
from sahayak.api.idempotency import forget_old
from sahayak.api.models import IdempotentRequest
from sahayak.conversations.models import Message
from tests.conftest import ApiClient
from tests.factories import ConversationFactory

pytestmark = pytest.mark.django_db


def test_a_read_only_token_reads_but_cannot_write(admin: User) -> None:
    _token, secret = create_api_token(user=admin, scope=TokenScope.READ)
    client = ApiClient(secret)
    assert client.get("/api/v1/contacts").status_code == 200
    response = client.post("/api/v1/contacts", {"name": "Asha"})
    assert response.status_code == 403 and response.json()["detail"] == "This token is read-only."


def test_an_expired_token_is_refused(admin: User) -> None:
    _token, secret = create_api_token(user=admin, expires_at=timezone.now() - timedelta(seconds=1))
    assert ApiClient(secret).get("/api/v1/contacts").status_code == 401
    _token, secret = create_api_token(user=admin, expires_at=timezone.now() + timedelta(days=1))
    assert ApiClient(secret).get("/api/v1/contacts").status_code == 200


def test_each_token_has_a_request_budget(admin: User, settings: Any) -> None:
    settings.SAHAYAK_API_RATE = 3
    _token, secret = create_api_token(user=admin)
    client = ApiClient(secret)
    statuses = [client.get("/api/v1/contacts").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    refused = client.get("/api/v1/contacts")
    assert 1 <= int(refused["Retry-After"]) <= 60
    # Another token has its own budget; a token may be given a bigger one.
    token, other = create_api_token(user=admin)
    ApiToken.objects.filter(pk=token.pk).update(rate_limit=10)
    assert [ApiClient(other).get("/api/v1/contacts").status_code for _ in range(5)] == [200] * 5


def test_a_retried_reply_with_the_same_key_is_sent_once(api: ApiClient, admin: User) -> None:
    conversation = ConversationFactory()
    url = f"/api/v1/conversations/{conversation.pk}/messages"
    body = {"text": "Your refund is on its way."}
    first = api.post(url, body, HTTP_IDEMPOTENCY_KEY="reply-42")
    again = api.post(url, body, HTTP_IDEMPOTENCY_KEY="reply-42")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again["Idempotent-Replayed"] == "true"
    assert Message.objects.filter(conversation=conversation, direction="out").count() == 1
    # The same key for another request is a client bug: refused, nothing stored.
    other = api.post(url, {"text": "Something else"}, HTTP_IDEMPOTENCY_KEY="reply-42")
    assert other.status_code == 422
    # Without a key, or with a new key, each POST is its own.
    assert api.post(url, body).status_code == 201
    assert api.post(url, body, HTTP_IDEMPOTENCY_KEY="reply-43").status_code == 201
    assert Message.objects.filter(conversation=conversation, direction="out").count() == 3


def test_keys_of_different_tokens_do_not_meet(admin: User) -> None:
    conversation = ConversationFactory()
    url = f"/api/v1/conversations/{conversation.pk}/messages"
    one = ApiClient(create_api_token(user=admin)[1])
    two = ApiClient(create_api_token(user=admin)[1])
    one.post(url, {"text": "Hello"}, HTTP_IDEMPOTENCY_KEY="k")
    assert "Idempotent-Replayed" not in two.post(url, {"text": "Hello"}, HTTP_IDEMPOTENCY_KEY="k")
    assert Message.objects.filter(conversation=conversation, direction="out").count() == 2


def test_refused_requests_are_not_remembered(admin: User) -> None:
    conversation = ConversationFactory()
    url = f"/api/v1/conversations/{conversation.pk}/messages"
    assert (
        ApiClient("shk_wrong").post(url, {"text": "x"}, HTTP_IDEMPOTENCY_KEY="a").status_code == 401
    )
    assert not IdempotentRequest.objects.exists()


def test_a_bad_key_is_refused(api: ApiClient) -> None:
    response = api.post("/api/v1/contacts", {"name": "A"}, HTTP_IDEMPOTENCY_KEY="x" * 300)
    assert response.status_code == 400


def test_old_answers_are_forgotten(api: ApiClient, settings: Any) -> None:
    api.post("/api/v1/contacts", {"name": "Asha"}, HTTP_IDEMPOTENCY_KEY="c-1")
    IdempotentRequest.objects.update(created_at=timezone.now() - timedelta(hours=25))
    assert forget_old() == 1


def test_the_token_command_makes_scoped_expiring_tokens(admin: User, capsys: Any) -> None:
    call_command(
        "token", "create", "--email", admin.email, "--scope", "read", "--expires-days", "7"
    )
    token = ApiToken.objects.get()
    assert token.scope == "read" and token.expires_at is not None
    assert timedelta(days=6) < token.expires_at - timezone.now() <= timedelta(days=7)
