"""A 20-second PostgreSQL outage under load: inbound mail (SMTP) and API messages keep
arriving, replies are being delivered. Nothing acknowledged is lost or stored twice; clients
get 503 with Retry-After (SMTP: a temporary 4xx) while it lasts, never a hang; the worker
and the fetcher never exit; /readyz reports the outage; replies are delivered within a
minute after it.

The test runs its own PostgreSQL cluster (Debian's binaries), so stopping it disturbs no
one else on the machine."""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import smtplib
import subprocess
import tempfile
import threading
import time
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import httpx
import pytest

from .helpers import django_eval, free_port, kill, sahayak, start_server, wait_for

PG_BIN = sorted(glob.glob("/usr/lib/postgresql/*/bin"))
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not PG_BIN or not shutil.which("runuser"), reason="no PostgreSQL binaries"),
]
OUTAGE = 20


class Cluster:
    """A throwaway PostgreSQL server owned by the postgres user, on a free port."""

    def __init__(self) -> None:
        self.bin = PG_BIN[-1]
        # Outside pytest's private tmp dir: the postgres user must reach it.
        self.dir = Path(tempfile.mkdtemp(prefix="sahayak-pg-"))
        self.port = free_port()
        shutil.chown(self.dir, "postgres", "postgres")
        self._pg("initdb", "-D", str(self.dir), "-U", "postgres", "--auth=trust", "-E", "UTF8")

    def _pg(self, tool: str, *args: str) -> None:
        subprocess.run(  # noqa: S603
            ["/usr/sbin/runuser", "-u", "postgres", "--", f"{self.bin}/{tool}", *args],
            check=True,
            capture_output=True,
            cwd=self.dir,
            timeout=120,
        )

    def remove(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    def start(self) -> None:
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1"
        log = str(self.dir / "server.log")
        self._pg("pg_ctl", "-D", str(self.dir), "-o", options, "-l", log, "-w", "start")

    def stop(self) -> None:
        self._pg("pg_ctl", "-D", str(self.dir), "-m", "fast", "-w", "stop")

    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/postgres"


SETUP = """
from sahayak.accounts.models import User, Role
from sahayak.accounts.services import create_api_token
from sahayak.conversations.models import Inbox
u = User.objects.create(username='ops', email='ops@support.example', role=Role.ADMIN)
api = Inbox.objects.create(name='API', channel='api', config={'webhook_url': '%s'})
Inbox.objects.create(name='Mail', channel='email', config={'address': 'help@shop.example'})
result = [create_api_token(user=u)[1], api.pk]
"""

COUNTS = """
from sahayak.conversations.models import Message
ids = list(Message.objects.filter(direction='in').values_list('external_id', flat=True))
replies = list(Message.objects.filter(direction='out').values_list('delivery_status', flat=True))
detail = list(Message.objects.filter(direction='out').values_list('delivery_status', 'delivery_error', 'next_attempt_at'))
result = {"ids": ids, "replies": replies, "detail": detail}
"""


class Load:
    """Senders on both channels, remembering what the server acknowledged."""

    def __init__(self, base: str, token: str, inbox: int, smtp_port: int):
        self.base, self.token, self.inbox, self.smtp_port = base, token, inbox, smtp_port
        self.acknowledged: set[str] = set()
        self.sent: list[str] = []
        self.statuses: list[int] = []
        self.slowest = 0.0
        self.smtp_codes: list[int] = []
        self.stop = threading.Event()

    def api(self) -> None:
        n = 0
        with httpx.Client(base_url=self.base, timeout=15) as client:
            while not self.stop.is_set():
                n += 1
                key = f"api-{n}"
                self.sent.append(key)
                body = {
                    "inbox_id": self.inbox,
                    "external_id": key,
                    "text": f"message {n}",
                    "sender": {"kind": "email", "address": f"c{n % 30}@mail.example"},
                }
                started = time.monotonic()
                try:
                    response = client.post(
                        "/api/v1/inbound",
                        json=body,
                        headers={"Authorization": f"Bearer {self.token}"},
                    )
                except httpx.TransportError:
                    continue
                self.slowest = max(self.slowest, time.monotonic() - started)
                self.statuses.append(response.status_code)
                if response.status_code in (200, 201):
                    self.acknowledged.add(key)
                elif response.status_code == 503:
                    assert response.headers["Retry-After"]
                time.sleep(0.05)

    def smtp(self) -> None:
        n = 0
        while not self.stop.is_set():
            n += 1
            mid = f"outage-{n}@mail.example"
            mail = EmailMessage()
            mail["From"], mail["To"] = f"m{n % 20}@mail.example", "help@shop.example"
            mail["Subject"], mail["Message-ID"] = f"Order {n}", f"<{mid}>"
            mail.set_content(f"Where is order {n}?")
            self.sent.append(mid)
            try:
                with smtplib.SMTP("127.0.0.1", self.smtp_port, timeout=20) as client:
                    client.send_message(mail)
                self.acknowledged.add(mid)
            except smtplib.SMTPResponseException as exc:
                self.smtp_codes.append(exc.smtp_code)
            except smtplib.SMTPRecipientsRefused as exc:
                self.smtp_codes.extend(code for code, _ in exc.recipients.values())
            except (OSError, smtplib.SMTPException):
                pass
            time.sleep(0.1)


def _ready(http: httpx.Client) -> bool:
    try:
        return http.get("/readyz").status_code == 200
    except httpx.TimeoutException:
        return False


def test_a_database_outage_loses_nothing_and_heals(tmp_path: Path, webhook_server: Any) -> None:
    url, recorder = webhook_server
    cluster = Cluster()
    cluster.start()
    proc = None
    try:
        env = {
            **os.environ,
            "SAHAYAK_DATA_DIR": str(tmp_path / "data"),
            "DATABASE_URL": cluster.url(),
            "LOG_LEVEL": os.environ.get("OUTAGE_LOG_LEVEL", "WARNING"),
            "SAHAYAK_ALLOWED_HOSTS": "127.0.0.0/8",
            "SAHAYAK_DELIVERY_MAX_ATTEMPTS": "30",
        }
        env.pop("REDIS_URL", None)
        sahayak(["migrate", "-v0"], env)
        token, inbox = django_eval(SETUP % url, env)
        smtp_port = free_port()
        proc, base = start_server(env, "--smtp-port", str(smtp_port))
        with open(f"/proc/{proc.pid}/task/{proc.pid}/children") as children:
            companions = sorted(int(pid) for pid in children.read().split())
        load = Load(base, token, inbox, smtp_port)
        threads = [threading.Thread(target=load.api), threading.Thread(target=load.smtp)]
        for thread in threads:
            thread.start()
        try:
            wait_for(lambda: len(load.acknowledged) >= 20, timeout=60)
            # Replies whose delivery is under way when the database goes: the webhook
            # refuses the first tries, so they are still retrying during the outage.
            recorder.statuses = [503]
            with httpx.Client(base_url=base, timeout=15) as http:
                auth = {"Authorization": f"Bearer {token}"}
                conversations = http.get("/api/v1/conversations", headers=auth).json()["items"]
                api_conversations = [c["id"] for c in conversations if c["channel"] == "api"][:3]
                for conversation in api_conversations:
                    reply = http.post(
                        f"/api/v1/conversations/{conversation}/messages",
                        json={"text": "We are on it."},
                        headers=auth,
                    )
                    assert reply.status_code == 201

                cluster.stop()
                down_at = time.monotonic()
                wait_for(lambda: 503 in load.statuses, timeout=OUTAGE)
                ready = http.get("/readyz")
                assert ready.status_code == 503 and not ready.json()["database"]["ok"]
                assert http.get("/healthz").status_code == 200
                time.sleep(max(0.0, OUTAGE - (time.monotonic() - down_at)))
                cluster.start()
                up_at = time.monotonic()

                wait_for(lambda: _ready(http), timeout=60)
                total_after = len(load.acknowledged)
                wait_for(lambda: len(load.acknowledged) > total_after + 10, timeout=60)
        finally:
            load.stop.set()
            for thread in threads:
                thread.join(timeout=60)

        def delivered() -> bool:
            replies = django_eval(COUNTS, env)["replies"]
            return replies.count("sent") == len(api_conversations)

        try:
            wait_for(delivered, timeout=60, interval=1.0)
        except AssertionError:
            detail = django_eval(COUNTS, env)["detail"]
            raise AssertionError(f"{detail}\n{kill(proc)[-4000:]}") from None
        delivered_within = time.monotonic() - up_at
        with open(f"/proc/{proc.pid}/task/{proc.pid}/children") as children:
            after = sorted(int(pid) for pid in children.read().split())
        output = kill(proc)
        counts = django_eval(COUNTS, env)
    finally:
        if proc is not None and proc.poll() is None:
            kill(proc)  # a failed run leaves no server behind
        cluster.remove()

    stored = [key for key in counts["ids"] if key]
    assert len(stored) == len(set(stored)), "a message was stored twice"
    missing = load.acknowledged - set(stored)
    assert not missing, f"acknowledged but not stored: {sorted(missing)[:5]}"
    assert 503 in load.statuses  # clients were told to come back …
    assert load.slowest < 15  # … without hanging
    assert all(400 <= code < 500 for code in load.smtp_codes), load.smtp_codes  # temporary
    # No companion (thread or process) gave up and had to be started again.
    assert after == companions, f"a companion process exited:\n{output[-3000:]}"
    assert "starting it again" not in output, output[-3000:]
    assert delivered_within < 60
