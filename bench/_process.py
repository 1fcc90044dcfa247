"""Running Sahayak commands and servers from the benchmarks (which are plain scripts)."""

from __future__ import annotations

import socket
import subprocess
import sys


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
