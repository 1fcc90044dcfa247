"""`sahayak serve` as a real process: HTTP API over a socket, the worker beside it
delivering a reply to a webhook, and a clean shutdown."""

import json
import socket

import httpx
import pytest

from .helpers import django_eval, kill, output_of, prepare_env, sahayak, start_server, wait_for

pytestmark = pytest.mark.slow


def test_serve_answers_the_api_and_delivers_replies(tmp_path, webhook_server):
    url, recorder = webhook_server
    env = prepare_env(tmp_path, "sahayak_e2e_serve")
    sahayak(["demo"], env)
    token = sahayak(["token", "create", "--email", "admin@example.com"], env).strip()
    inbox = django_eval(
        "from sahayak.conversations.models import Inbox\n"
        "inbox = Inbox.objects.get(channel='api')\n"
        f"inbox.config = {{'webhook_url': '{url}'}}\n"
        "inbox.save()\n"
        "result = inbox.pk",
        env,
    )
    proc, base = start_server(env)
    try:
        with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}) as http:
            body = {
                "inbox_id": inbox,
                "external_id": "e2e-1",
                "text": "মেয়াদ কবে শেষ?",
                "sender": {"kind": "email", "address": "e2e@mail.example"},
            }
            created = http.post("/api/v1/inbound", json=body)
            assert created.status_code == 201
            assert http.post("/api/v1/inbound", json=body).json()["duplicate"]
            conv_id = created.json()["conversation_id"]
            reply = http.post(f"/api/v1/conversations/{conv_id}/messages", json={"text": "আজই।"})
            assert reply.status_code == 201

            def sent():
                items = http.get(f"/api/v1/conversations/{conv_id}/messages").json()["items"]
                return items[-1]["delivery_status"] == "sent"

            wait_for(sent)
            assert "আজই।" in recorder.requests[0]["body"].decode()
            assert (
                http.get("/api/v1/conversations", headers={"Authorization": ""}).status_code == 401
            )
            assert http.get("/static/admin/css/base.css").status_code == 200
    finally:
        output = kill(proc)
    assert "listening on" in output


