"""`sahayak serve` as a real process: HTTP API over a socket, the worker beside it
delivering a reply to a webhook, and a clean shutdown."""

import os
import signal
import socket
import subprocess
import sys
import time

import httpx
import pytest

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _run(args, env):
    return subprocess.run(
        [sys.executable, "-m", "sahayak.cli", *args],
        env=env,
        check=True,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture
def server_env(tmp_path):
    env = {**os.environ, "SAHAYAK_DATA_DIR": str(tmp_path / "data")}
    if env.get("DATABASE_URL", "").startswith("postgres"):
        env["DATABASE_URL"] = env["DATABASE_URL"].rsplit("/", 1)[0] + "/sahayak_e2e"
        import psycopg

        base = env["DATABASE_URL"].rsplit("/", 1)[0] + "/postgres"
        with psycopg.connect(base, autocommit=True) as conn:
            conn.execute("DROP DATABASE IF EXISTS sahayak_e2e WITH (FORCE)")
            conn.execute("CREATE DATABASE sahayak_e2e")
    _run(["migrate", "-v0"], env)
    _run(["demo"], env)
    return env


def test_serve_answers_the_api_and_delivers_replies(server_env, webhook_server):
    url, recorder = webhook_server
    token = _run(["token", "create", "--email", "admin@example.com"], server_env).stdout.strip()
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "sahayak.cli", "serve", "--port", str(port)],
        env=server_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    headers = {"Authorization": f"Bearer {token}"}
    try:
        with httpx.Client(base_url=base, headers=headers, timeout=10) as http:
            for _ in range(100):
                try:
                    if http.get("/healthz").status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.2)
            inbox = http.get("/api/v1/conversations?channel=api&limit=1").json()["items"][0][
                "inbox_id"
            ]
            # Point the demo API inbox at our local webhook receiver.
            _run(
                [
                    "shell",
                    "-c",
                    f"from sahayak.conversations.models import Inbox; "
                    f"Inbox.objects.filter(pk={inbox}).update(config={{'webhook_url': '{url}'}})",
                ],
                server_env,
            )
            created = http.post(
                "/api/v1/inbound",
                json={
                    "inbox_id": inbox,
                    "external_id": "e2e-1",
                    "text": "মেয়াদ কবে শেষ?",
                    "sender": {"kind": "email", "address": "e2e@mail.example"},
                },
            )
            assert created.status_code == 201
            conv_id = created.json()["conversation_id"]
            assert http.post(
                "/api/v1/inbound",
                json={
                    "inbox_id": inbox,
                    "external_id": "e2e-1",
                    "text": "again",
                    "sender": {"kind": "email", "address": "e2e@mail.example"},
                },
            ).json()["duplicate"]
            reply = http.post(f"/api/v1/conversations/{conv_id}/messages", json={"text": "আজই।"})
            assert reply.status_code == 201
            for _ in range(100):
                messages = http.get(f"/api/v1/conversations/{conv_id}/messages").json()["items"]
                if messages[-1]["delivery_status"] == "sent":
                    break
                time.sleep(0.1)
            assert messages[-1]["delivery_status"] == "sent"
            assert "আজই।" in recorder.requests[0]["body"].decode()
            assert (
                http.get("/api/v1/conversations", headers={"Authorization": ""}).status_code == 401
            )
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        output = proc.communicate(timeout=20)[0]
    assert "listening on" in output
