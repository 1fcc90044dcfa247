"""Killing a process mid-work loses nothing and duplicates nothing."""

import signal
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from .helpers import django_eval, kill, prepare_env, start, start_server, wait_for

pytestmark = pytest.mark.slow


def _api_setup(env, webhook_url=""):
    config = f"{{'webhook_url': '{webhook_url}'}}" if webhook_url else "{}"
    return django_eval(
        "from sahayak.accounts.models import User, Role\n"
        "from sahayak.accounts.services import create_api_token\n"
        "from sahayak.conversations.models import Inbox\n"
        "u = User.objects.create(username='crash', email='crash@support.example', role=Role.ADMIN)\n"
        f"i = Inbox.objects.create(name='API', channel='api', config={config})\n"
        "result = [create_api_token(user=u)[1], i.pk]",
        env,
    )


def test_server_killed_mid_ingest_stores_every_message_exactly_once(tmp_path):
    env = prepare_env(tmp_path, "sahayak_e2e_crash_ingest")
    token, inbox = _api_setup(env)
    total = 300
    acknowledged: set[str] = set()
    proc, base = start_server(env, "--no-worker")
    headers = {"Authorization": f"Bearer {token}"}

    def post(client, n):
        body = {
            "inbox_id": inbox,
            "external_id": f"crash-{n}",
            "text": f"message {n}",
            "sender": {"kind": "phone", "address": f"+3069412{n % 40:05d}"},
        }
        response = client.post(f"{client.base_url}api/v1/inbound", json=body, headers=headers)
        if response.status_code in (200, 201):
            acknowledged.add(body["external_id"])

    def sender():
        with httpx.Client(base_url=base + "/", timeout=5) as client:
            for n in range(total):
                try:
                    post(client, n)
                except httpx.TransportError:
                    return  # the server is gone

    thread = threading.Thread(target=sender)
    thread.start()
    wait_for(lambda: len(acknowledged) >= 80, timeout=60, interval=0.01)
    kill(proc, signal.SIGKILL)
    thread.join(timeout=30)
    assert 80 <= len(acknowledged) < total

    # The sender retries everything it sent, acknowledged or not, on a restarted server.
    proc, base = start_server(env, "--no-worker")
    try:
        with httpx.Client(base_url=base + "/", timeout=10) as client:
            for n in range(total):
                post(client, n)
    finally:
        kill(proc)
    assert len(acknowledged) == total
    stored = django_eval(
        "from sahayak.conversations.models import Message\n"
        "ids = list(Message.objects.filter(external_id__startswith='crash-')"
        ".values_list('external_id', flat=True))\n"
        "result = [len(ids), len(set(ids))]",
        env,
    )
    assert stored == [total, total]


def test_worker_killed_mid_send_is_resumed_by_another_worker(tmp_path):
    calls: list[str] = []
    release = threading.Event()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            self.rfile.read(int(self.headers.get("Content-Length", "0")))
            calls.append(self.headers["Idempotency-Key"])
            if len(calls) == 1:
                release.wait(30)  # the first attempt hangs until its worker is killed
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        env = prepare_env(tmp_path, "sahayak_e2e_crash_send")
        env["SAHAYAK_DELIVERY_LEASE_SECONDS"] = "2"
        _token, inbox = _api_setup(env, f"http://127.0.0.1:{server.server_address[1]}/hook")
        message_id = django_eval(
            "from sahayak.accounts.models import User\n"
            "from sahayak.conversations.inbound import InboundMessage\n"
            "from sahayak.conversations.models import Inbox\n"
            "from sahayak.conversations.pipeline import receive\n"
            "from sahayak.conversations.services import reply\n"
            f"inbox = Inbox.objects.get(pk={inbox})\n"
            "conv = receive(InboundMessage(channel='api', inbox=inbox, sender_kind='email',"
            " sender_address='k@mail.example', text='hello', external_id='k-1')).conversation\n"
            "result = reply(conversation=conv, author=User.objects.get(username='crash'),"
            " text='on its way').pk",
            env,
        )
        first = start(["worker", "--sweep", "0.5"], env)
        wait_for(lambda: calls, timeout=60)
        kill(first, signal.SIGKILL)
        second = start(["worker", "--sweep", "0.5"], env)
        try:
            wait_for(lambda: len(calls) >= 2, timeout=60)
            status = wait_for(
                lambda: django_eval(
                    "from sahayak.conversations.models import Message\n"
                    f"m = Message.objects.get(pk={message_id})\n"
                    "result = [m.delivery_status, m.delivery_attempts] if m.delivery_status == 'sent' else None",
                    env,
                ),
                timeout=60,
            )
        finally:
            kill(second)
        assert status == ["sent", 2]
        # The retry carried the same idempotency key, so the receiver can drop the repeat.
        assert calls[0] == calls[1] == f"sahayak-message-{message_id}"
    finally:
        release.set()
        server.shutdown()
        time.sleep(0.1)
