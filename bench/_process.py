"""Running Sahayak commands and servers from the benchmarks (which are plain scripts)."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx


def sahayak(args: list[str], env: dict[str, str]) -> str:
    """Run a ``sahayak`` command to completion; return what it printed."""
    return subprocess.run(
        [sys.executable, "-m", "sahayak.cli", *args],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout


API_SETUP = (
    "from sahayak.accounts.models import User, Role;"
    "from sahayak.accounts.services import create_api_token;"
    "from sahayak.conversations.models import Inbox;"
    "u, _ = User.objects.get_or_create(username='bench-api', defaults={'email': 'bench-api@support.example', 'role': Role.ADMIN});"
    "i, _ = Inbox.objects.get_or_create(name='Bench API', channel='api');"
    "print(create_api_token(user=u)[1], i.pk)"
)


def api_bench_env(prefix: str) -> dict[str, str]:
    """The environment of an API benchmark: a fresh data folder (``SAHAYAK_DATA_DIR``, the
    caller removes it) and no request budget (one token makes every request)."""
    if not shutil.which("wrk"):
        sys.exit("wrk is needed: apt-get install wrk")
    return {
        **os.environ,
        "SAHAYAK_DATA_DIR": tempfile.mkdtemp(prefix=prefix),
        "LOG_LEVEL": "WARNING",
        "SAHAYAK_API_RATE": "100000000",
    }


def create_load(
    base: str, seconds: int, connections: int, threads: int = 2, script: str = "create.lua"
) -> list[str]:
    """The ``wrk`` command that creates conversations through the API (``create.lua``, or
    ``inbound_batch.lua`` for batches; BENCH_TOKEN, BENCH_INBOX, BENCH_RUN and BENCH_BATCH
    come from the environment)."""
    path = Path(__file__).resolve().parent / script
    return [
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{seconds}s",
        "--timeout",
        "5s",
        "-s",
        str(path),
        base,
    ]


def api_token_and_inbox(env: dict[str, str]) -> tuple[str, str]:
    """An admin's API token and an API inbox to create conversations in."""
    token, inbox = sahayak(["shell", "-c", API_SETUP], env).split()[-2:]
    return token, inbox


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def vendor(env: dict[str, str]) -> str:
    return "postgresql" if env.get("DATABASE_URL", "").startswith("postgres") else "sqlite"


@contextmanager
def serving(env: dict[str, str], *args: str) -> Iterator[tuple[str, int]]:
    """``sahayak serve`` on a free port until the block ends: (base URL, process group)."""
    port = free_port()
    # BENCH_SERVER_LOG=<file> keeps what the server printed (to see why a run failed).
    log = open(os.environ["BENCH_SERVER_LOG"], "ab") if os.environ.get("BENCH_SERVER_LOG") else None  # noqa: SIM115
    server = subprocess.Popen(
        [sys.executable, "-m", "sahayak.cli", "serve", "--port", str(port), *args],
        env=env,
        stdout=log or subprocess.DEVNULL,
        stderr=subprocess.STDOUT if log else subprocess.DEVNULL,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(150):
            try:
                httpx.get(f"{base}/healthz", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.2)
        yield base, server.pid
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=20)
