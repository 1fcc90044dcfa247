"""Running Sahayak as real processes for end-to-end tests."""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def sahayak(args: list[str], env: dict[str, str]) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "sahayak.cli", *args],
        env=env,
        check=True,
        capture_output=True,
        text=True,
        timeout=300,
    )
    return done.stdout


def django_eval(code: str, env: dict[str, str]) -> Any:
    """Run ``code`` (which sets ``result``) in a Sahayak shell; returns ``result`` from JSON."""
    script = f"import json\n{code}\nprint('RESULT=' + json.dumps(result, default=str))"
    out = sahayak(["shell", "-c", script], env)
    line = [ln for ln in out.splitlines() if ln.startswith("RESULT=")][-1]
    return json.loads(line.removeprefix("RESULT="))


def prepare_env(tmp_path: Path, name: str) -> dict[str, str]:
    """A fresh data dir, and a fresh database when the suite runs on PostgreSQL."""
    env = {
        **os.environ,
        "SAHAYAK_DATA_DIR": str(tmp_path / "data"),
        "LOG_LEVEL": "WARNING",
        # Test peers (webhooks, mail servers) listen on this machine.
        "SAHAYAK_ALLOWED_HOSTS": "127.0.0.0/8,localhost",
    }
    if env.get("DATABASE_URL", "").startswith("postgres"):
        import psycopg

        root = env["DATABASE_URL"].rsplit("/", 1)[0]
        # Unique to this run, dropped when the test process ends: runs sharing a server
        # never touch each other's databases, and none is left behind.
        name = f"{name}_{os.getpid()}_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(root + "/postgres", autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name}")
        atexit.register(_drop_database, root, name)
        env["DATABASE_URL"] = f"{root}/{name}"
    sahayak(["migrate", "-v0"], env)
    return env


def _drop_database(root: str, name: str) -> None:
    import psycopg

    with (
        contextlib.suppress(psycopg.Error),
        psycopg.connect(root + "/postgres", autocommit=True) as conn,
    ):
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def start(args: list[str], env: dict[str, str]) -> subprocess.Popen[str]:
    """A Sahayak process whose output goes to a file (a pipe nobody reads would fill up and
    block the process's logging), read back by ``kill``."""
    log = tempfile.NamedTemporaryFile(  # noqa: SIM115 - closed by kill()
        prefix="sahayak-e2e-", suffix=".log", delete=False
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "sahayak.cli", *args],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    proc.log_file = log  # type: ignore[attr-defined]
    return proc


def start_server(
    env: dict[str, str], *extra: str, port: int = 0
) -> tuple[subprocess.Popen[str], str]:
    """``sahayak serve`` on a free port (or on ``port``, to restart a server in place)."""
    port = port or free_port()
    if "--smtp-port" not in extra:
        extra = (*extra, "--smtp-port", "0")  # tests run servers side by side
    proc = start(["serve", "--port", str(port), *extra], env)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return proc, base
        except httpx.TransportError:
            time.sleep(0.1)
    kill(proc)
    raise RuntimeError("server did not start")


def kill(proc: subprocess.Popen[str], sig: int = signal.SIGTERM) -> str:
    """Signal the whole process group; return what it printed."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, sig)
    proc.wait(timeout=30)
    return output_of(proc)


def output_of(proc: subprocess.Popen[str]) -> str:
    """What the process printed so far (all of it once it ended; the file is then gone)."""
    log = getattr(proc, "log_file", None)
    if log is None:
        return proc.communicate(timeout=30)[0] or ""
    try:
        with open(log.name, encoding="utf-8", errors="replace") as handle:
            text = handle.read()
    except FileNotFoundError:  # read and removed by an earlier call
        return ""
    if proc.poll() is not None:
        log.close()
        with contextlib.suppress(FileNotFoundError):
            os.unlink(log.name)
    return text


def wait_for(predicate: Any, timeout: float = 30.0, interval: float = 0.2) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError("condition not met in time")
