"""Conversation creation through the HTTP API: 8 requests in flight, measured with wrk.

    python bench/api_create.py [--seconds 20] [--web-workers 2]

Uses DATABASE_URL (default: a fresh SQLite file in a temporary data dir). Starts
`sahayak serve` as production would (uvicorn + background worker) and prints throughput
and p50/p95/p99 latency.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _process import sahayak, serving, vendor

HERE = Path(__file__).resolve().parent


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--web-workers", type=int, default=2)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is needed: apt-get install wrk")
    data_dir = tempfile.mkdtemp(prefix="sahayak-bench-")
    # One token makes every request: its per-minute budget would cap the measurement.
    env = {
        **os.environ,
        "SAHAYAK_DATA_DIR": data_dir,
        "LOG_LEVEL": "WARNING",
        "SAHAYAK_API_RATE": "100000000",
    }
    sahayak(["migrate", "-v0"], env)
    setup = (
        "from sahayak.accounts.models import User, Role;"
        "from sahayak.accounts.services import create_api_token;"
        "from sahayak.conversations.models import Inbox;"
        "u, _ = User.objects.get_or_create(username='bench-api', defaults={'email': 'bench-api@support.example', 'role': Role.ADMIN});"
        "i, _ = Inbox.objects.get_or_create(name='Bench API', channel='api');"
        "print(create_api_token(user=u)[1], i.pk)"
    )
    token, inbox = sahayak(["shell", "-c", setup], env).split()[-2:]
    try:
        with serving(env, "--workers", str(args.web_workers)) as (base, _pid):
            measure(args, env, base, token, inbox)
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


def measure(
    args: argparse.Namespace, env: dict[str, str], base: str, token: str, inbox: str
) -> None:
    wrk_env = {**env, "BENCH_TOKEN": token, "BENCH_INBOX": inbox}
    print(
        f"Conversation creation, POST /api/v1/conversations ({vendor(env)}, "
        f"{args.web_workers} web processes, {args.connections} in flight)"
    )
    floor = subprocess.run(
        ["wrk", "-t2", f"-c{args.connections}", "-d3s", f"{base}/healthz"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rps = re.search(r"Requests/sec:\s+([\d.]+)", floor)
    print(
        f"  floor: GET /healthz (no database) {float(rps.group(1)) if rps else 0:,.0f} requests/s"
    )
    for phase, seconds in (("warm-up", 3), ("measure", args.seconds)):
        wrk_env["BENCH_RUN"] = f"{phase}-{time.time_ns()}"
        out = subprocess.run(
            [
                "wrk",
                "-t2",
                f"-c{args.connections}",
                f"-d{seconds}s",
                "--timeout",
                "5s",
                "-s",
                str(HERE / "create.lua"),
                base,
            ],
            env=wrk_env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        if phase == "measure":
            for line in out.splitlines():
                if line.startswith(("RESULT", "unexpected")):
                    print("  " + line)
            result = re.search(r"rps=([\d.]+)", out)
            assert result, out


if __name__ == "__main__":
    main()
