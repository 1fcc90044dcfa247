"""The machine's own limits, measured in the same run as a benchmark.

A figure alone says little on a shared 2-core box whose speed varies from day to day; next
to what the machine does with no application at all it shows how close Sahayak gets:

- a bare ASGI endpoint served by uvicorn with Sahayak's settings (uvloop, httptools), hit
  by ``wrk`` like the benchmark's own requests;
- durable one-row commits per second from one client, on the database the benchmark uses
  (SQLite with Sahayak's pragmas, or PostgreSQL).

    python bench/_baseline.py        # prints both for DATABASE_URL (default: SQLite)
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _process import free_port

HERE = Path(__file__).resolve().parent

BARE_APP = """
async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"application/json")]})
    await send({"type": "http.response.body", "body": b'{"status": "ok"}'})
"""


def bare_endpoint_rps(connections: int = 8, seconds: int = 3) -> float:
    """Requests/s of a do-nothing ASGI app under ``wrk`` (0 when wrk is missing)."""
    if not shutil.which("wrk"):
        return 0.0
    folder = tempfile.mkdtemp(prefix="sahayak-bare-")
    Path(folder, "bare_app.py").write_text(BARE_APP)
    port = free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "bare_app:app",
            "--port",
            str(port),
            "--loop",
            "uvloop",
            "--http",
            "httptools",
            "--no-access-log",
            "--log-level",
            "warning",
        ],
        cwd=folder,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        url = f"http://127.0.0.1:{port}/"
        for _ in range(100):
            if (
                subprocess.run(["wrk", "-t1", "-c1", "-d1s", url], capture_output=True).returncode
                == 0
            ):
                break
            time.sleep(0.1)
        out = subprocess.run(
            ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", url],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        found = re.search(r"Requests/sec:\s+([\d.]+)", out)
        return float(found.group(1)) if found else 0.0
    finally:
        server.terminate()
        server.wait(timeout=10)
        shutil.rmtree(folder, ignore_errors=True)


def commit_rate(database_url: str = "", seconds: float = 2.0) -> float:
    """Durable single-row INSERT + COMMIT per second from one client."""
    if database_url.startswith("postgres"):
        return _postgres_commits(database_url, seconds)
    return _sqlite_commits(seconds)


def _postgres_commits(url: str, seconds: float) -> float:
    import psycopg

    table = f"bench_baseline_{os.getpid()}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"CREATE TABLE {table} (id bigserial PRIMARY KEY, body text)")
        try:
            done, deadline = 0, time.perf_counter() + seconds
            started = time.perf_counter()
            while time.perf_counter() < deadline:
                conn.execute(f"INSERT INTO {table} (body) VALUES (%s)", ("x" * 100,))
                done += 1
            return done / (time.perf_counter() - started)
        finally:
            conn.execute(f"DROP TABLE {table}")


def _sqlite_commits(seconds: float) -> float:
    folder = tempfile.mkdtemp(prefix="sahayak-commit-")
    try:
        conn = sqlite3.connect(Path(folder, "c.sqlite3"), isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("CREATE TABLE t (id integer PRIMARY KEY, body text)")
        done, deadline = 0, time.perf_counter() + seconds
        started = time.perf_counter()
        while time.perf_counter() < deadline:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("INSERT INTO t (body) VALUES (?)", ("x" * 100,))
            conn.execute("COMMIT")
            done += 1
        conn.close()
        return done / (time.perf_counter() - started)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def describe(database_url: str = "", http: bool = True) -> dict[str, float]:
    """Measure and print the baselines; return them for ratios."""
    found = {"commits": commit_rate(database_url)}
    vendor = "postgresql" if database_url.startswith("postgres") else "sqlite"
    line = f"  machine: one-row commits, one client ({vendor}) {found['commits']:,.0f}/s"
    if http:
        found["bare_rps"] = bare_endpoint_rps()
        line += f"; bare ASGI endpoint (uvicorn, wrk, 8 in flight) {found['bare_rps']:,.0f} req/s"
    print(line)
    return found


def ratio(value: float, limit: float) -> str:
    return f"{value / limit:.1%}" if limit else "n/a"


if __name__ == "__main__":
    describe(os.environ.get("DATABASE_URL", ""))
