"""Errors people see are helpful pages in their language; API errors stay JSON."""

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_unknown_page_gets_a_translated_404_page():
    response = Client().get("/no-such-page/", HTTP_ACCEPT_LANGUAGE="el")
    assert response.status_code == 404
    assert "Η σελίδα δεν βρέθηκε" in response.content.decode()


def test_csrf_failure_explains_what_to_do():
    from tests.factories import InboxFactory

    inbox = InboxFactory(channel="webform")
    response = Client(enforce_csrf_checks=True).post(f"/form/{inbox.public_key}/", {})
    assert response.status_code == 403
    assert "Please reload the page" in response.content.decode()


def test_unexpected_api_error_is_json_500_and_logged(api, api_inbox, monkeypatch, caplog):
    from sahayak.api.routers import inbound

    def broken(_message):
        raise RuntimeError("boom")

    monkeypatch.setattr(inbound, "receive", broken)
    body = {
        "inbox_id": api_inbox.pk,
        "external_id": "x",
        "sender": {"address": "a@mail.example"},
        "text": "hi",
    }
    response = api.post("/api/v1/inbound", body)
    assert response.status_code == 500
    assert response.json() == {"detail": "Internal error; it has been logged."}
    assert "boom" not in response.content.decode()
    assert any("API error" in record.message for record in caplog.records)