def test_a_request_sent_whole_is_stored_when_the_sender_hangs_up_at_once(tmp_path):
    """Webhook senders with short timeouts close the connection right after the request:
    each complete request is stored, once, though nobody reads the answer."""
    env = prepare_env(tmp_path, "sahayak_e2e_hangup")
    sahayak(["demo"], env)
    token = sahayak(["token", "create", "--email", "admin@example.com"], env).strip()
    inbox = django_eval(
        "from sahayak.conversations.models import Inbox\n"
        "result = Inbox.objects.get(channel='api').pk",
        env,
    )
    proc, base = start_server(env)
    port = int(base.rsplit(":", 1)[1])

    def post_and_hang_up(external_id: str) -> None:
        body = json.dumps(
            {
                "inbox_id": inbox,
                "external_id": external_id,
                "text": "পার্সেল কোথায়?",
                "sender": {"kind": "email", "address": "hangup@mail.example"},
            }
        ).encode()
        head = (
            "POST /api/v1/inbound HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Authorization: Bearer {token}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        ).encode()
        with socket.create_connection(("127.0.0.1", port)) as sock:
            sock.sendall(head + body)

    try:
        for n in range(20):
            post_and_hang_up(f"hangup-{n}")
        post_and_hang_up("hangup-0")  # delivered again: stored once
        count = (
            "from sahayak.conversations.models import Message\n"
            "result = Message.objects.filter(external_id__startswith='hangup-').count()"
        )
        wait_for(lambda: django_eval(count, env) == 20, timeout=60, interval=1)
    finally:
        kill(proc)


def test_stopping_serve_stops_its_worker(tmp_path):
    """SIGTERM to `serve` alone (not its process group) leaves no worker behind."""
    import os
    import signal
    import time

    env = prepare_env(tmp_path, "sahayak_e2e_stop")
    proc, _base = start_server(env, "--companions", "processes")
    with open(f"/proc/{proc.pid}/task/{proc.pid}/children") as children:
        workers = [int(pid) for pid in children.read().split()]
    assert workers, "serve should have started a worker"
    os.kill(proc.pid, signal.SIGTERM)
    proc.wait(timeout=30)
    output_of(proc)

    def gone(pid):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        # A zombie is dead too: it only waits for its (dead) parent's reaping.
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split()[2] == "Z"

    deadline = time.monotonic() + 15
    while not all(gone(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert all(gone(pid) for pid in workers)


def test_serve_starts_a_companion_again_when_it_dies(tmp_path):
    """A worker killed by the OOM killer (or a bug) comes back; /readyz says when it is."""
    import os
    import signal

    env = prepare_env(tmp_path, "sahayak_e2e_supervise")
    proc, base = start_server(env, "--companions", "processes")

    def children():
        """Children of every thread of serve (restarts come from its supervisor thread)."""
        found = set()
        for task in os.listdir(f"/proc/{proc.pid}/task"):
            with open(f"/proc/{proc.pid}/task/{task}/children") as handle:
                found |= {int(pid) for pid in handle.read().split()}
        return found

    def command(pid):
        with open(f"/proc/{pid}/cmdline") as handle:
            return handle.read().replace("\0", " ")

    try:
        worker = next(pid for pid in children() if " worker" in command(pid))
        wait_for(lambda: httpx.get(f"{base}/readyz").status_code == 200, timeout=30)
        os.kill(worker, signal.SIGKILL)
        restarted = wait_for(
            lambda: [p for p in children() if p != worker and " worker" in command(p)],
            timeout=30,
        )
        assert restarted
        wait_for(lambda: httpx.get(f"{base}/readyz").status_code == 200, timeout=30)
    finally:
        output = kill(proc)
    assert "worker exited" in output and "starting it again" in output


def test_companions_as_threads_run_in_one_process(tmp_path):
    """Worker, SMTP listener and fetchers as threads (the default on SQLite with one web
    process; asked for here, so the PostgreSQL run tests the same), not processes.
    The worker's heartbeat makes /readyz green, mail is received on the SMTP port, and
    SIGTERM ends the whole thing (the worker finishes first, and says nothing went wrong)."""
    import os
    import signal
    import smtplib

    from tests.e2e.helpers import free_port

    env = prepare_env(tmp_path, "sahayak_e2e_threads")
    smtp_port = free_port()
    django_eval(
        "from sahayak.connectors.email.mailboxes import MailboxSettings, save_mailbox\n"
        "save_mailbox(MailboxSettings(name='Help', address='help@shop.example'))\n"
        "result = 1",
        env,
    )
    proc, base = start_server(env, "--smtp-port", str(smtp_port), "--companions", "threads")
    try:
        wait_for(lambda: httpx.get(f"{base}/readyz").status_code == 200, timeout=30)
        for task in os.listdir(f"/proc/{proc.pid}/task"):
            with open(f"/proc/{proc.pid}/task/{task}/children") as children:
                assert children.read().split() == []
        with smtplib.SMTP("127.0.0.1", smtp_port, timeout=10) as smtp:
            smtp.sendmail(
                "asha@mail.example",
                ["help@shop.example"],
                b"From: asha@mail.example\r\nTo: help@shop.example\r\n"
                b"Subject: Threads\r\nMessage-ID: <threads-1@mail.example>\r\n\r\nHello\r\n",
            )
        stored = (
            "from sahayak.conversations.models import Message\n"
            "result = Message.objects.filter(external_id='threads-1@mail.example').count()"
        )
        assert django_eval(stored, env) == 1
        os.kill(proc.pid, signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
    finally:
        output = kill(proc) if proc.poll() is None else output_of(proc)
    assert "Traceback" not in output
