"""Live chat at load: many visitor websockets on one server process, one agent watching.

    python bench/chat_sockets.py [--visitors 2000] [--seconds 30] [--interval 10]

Starts ``sahayak serve`` (one web process, no worker) on a fresh data dir (SQLite unless
DATABASE_URL is set), opens ``--visitors`` widget sockets and one agent workspace socket,
then each visitor sends a message every ``--interval`` seconds on average (random phase).
Prints visitor->agent delivery latency (from the visitor's send to the agent socket's
event for that message), the visitor's own ack latency, and the server's memory.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import random
import re
import resource
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import httpx
import websockets
from _baseline import describe
from _process import sahayak, serving, vendor

PASSWORD = "bench-agent-pw"  # noqa: S105 (a throwaway account on a throwaway database)
SETUP = f"""
from sahayak.accounts.models import Role, User
from sahayak.conversations.models import Inbox
User.objects.create_user("bench-agent", "bench-agent@support.example", "{PASSWORD}",
    first_name="Bench", role=Role.ADMIN)
print(Inbox.objects.create(name="Bench chat", channel="chat",
    config={{"allowed_origins": ["*"]}}).public_key)
"""


def rss_mib(group: int) -> float:
    """Resident memory of every process in the server's process group."""
    total_kib = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[2]) != group:  # field 5 of stat: the process group
                continue
            status = (stat.parent / "status").read_text()
        except (OSError, IndexError, ValueError):
            continue
        match = re.search(r"VmRSS:\s+(\d+) kB", status)
        total_kib += int(match.group(1)) if match else 0
    return total_kib / 1024


def agent_cookie(base: str) -> str:
    with httpx.Client(base_url=base, timeout=10) as client:
        page = client.get("/login/")
        csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
        assert csrf, "login page without CSRF token"
        client.post(
            "/login/",
            data={"username": "bench-agent", "password": PASSWORD, "csrfmiddlewaretoken": csrf[1]},
            headers={"Referer": f"{base}/login/"},
        )
        return f"sessionid={client.cookies['sessionid']}"


def percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))] if ordered else float("nan")


class Load:
    def __init__(
        self, base: str, key: str, visitors: int, seconds: float, interval: float, warmup: float
    ):
        self.ws = base.replace("http://", "ws://")
        self.key, self.visitors = key, visitors
        self.seconds, self.interval, self.warmup = seconds, interval, warmup
        self.measure_from = float("inf")
        self.sent_at: dict[str, float] = {}  # client id -> when the visitor sent it
        self.message_of: dict[int, str] = {}  # stored message id -> client id
        self.agent_got: dict[int, float] = {}  # message id -> when the agent heard of it
        self.acks: list[float] = []
        self.errors = 0
        self.opened = 0

    async def agent(self, cookie: str, ready: asyncio.Event, stop: asyncio.Event) -> None:
        async with websockets.connect(
            f"{self.ws}/ws/agent/",
            origin=websockets.Origin(self.ws.replace("ws://", "http://")),
            additional_headers={"Cookie": cookie},
            max_queue=None,
        ) as socket:
            ready.set()
            while not stop.is_set():
                try:
                    raw = await asyncio.wait_for(socket.recv(), 0.5)
                except TimeoutError:
                    continue
                event = json.loads(raw)
                if event.get("type") == "event" and event.get("direction") == "in":
                    self.agent_got.setdefault(event["message_id"], time.perf_counter())

    async def visitor(self, n: int, connected: asyncio.Semaphore, go: asyncio.Event) -> None:
        async with connected:
            socket = await websockets.connect(
                f"{self.ws}/ws/chat/{self.key}/", origin=websockets.Origin("https://shop.example")
            )
            await socket.send(json.dumps({"type": "hello", "context": {"locale": "en"}}))
            while (event := json.loads(await socket.recv()))["type"] != "welcome":
                if event["type"] == "error":
                    raise RuntimeError(f"visitor {n} was refused: {event}")
            self.opened += 1
        reader = asyncio.create_task(self._read(socket))
        await go.wait()
        deadline = self.measure_from + self.seconds
        sequence = 0
        wait = random.uniform(0, self.interval)  # visitors arrive at random moments
        while time.perf_counter() + wait < deadline:
            await asyncio.sleep(wait)
            client_id = f"v{n}m{sequence}"
            sequence += 1
            self.sent_at[client_id] = time.perf_counter()
            await socket.send(
                json.dumps({"type": "message", "client_id": client_id, "text": f"Question {n}"})
            )
            wait = random.expovariate(1 / self.interval)
        await asyncio.sleep(max(0.0, deadline - time.perf_counter()))
        await asyncio.sleep(2)  # the last answers
        reader.cancel()
        await socket.close()

    async def _read(self, socket: websockets.ClientConnection) -> None:
        async for raw in socket:
            event = json.loads(raw)
            if event["type"] == "ack":
                now = time.perf_counter()
                client_id = event["client_id"]
                self.message_of[event["message"]["id"]] = client_id
                if self.sent_at[client_id] >= self.measure_from:
                    self.acks.append((now - self.sent_at[client_id]) * 1000)
            elif event["type"] == "error":
                self.errors += 1

    def latencies(self, first: bool | None = None) -> list[float]:
        """Visitor -> agent; ``first``: only each visitor's first message (which also opens
        the conversation), or only the follow-ups."""
        return [
            (self.agent_got[mid] - self.sent_at[cid]) * 1000
            for mid, cid in self.message_of.items()
            if mid in self.agent_got
            and self.sent_at[cid] >= self.measure_from
            and (first is None or cid.endswith("m0") == first)
        ]


