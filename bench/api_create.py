"""Conversation creation through the HTTP API: 8 requests in flight, measured with wrk.

    python bench/api_create.py [--seconds 20] [--web-workers 2] [--batch 50]

With ``--batch N`` the messages go to ``POST /api/v1/inbound/batch``, N per request (each
a new customer's message), and messages/s is printed beside requests/s.

Uses DATABASE_URL (default: a fresh SQLite file in a temporary data dir). Starts
`sahayak serve` as production would (uvicorn + background worker) and prints throughput
and p50/p95/p99 latency.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import time

from _baseline import describe, ratio
from _process import api_bench_env, api_token_and_inbox, create_load, sahayak, serving, vendor


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--web-workers", type=int, default=2)
    parser.add_argument("--batch", type=int, default=0, help="messages per batch request")
    args = parser.parse_args()
    env = api_bench_env("sahayak-bench-")
    data_dir = env["SAHAYAK_DATA_DIR"]
    sahayak(["migrate", "-v0"], env)
    token, inbox = api_token_and_inbox(env)
    try:
        with serving(env, "--workers", str(args.web_workers)) as (base, _pid):
            measure(args, env, base, token, inbox)
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


def measure(
    args: argparse.Namespace, env: dict[str, str], base: str, token: str, inbox: str
) -> None:
    wrk_env = {**env, "BENCH_TOKEN": token, "BENCH_INBOX": inbox, "BENCH_BATCH": str(args.batch)}
    path = (
        f"/api/v1/inbound/batch, {args.batch} per request"
        if args.batch
        else "/api/v1/conversations"
    )
    print(
        f"Conversation creation, POST {path} ({vendor(env)}, "
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
    machine = describe(env.get("DATABASE_URL", ""))
    for phase, seconds in (("warm-up", 3), ("measure", args.seconds)):
        wrk_env["BENCH_RUN"] = f"{phase}-{time.time_ns()}"
        out = subprocess.run(
            create_load(
                base,
                seconds,
                args.connections,
                script="inbound_batch.lua" if args.batch else "create.lua",
            ),
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
            rps = float(result.group(1))
            if args.batch:
                rps *= args.batch
                print(f"  = {rps:,.0f} messages/s")
            print(
                f"  = {ratio(rps, machine['bare_rps'])} of the bare endpoint, "
                f"{ratio(rps, machine['commits'])} of the one-row commit rate"
            )


if __name__ == "__main__":
    main()
