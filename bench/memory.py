"""Memory of the embedded default: ``sahayak serve`` with the demo loaded, at rest.

A fresh data folder gets the demo (SQLite, as ``make run`` does); ``serve`` is started with
its companions as threads of one process and then as processes of their own; an agent
signs in and opens the inbox, a conversation, the reports and the help center (so what a
first visit loads is counted); after a pause, the resident memory of the whole process
tree is summed.

    .venv/bin/python bench/memory.py [--modes threads,processes] [--rest 5]
"""

from __future__ import annotations

import argparse
import os
import re
import tempfile
import time
from pathlib import Path

import httpx
from _process import free_port, sahayak, serving

PAGES = ["/", "/reports/", "/help/", "/settings/mailboxes/sent/"]


def tree(pid: int) -> list[int]:
    """``pid`` and every process below it (children of any of its threads)."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        for task in os.listdir(f"/proc/{current}/task"):
            with open(f"/proc/{current}/task/{task}/children") as handle:
                todo.extend(int(child) for child in handle.read().split())
    return found


def rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        match = re.search(r"^VmRSS:\s+(\d+) kB", status.read(), re.MULTILINE)
    return int(match.group(1)) if match else 0


def visit(base: str) -> None:
    with httpx.Client(base_url=base, timeout=30, follow_redirects=True) as client:
        form = client.get("/login/").text
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form)
        assert token, "no sign-in form"
        client.post(
            "/login/",
            data={
                "csrfmiddlewaretoken": token.group(1),
                "username": "admin",
                "password": "sahayak-demo",
            },
        ).raise_for_status()
        inbox = client.get("/").text
        first = re.search(r'href="(/c/\d+/)"', inbox)
        for page in [*PAGES, *([first.group(1)] if first else [])]:
            client.get(page).raise_for_status()


def measure(mode: str, env: dict[str, str], rest: float) -> None:
    with serving(env, "--companions", mode, "--smtp-port", str(free_port())) as (base, pid):
        deadline = time.monotonic() + 60
        while httpx.get(f"{base}/readyz").status_code != 200 and time.monotonic() < deadline:
            time.sleep(0.5)
        visit(base)
        time.sleep(rest)
        pids = tree(pid)
        sizes = {p: rss_kib(p) for p in pids}
    total = sum(sizes.values()) / 1024
    parts = ", ".join(f"{size / 1024:.0f}" for size in sizes.values())
    print(f"companions as {mode:9}: {len(pids)} process(es), RSS {total:.0f} MB ({parts} MB)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--modes", default="threads,processes")
    parser.add_argument("--rest", type=float, default=5.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as data:
        env = {**os.environ, "SAHAYAK_DATA_DIR": data, "LOG_LEVEL": "WARNING"}
        env.pop("DATABASE_URL", None)
        sahayak(["migrate", "--noinput", "-v0"], env)
        sahayak(["demo", "--port", "8000", "--smtp-port", "2525"], env)
        print(f"demo loaded in {Path(data)}; serve at rest after one agent's first visit")
        for mode in args.modes.split(","):
            measure(mode, env, args.rest)


if __name__ == "__main__":
    main()
