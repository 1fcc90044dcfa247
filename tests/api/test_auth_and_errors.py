"""Every API failure is JSON with a reason and the right status; never a 500 for bad input."""

import pytest
from django.utils import timezone

from sahayak.accounts.models import ApiToken
from tests.conftest import ApiClient

pytestmark = pytest.mark.django_db


def test_call_without_token_gets_401(anon_api):
    response = anon_api.get("/api/v1/conversations")
    assert response.status_code == 401
    assert response.json()["detail"]


def test_wrong_and_revoked_tokens_get_401(api, admin):
    assert ApiClient("shk_wrong").get("/api/v1/conversations").status_code == 401
    assert ApiClient("Bearer-ish").get("/api/v1/contacts").status_code == 401
    assert api.get("/api/v1/conversations").status_code == 200
    ApiToken.objects.update(revoked_at=timezone.now())
    assert api.get("/api/v1/conversations").status_code == 401


def test_deactivated_agent_token_gets_401(api, admin):
    admin.is_active = False
    admin.save()
    assert api.get("/api/v1/conversations").status_code == 401


def test_oversized_body_gets_413_with_reason(api, settings):
    settings.SAHAYAK_MAX_REQUEST_BYTES = 1000
    response = api.post("/api/v1/inbound", b"{" + b" " * 2000 + b"}")
    assert response.status_code == 413
    assert "too large" in response.json()["detail"]


def test_json_body_over_the_parse_limit_gets_413(api, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100
    response = api.post("/api/v1/inbound", {"inbox_id": 1, "text": "x" * 500})
    assert response.status_code == 413


@pytest.mark.parametrize("body", [b"{bad json", b"\xff\xfe\x00", b"[1, 2"])
def test_malformed_json_gets_400(api, body):
    response = api.post("/api/v1/inbound", body)
    assert response.status_code == 400
    assert response.json()["detail"]


def test_wrong_types_get_422_with_field_errors(api):
    response = api.post("/api/v1/inbound", {"inbox_id": "seven", "sender": {}})
    assert response.status_code == 422
    locations = {tuple(e["loc"][-1:]) for e in response.json()["errors"]}
    assert ("inbox_id",) in locations and ("external_id",) in locations


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/conversations/999999",
        "/api/v1/contacts/999999",
        "/api/v1/orders/999999",
        "/api/v1/organizations/999999",
        "/api/v1/conversations/999999/messages",
    ],
)
def test_unknown_ids_get_404_json(api, path):
    response = api.get(path)
    assert response.status_code == 404
    assert response.json()["detail"]


def test_bad_cursor_gets_400(api):
    response = api.get("/api/v1/conversations?cursor=!!!not-a-cursor")
    assert response.status_code == 400
    assert response.json() == {"detail": "Invalid cursor."}


def test_openapi_document_and_docs_page_are_served(api):
    schema = api.get("/api/v1/openapi.json").json()
    assert schema["info"]["title"] == "Sahayak API"
    for path in [
        "/api/v1/conversations",
        "/api/v1/contacts/lookup",
        "/api/v1/inbound",
        "/api/v1/orders/import",
        "/api/v1/contacts/{contact_id}/merge",
    ]:
        assert path in schema["paths"], path
    assert api.get("/api/v1/docs").status_code == 200
