"""Real SMTP peers on loopback: a capturing sink for what we send, our own listener for
what we receive, and a Dovecot IMAP server with a test user."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from sahayak.connectors.email.mailboxes import (
    MailboxSettings,
    ServerSettings,
    forget_addresses,
    save_mailbox,
)
from sahayak.connectors.email.smtp_server import make_controller
from tests.e2e.helpers import free_port

from .corpus import SUPPORT


@pytest.fixture(autouse=True)
def _fresh_caches() -> Iterator[None]:
    from django.core.cache import cache

    cache.clear()
    forget_addresses()
    yield
    forget_addresses()


@pytest.fixture
def mailbox(db: Any) -> Any:
    return save_mailbox(MailboxSettings(name="Shop support", address=SUPPORT, from_name="Shop"))


@pytest.fixture
def smtp_listener(transactional_db: Any) -> Iterator[int]:
    """Our own SMTP listener on a free port (it stores through other threads, hence a
    transactional database)."""
    port = free_port()
    controller = make_controller("127.0.0.1", port)
    controller.start()
    yield port
    controller.stop()


@dataclass
class Dovecot:
    port: int
    root: Path
    user: str = "support@shop.example"
    password: str = "imap-secret"

    def server(self) -> ServerSettings:
        return ServerSettings("127.0.0.1", self.port, "none", self.user, self.password)

    def append(self, *raws: bytes, folder: str = "INBOX") -> None:
        import imaplib

        client = imaplib.IMAP4("127.0.0.1", self.port)
        client.login(self.user, self.password)
        for raw in raws:
            typ, _ = client.append(folder, None, None, raw)
            assert typ == "OK"
        client.logout()

    def flags(self, folder: str = "INBOX") -> list[tuple[str, set[str]]]:
        """(Message-ID header, IMAP flags) of every message in ``folder``, in order."""
        import imaplib

        client = imaplib.IMAP4("127.0.0.1", self.port)
        client.login(self.user, self.password)
        typ, count = client.select(folder)
        found: list[tuple[str, set[str]]] = []
        if int(count[0] or 0):
            typ, data = client.fetch("1:*", "(FLAGS BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])")
            for item in data:
                if isinstance(item, tuple):
                    flags = item[0].decode().split("FLAGS (", 1)[1].split(")", 1)[0].split()
                    header = item[1].decode(errors="replace").strip()
                    found.append((header.partition(":")[2].strip(), set(flags)))
        client.logout()
        return found


DOVECOT_CONF = """
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:{root}/mail/%u
default_login_user = dovenull
default_internal_user = dovecot
first_valid_uid = 1
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/users
}}
userdb {{
  driver = static
  args = uid=dovecot gid=dovecot home={root}/mail/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
"""


@pytest.fixture
def dovecot() -> Iterator[Dovecot]:
    """A private Dovecot (Debian's dovecot-imapd) with one user and an empty maildir."""
    binary = shutil.which("dovecot") or "/usr/sbin/dovecot"
    if not os.path.exists(binary):
        pytest.fail("Dovecot is not installed (apt-get install dovecot-imapd)")
    # Dovecot's unprivileged users must traverse the directory: not under pytest's 0700 tmp.
    root = Path(tempfile.mkdtemp(prefix="sahayak-dovecot-"))
    root.chmod(0o755)
    port = free_port()
    server = Dovecot(port, root)
    (root / "users").write_text(f"{server.user}:{{PLAIN}}{server.password}\n")
    (root / "mail").mkdir()
    shutil.chown(root / "mail", "dovecot", "dovecot")
    conf = root / "dovecot.conf"
    conf.write_text(DOVECOT_CONF.format(root=root, port=port))
    subprocess.run([binary, "-c", str(conf)], check=True)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.1)
    yield server
    pid_file = root / "run" / "master.pid"
    if pid_file.exists():
        with contextlib.suppress(ProcessLookupError, ValueError):
            os.kill(int(pid_file.read_text().strip()), signal.SIGTERM)
    shutil.rmtree(root, ignore_errors=True)
