"""`sahayak serve` as a real process: HTTP API over a socket, the worker beside it
delivering a reply to a webhook, and a clean shutdown."""

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


def test_stopping_serve_stops_its_worker(tmp_path):
    """SIGTERM to `serve` alone (not its process group) leaves no worker behind."""
    import os
    import signal
    import time

    env = prepare_env(tmp_path, "sahayak_e2e_stop")
    proc, _base = start_server(env)
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
    proc, base = start_server(env)

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
