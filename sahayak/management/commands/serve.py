"""``sahayak serve``: the web server and a background worker in one command."""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal
import socket
import subprocess
import sys
from typing import Any

import uvicorn
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    """Runs in the worker child before exec: on Linux, the kernel sends it SIGTERM when
    `serve` dies, however it dies (uvicorn re-raises SIGTERM after its graceful shutdown,
    so a ``finally`` in this process cannot be relied on)."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):
        pass


class Command(BaseCommand):
    help = "Serve Sahayak (ASGI, uvicorn) with a background worker beside it."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--host", default=os.environ.get("SAHAYAK_HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument(
            "--workers",
            type=int,
            default=int(os.environ.get("WEB_CONCURRENCY", "1")),
            help="web server processes",
        )
        parser.add_argument(
            "--no-worker", action="store_true", help="do not start a background worker"
        )
        parser.add_argument(
            "--smtp-port",
            type=int,
            default=int(os.environ.get("SAHAYAK_SMTP_PORT", "2525")),
            help="port of the built-in SMTP listener (0: none)",
        )
        parser.add_argument(
            "--no-fetchmail", action="store_true", help="do not fetch IMAP mailboxes"
        )

    def handle(
        self,
        *args: Any,
        host: str,
        port: int,
        workers: int,
        no_worker: bool,
        smtp_port: int,
        no_fetchmail: bool,
        **opts: Any,
    ) -> None:
        if workers > 1 and connection.vendor == "sqlite":
            self.stderr.write(
                "Note: SQLite has a single writer; more web processes only add lock waits. "
                "Use PostgreSQL (DATABASE_URL) to scale out."
            )
        if workers > 1 and not settings.REDIS_URL:
            self.stderr.write(
                "Note: without REDIS_URL each web process has its own live-update channel; "
                "agents on different processes will not see each other's changes live."
            )
        if smtp_port:
            _check_free(host, smtp_port)
        children = []
        if not no_worker:
            children.append(_spawn("worker"))
        if smtp_port:
            children.append(_spawn("smtpd", "--host", host, "--port", str(smtp_port)))
        if not no_fetchmail:
            children.append(_spawn("fetchmail"))
        self.stdout.write(f"Sahayak is listening on http://{host}:{port}/")
        if smtp_port:
            self.stdout.write(f"Mail to the mailboxes is received on smtp://{host}:{smtp_port}")
        if not settings.SAHAYAK_SMTP_URL:
            self.stdout.write(
                "Outbound mail is kept in the local outbox (no SAHAYAK_SMTP_URL): "
                f"http://{host}:{port}/settings/mailboxes/sent/"
            )
        try:
            uvicorn.run(
                "sahayak.asgi:application",
                host=host,
                port=port,
                workers=workers,
                loop="uvloop",
                http="httptools",
                lifespan="off",
                access_log=False,
                log_level="info",
            )
        finally:
            for child in children:
                if child.poll() is None:
                    child.send_signal(signal.SIGTERM)
            for child in children:
                try:
                    child.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    child.kill()


def _check_free(host: str, port: int) -> None:
    """Refuse to start without the mail listener a user expects (a port already taken)."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise CommandError(
                f"The SMTP port {host}:{port} is not available ({exc.strerror}). Choose "
                "another with --smtp-port (make run SMTP_PORT=...), or --smtp-port 0 to "
                "run without a mail listener."
            ) from exc


def _spawn(*command: str) -> subprocess.Popen[bytes]:
    """A companion process (worker, SMTP listener, IMAP fetcher) that dies with serve."""
    return subprocess.Popen(  # noqa: S603 - our own console entry point
        [sys.executable, "-m", "sahayak.cli", *command],
        env=os.environ.copy(),
        preexec_fn=_die_with_parent,  # noqa: PLW1509 - no threads started yet
    )