async def run(base: str, key: str, args: argparse.Namespace, server: int) -> None:
    load = Load(base, key, args.visitors, args.seconds, args.interval, args.warmup)
    cookie = await asyncio.to_thread(agent_cookie, base)
    ready, stop, go = asyncio.Event(), asyncio.Event(), asyncio.Event()
    agent = asyncio.create_task(load.agent(cookie, ready, stop))
    await ready.wait()
    idle = rss_mib(server)
    started = time.perf_counter()
    opening = asyncio.Semaphore(50)  # the widget opens as visitors arrive, not all at once
    visitors = [asyncio.create_task(load.visitor(n, opening, go)) for n in range(args.visitors)]
    while load.opened < args.visitors:
        failed = [t for t in visitors if t.done() and t.exception()]
        if failed:
            raise RuntimeError(f"a visitor could not connect: {failed[0].exception()!r}")
        await asyncio.sleep(0.1)
    opened = time.perf_counter() - started
    connected = rss_mib(server)
    print(f"  {args.visitors:,} visitor sockets open in {opened:.1f} s")
    # The load generator's own full garbage collections would show up as server latency.
    gc.collect()
    gc.freeze()
    gc.disable()
    load.measure_from = time.perf_counter() + args.warmup
    go.set()
    peak = connected
    while not all(t.done() for t in visitors):
        await asyncio.sleep(1)
        peak = max(peak, rss_mib(server))
    stop.set()
    await asyncio.gather(*visitors, agent, return_exceptions=True)
    delivered = load.latencies()
    sent = sum(1 for at in load.sent_at.values() if at >= load.measure_from)
    rate = sent / args.seconds
    print(
        f"  measured {args.seconds:g} s after {args.warmup:g} s warm-up: {sent:,} messages "
        f"({rate:,.0f}/s), {len(load.acks):,} acked, {len(delivered):,} seen by the agent, "
        f"{load.errors} errors"
    )
    for name, samples in (
        ("visitor -> agent", delivered),
        ("  new conversation", load.latencies(first=True)),
        ("  follow-up", load.latencies(first=False)),
        ("visitor's ack", load.acks),
    ):
        if samples:
            print(
                f"  {name:<18} p50 {statistics.median(samples):6.1f} ms   "
                f"p99 {percentile(samples, 0.99):6.1f} ms   "
                f"p99.9 {percentile(samples, 0.999):6.1f} ms   max {max(samples):6.1f} ms"
            )
    per_socket = (connected - idle) * 1024 / args.visitors
    print(
        f"  server memory: {idle:.0f} MiB idle, {connected:.0f} MiB with the sockets open "
        f"({per_socket:.0f} KiB a socket), {peak:.0f} MiB peak"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--visitors", type=int, default=2000)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--interval", type=float, default=30, help="mean seconds between messages")
    parser.add_argument("--warmup", type=float, default=3, help="first seconds not measured")
    args = parser.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(
        resource.RLIMIT_NOFILE, (min(hard, max(soft, 4 * args.visitors + 256)), hard)
    )
    data_dir = tempfile.mkdtemp(prefix="sahayak-bench-chat-")
    env = {
        **os.environ,
        "SAHAYAK_DATA_DIR": data_dir,
        "LOG_LEVEL": "WARNING",
        # Every simulated visitor connects from this machine's one address: lift the
        # per-address limits that would otherwise (rightly) stop them.
        "SAHAYAK_CHAT_SESSIONS_PER_IP": "1000000",
        "SAHAYAK_CHAT_SESSIONS_PER_INBOX": "1000000",
        "SAHAYAK_CHAT_IP_RATE": "1000000",
        "SAHAYAK_CHAT_INBOX_RATE": "1000000",
    }
    sahayak(["migrate", "-v0"], env)
    key = sahayak(["shell", "-c", SETUP], env).split()[-1]
    try:
        with serving(env, "--no-worker") as (base, server):
            print(
                f"Live chat ({vendor(env)}, one server process): {args.visitors:,} visitors, "
                f"a message every {args.interval:g} s each, for {args.seconds:g} s"
            )
            describe(env.get("DATABASE_URL", ""), http=False)
            asyncio.run(run(base, key, args, server))
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
