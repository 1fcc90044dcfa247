"""Running Sahayak commands and servers from the benchmarks (which are plain scripts)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

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
