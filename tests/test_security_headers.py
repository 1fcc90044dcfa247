"""Every HTML page carries a Content-Security-Policy whose nonce matches its inline
scripts (and no other inline script runs); HTTPS deployments send HSTS."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def csp_of(response: Any) -> dict[str, str]:
    header = response["Content-Security-Policy"]
    return {part.split(" ", 1)[0]: part.partition(" ")[2] for part in header.split("; ")}


def test_workspace_pages_allow_only_their_own_nonced_scripts(web: Client) -> None:
    response = web.get("/")
    policy = csp_of(response)
    nonce = re.search(r"'nonce-([^']+)'", policy["script-src"]).group(1)
    page = response.content.decode()
    inline = re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>", page)
    assert inline and all(f'nonce="{nonce}"' in attrs for attrs in inline)
    assert (
        "'unsafe-inline'" not in policy["script-src"] and "unsafe-eval" not in policy["script-src"]
    )
    assert policy["frame-ancestors"] == "'none'" and policy["object-src"] == "'none'"
    # A new nonce for every response.
    assert csp_of(web.get("/"))["script-src"] != policy["script-src"]


def test_public_pages_have_a_policy_too(client: Client) -> None:
    for path in ("/login/", "/help/", "/portal/login/"):
        assert "script-src 'self' 'nonce-" in client.get(path)["Content-Security-Policy"]


def test_json_is_left_alone_and_sandboxed_files_keep_their_policy(api: Any) -> None:
    assert "Content-Security-Policy" not in api.get("/api/v1/contacts")


def test_hsts_is_sent_over_https(client: Client, settings: Any) -> None:
    settings.SECURE_HSTS_SECONDS = 31_536_000
    response = client.get("/login/", secure=True)
    assert response["Strict-Transport-Security"].startswith("max-age=31536000")
    assert "Strict-Transport-Security" not in client.get("/login/")
