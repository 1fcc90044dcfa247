"""``sahayak serve``: the web server and its companions (worker, SMTP listener, IMAP
fetcher, Telegram poller) in one command: as threads of the server's process for the
embedded default (SQLite, one web process), else as processes of their own, to use more
cores (``--companions`` chooses)."""

from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from typing import Any

import uvicorn
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from sahayak.cli import PARENT_ENV
from sahayak.companions import ThreadSupervisor, restart_delay
from sahayak.companions import wanted as companions_wanted
from sahayak.site import remember_served_url

logger = logging.getLogger("sahayak.serve")


class Supervisor:
    """Keeps the companion processes (worker, SMTP listener, IMAP fetcher, Telegram poller) running: one
    that exits is started again, after a wait that doubles (to a minute) while it keeps
    dying young. Each child exits by itself when ``serve`` is gone (see sahayak.cli)."""

    def __init__(self, commands: dict[str, list[str]]):
        self.commands = commands
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self.started: dict[str, float] = {}
        self.delays: dict[str, float] = {}
        self.stop = threading.Event()
        self.restarts = 0

    def start(self) -> None:
        for name in self.commands:
            self._start(name)
        threading.Thread(target=self._watch, name="supervisor", daemon=True).start()

    def _start(self, name: str) -> None:
        self.procs[name] = _spawn(*self.commands[name])
        self.started[name] = time.monotonic()

    def _watch(self) -> None:
        while not self.stop.wait(1.0):
            for name, proc in list(self.procs.items()):
                code = proc.poll()
                if code is None or self.stop.is_set():
                    continue
                lived = time.monotonic() - self.started[name]
                delay = restart_delay(self.delays.get(name), lived)
                self.delays[name] = delay
                logger.warning(
                    "%s exited (code %s); starting it again in %.0f s", name, code, delay
                )
                if self.stop.wait(delay):
                    return
                self._start(name)
                self.restarts += 1

    def shutdown(self) -> None:
        self.stop.set()
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs.values():
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()


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
        parser.add_argument(
            "--companions",
            choices=["threads", "processes"],
            default=os.environ.get("SAHAYAK_COMPANIONS") or None,
            help="run the worker, SMTP listener and fetchers as threads of this process "
            "(default with one web process on SQLite: least memory) or as processes of "
            "their own (default on PostgreSQL or with several web processes)",
        )
        parser.add_argument(
            "--no-telegram",
            action="store_true",
            help="do not long-poll Telegram bots set to polling",
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
        no_telegram: bool = False,
        companions: str | None = None,
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
        remember_served_url(host, port)  # before the companions start: they inherit it
        wanted = companions_wanted(
            worker=not no_worker,
            smtp=(host, smtp_port) if smtp_port else None,
            fetchmail=not no_fetchmail,
            telegram=not no_telegram,
        )
        supervisor: Supervisor | ThreadSupervisor
        # Threads for the embedded default (SQLite, one process: least memory); processes
        # on PostgreSQL, where the worker should have a core of its own.
        embedded = workers == 1 and connection.vendor == "sqlite"
        if (companions or ("threads" if embedded else "processes")) == "threads":
            supervisor = ThreadSupervisor({name: run for name, (run, _) in wanted.items()})
        else:
            supervisor = Supervisor({name: command for name, (_, command) in wanted.items()})
        # uvicorn stops gracefully on SIGTERM, then raises it again with the handler found
        # before it started: this one lets the companions finish their work (a task being
        # run, a mail being stored) before the process ends.
        signal.signal(signal.SIGTERM, _stop_gracefully)
        supervisor.start()
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
            supervisor.shutdown()


def _stop_gracefully(signum: int, frame: Any) -> None:
    raise SystemExit(0)


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
    """A companion process (worker, SMTP listener, IMAP fetcher) that exits with serve."""
    return subprocess.Popen(  # noqa: S603 - our own console entry point
        [sys.executable, "-m", "sahayak.cli", *command],
        env={**os.environ, PARENT_ENV: str(os.getpid())},
    )
