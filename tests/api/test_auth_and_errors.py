"""Every API failure is JSON with a reason and the right status; never a 500 for bad input."""

import json

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


# Found by fuzzing the OpenAPI document: each once answered 500.


def test_ids_beyond_64_bits_in_a_body_get_422(api):
    response = api.post("/api/v1/conversations/1/merge", {"source_id": 2**70})
    assert response.status_code == 422


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/contacts?organization_id=6835956491530323032539136",
        "/api/v1/orders?contact_id=32589158477190044729",
        "/api/v1/conversations?assignee_id=99999999999999999999999",
    ],
)
def test_ids_beyond_64_bits_get_422(api, path):
    response = api.get(path)
    assert response.status_code == 422
    assert response.json()["errors"][0]["type"] == "less_than_equal"


def test_null_fields_in_a_contact_patch_are_ignored(api):
    contact = api.post("/api/v1/contacts", {"name": "Asha", "locale": "hi"}).json()
    response = api.patch(
        f"/api/v1/contacts/{contact['id']}",
        {"name": None, "locale": None, "custom_attributes": None},
    )
    assert response.status_code == 200
    assert (response.json()["name"], response.json()["locale"]) == ("Asha", "hi")


@pytest.mark.parametrize("organization_id", [False, 0, 987654])
def test_unknown_organization_is_422_not_a_crash(api, organization_id):
    response = api.post("/api/v1/contacts", {"organization_id": organization_id})
    assert response.status_code == 422
    assert "organization" in json.dumps(response.json())  # the reason names the field


def test_multipart_without_boundary_gets_400(api):
    response = api.client.post(
        "/api/v1/orders/import", b"x=1", content_type="multipart/form-data", **api.headers
    )
    assert response.status_code == 400
    assert "multipart" in response.json()["detail"]


@pytest.mark.parametrize("forged", ['["x"]', "[null]", "[{}]", "[true]", '["2026-13-45T99:00"]'])
@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/conversations",
        "/api/v1/conversations?sort=waiting",
        "/api/v1/contacts",
        "/api/v1/orders",
        "/api/v1/kb/articles",
    ],
)
def test_a_forged_cursor_is_a_400_with_a_reason(api, path, forged):
    import base64

    cursor = base64.urlsafe_b64encode(forged.encode()).decode().rstrip("=")
    if "sort=waiting" in path and forged.startswith('["2026'):
        cursor = base64.urlsafe_b64encode(b'["2026-13-45T99:00", 1]').decode().rstrip("=")
    joiner = "&" if "?" in path else "?"
    response = api.get(f"{path}{joiner}cursor={cursor}")
    assert response.status_code == 400, response.content
    assert response.json()["detail"] == "Invalid cursor."


LONE_SURROGATE = '"bad \\ud800 text"'  # valid JSON, invalid Unicode


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("patch", "/api/v1/conversations/{c}", '{"custom_fields": {"note": %s}}'),
        ("patch", "/api/v1/conversations/{c}", '{"custom_fields": {%s: "x"}}'),
        ("patch", "/api/v1/contacts/{contact}", '{"custom_attributes": {"a": %s}}'),
        ("patch", "/api/v1/contacts/{contact}", '{"name": %s}'),
        ("post", "/api/v1/conversations/{c}/messages", '{"text": %s}'),
    ],
)
def test_invalid_unicode_is_refused_and_every_page_keeps_working(api, web, method, path, body):
    from tests.factories import ConversationFactory

    conversation = ConversationFactory()
    url = path.format(c=conversation.pk, contact=conversation.contact_id)
    response = getattr(api, method)(url, body % LONE_SURROGATE)
    assert response.status_code == 422 and "Unicode" in response.json()["detail"]
    assert web.get(f"/c/{conversation.pk}/").status_code == 200
    assert web.get(f"/contacts/{conversation.contact_id}/").status_code == 200


def test_custom_fields_are_bounded(api):
    from tests.factories import ConversationFactory

    conversation = ConversationFactory()
    url = f"/api/v1/conversations/{conversation.pk}"
    too_many = {f"k{i}": "v" for i in range(51)}
    assert api.patch(url, {"custom_fields": too_many}).status_code == 422
    assert api.patch(url, {"custom_fields": {"k" * 65: "v"}}).status_code == 422
    assert api.patch(url, {"custom_fields": {"big": "x" * 20_000}}).status_code == 422
    ok = api.patch(url, {"custom_fields": {"plan": "gold"}})
    assert ok.status_code == 200 and ok.json()["custom_fields"] == {"plan": "gold"}
