"""Scale-out on one PostgreSQL (and Redis, when REDIS_URL is set): conversation creation
through the API with more web processes, and with several groups of processes standing
for several machines, each group its own ``serve`` on its own port with its own load.

    DATABASE_URL=postgres://... python bench/scale_out.py [--processes 1,2,3] [--groups 2]
        [--seconds 10] [--connections 8]

Each step prints the total requests/s, p99 of the slowest group, and what each process
added over the step before. Benchmark, load generator and database share this machine,
so the curve bends where its cores run out, not where Sahayak's design does.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import shutil
import subprocess
import sys
import time

from _baseline import describe, ratio
from _process import api_bench_env, api_token_and_inbox, create_load, sahayak, serving, vendor


def load(
    base: str, env: dict[str, str], seconds: int, connections: int, run: str
) -> subprocess.Popen[str]:
    """Start wrk on one group; the caller waits for it (all groups are loaded at once)."""
    return subprocess.Popen(
        create_load(base, seconds, connections, threads=1),
        env={**env, "BENCH_RUN": run},
        stdout=subprocess.PIPE,
        text=True,
    )


def step(
    groups: int, processes: int, env: dict[str, str], args: argparse.Namespace
) -> tuple[float, float]:
    """(requests/s over all groups, worst p99 in ms) with ``groups`` × ``processes``."""
    with contextlib.ExitStack() as stack:
        bases = [
            stack.enter_context(
                serving(
                    env,
                    "--workers",
                    str(processes),
                    "--companions",
                    "processes",
                    "--smtp-port",
                    "0",
                    "--no-fetchmail",
                    "--no-telegram",
                    *(["--no-worker"] if g else []),  # one task worker in all
                )
            )[0]
            for g in range(groups)
        ]
        for phase, seconds in (("warm", 5), ("measure", args.seconds)):
            runs = [
                load(base, env, seconds, args.connections, f"{phase}-{g}-{time.time_ns()}")
                for g, base in enumerate(bases)
            ]
            outputs = [run.communicate()[0] for run in runs]
    total, worst = 0.0, 0.0
    for out in outputs:
        found = re.search(r"rps=([\d.]+) .* p99=([\d.]+)ms .* non2xx=(\d+)", out)
        assert found, out
        assert found.group(3) == "0", out
        total += float(found.group(1))
        worst = max(worst, float(found.group(2)))
    return total, worst


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--processes", default="1,2,3")
    parser.add_argument("--groups", type=int, default=2)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=8, help="in flight per group")
    args = parser.parse_args()
    env = api_bench_env("sahayak-scale-")
    data_dir = env["SAHAYAK_DATA_DIR"]
    if vendor(env) != "postgresql":
        sys.exit("scale-out is measured on PostgreSQL: set DATABASE_URL")
    sahayak(["migrate", "-v0"], env)
    token, inbox = api_token_and_inbox(env)
    env.update(BENCH_TOKEN=token, BENCH_INBOX=inbox)
    machine = describe(env["DATABASE_URL"])
    print(
        f"Scale-out: POST /api/v1/conversations on one PostgreSQL "
        f"({os.cpu_count()} cores; {args.connections} in flight per group)"
    )
    try:
        for groups in sorted({1, args.groups}):
            before, before_n = 0.0, 0
            for processes in (int(n) for n in args.processes.split(",")):
                rps, p99 = step(groups, processes, env, args)
                n = groups * processes
                added = (
                    f", +{(rps - before) / (n - before_n):,.0f}/s per added process"
                    if before
                    else ""
                )
                print(
                    f"  {groups} group(s) × {processes} web process(es) = {n}: {rps:,.0f}/s, "
                    f"p99 {p99:.0f} ms{added} ({ratio(rps, machine['commits'])} of the "
                    "one-row commit rate)"
                )
                before, before_n = rps, n
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
