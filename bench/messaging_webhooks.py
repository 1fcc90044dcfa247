"""Inbound webhook throughput per messaging channel, measured with wrk.

    python bench/messaging_webhooks.py [--seconds 20] [--web-workers 2] [--per-second 900]

Uses DATABASE_URL (default: a fresh SQLite file in a temporary data dir). Sets up one
inbox per channel, pre-signs enough distinct webhooks (one text message each, from 500
different customers, in several scripts) for the run, starts `sahayak serve` and replays
them with 8 requests in flight. A webhook is acknowledged once queued durably; the
messages are stored by the web processes right after (up to a backlog) and by the
worker. After each run the script waits until the queue is empty and prints how long
storing took and how many messages were stored.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

from _baseline import describe
from _process import sahayak, serving, vendor

HERE = Path(__file__).resolve().parent
SECRET = "bench-webhook-secret"  # noqa: S105 (a test secret)
TEXTS = [
    "Where is my order? It was due yesterday.",
    "मेरा ऑर्डर कहाँ है?",
    "আমার অর্ডার কোথায়?",
    "Πού είναι η παραγγελία μου;",
    "Où est ma commande ?",
]
SETTINGS = {
    "whatsapp": {
        "phone_number_id": "1001",
        "business_account_id": "1",
        "access_token": "t",
        "app_secret": SECRET,
    },
    "sms": {"account_sid": "AC1", "auth_token": SECRET, "from_number": "+14155550100"},
    "telegram": {"bot_token": "1:x", "mode": "webhook", "groups": "refuse", "secret_token": SECRET},
    "messenger": {"page_id": "1001", "access_token": "t", "app_secret": SECRET},
}


def _hub(body: dict) -> tuple[str, str, str, str]:
    raw = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
    signature = "sha256=" + hmac.new(SECRET.encode(), raw.encode(), hashlib.sha256).hexdigest()
    return "X-Hub-Signature-256", signature, "application/json", raw


def webhook(kind: str, n: int, run: str, url: str) -> tuple[str, str, str, str]:
    text, customer = TEXTS[n % len(TEXTS)], n % 500
    if kind == "whatsapp":
        value = {
            "messaging_product": "whatsapp",
            "metadata": {"phone_number_id": "1001"},
            "contacts": [
                {"profile": {"name": f"Customer {customer}"}, "wa_id": f"91980000{customer:04d}"}
            ],
            "messages": [
                {
                    "from": f"91980000{customer:04d}",
                    "id": f"wamid.{run}.{n}",
                    "timestamp": "1764680000",
                    "type": "text",
                    "text": {"body": text},
                }
            ],
        }
        return _hub(
            {
                "object": "whatsapp_business_account",
                "entry": [{"id": "1", "changes": [{"field": "messages", "value": value}]}],
            }
        )
    if kind == "messenger":
        event = {
            "sender": {"id": f"24{customer:014d}"},
            "recipient": {"id": "1001"},
            "timestamp": 1764680000000,
            "message": {"mid": f"m_{run}_{n}", "text": text},
        }
        return _hub({"object": "page", "entry": [{"id": "1001", "messaging": [event]}]})
    if kind == "telegram":
        user = 9_000_000 + customer
        update = {
            "update_id": n,
            "message": {
                "message_id": n,
                "from": {"id": user, "is_bot": False, "first_name": "C"},
                "chat": {"id": user, "type": "private"},
                "date": 1764680000,
                "text": text,
            },
        }
        body = json.dumps(update, ensure_ascii=False, separators=(",", ":"))
        return "X-Telegram-Bot-Api-Secret-Token", SECRET, "application/json", body
    form = {
        "MessageSid": f"SM{run}{n}",
        "From": f"+3069412{customer:05d}",
        "To": "+14155550100",
        "Body": text,
    }
    data = url + "".join(f"{k}{v}" for k, v in sorted(form.items()))
    signature = base64.b64encode(
        hmac.new(SECRET.encode(), data.encode(), hashlib.sha1).digest()
    ).decode()
    return "X-Twilio-Signature", signature, "application/x-www-form-urlencoded", urlencode(form)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--web-workers", type=int, default=2)
    parser.add_argument(
        "--per-second", type=int, default=900, help="webhooks signed per second of run"
    )
    parser.add_argument("--channels", default=",".join(SETTINGS))
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is needed: apt-get install wrk")
    data_dir = tempfile.mkdtemp(prefix="sahayak-bench-")
    # Automatic replies (the acknowledgement rule) go to providers that refuse at once:
    # nothing here can reach the real ones, and a send hanging until its timeout would
    # measure the network, not Sahayak.
    dead = "http://127.0.0.1:9"
    env = {
        **os.environ,
        "SAHAYAK_DATA_DIR": data_dir,
        "LOG_LEVEL": "WARNING",
        "SAHAYAK_GRAPH_API_URL": dead,
        "SAHAYAK_TWILIO_API_URL": dead,
        "SAHAYAK_TELEGRAM_API_URL": dead,
    }
    kinds = [k for k in args.channels.split(",") if k in SETTINGS]
    sahayak(["migrate", "-v0"], env)
    setup = "from sahayak.connectors.messaging.setup import save_channel\n" + "\n".join(
        f"print('KEY', {kind!r}, save_channel(kind={kind!r}, name='bench', values={SETTINGS[kind]!r}).public_key)"
        for kind in kinds
    )
    printed = sahayak(["shell", "-c", setup], env).splitlines()
    keys = dict(line.split()[1:3] for line in printed if line.startswith("KEY "))
    try:
        with serving(
            env,
            "--workers",
            str(args.web_workers),
            "--no-telegram",
            "--no-fetchmail",
            "--smtp-port",
            "0",
            *(["--no-worker"] if os.environ.get("BENCH_NO_WORKER") else []),
        ) as (base, _pid):
            print(
                f"Inbound webhooks ({vendor(env)}, {args.web_workers} web processes, "
                f"{args.connections} in flight, {args.seconds} s per channel)"
            )
            describe(env.get("DATABASE_URL", ""))
            for kind in kinds:
                measure(kind, keys[kind], base, args, env)
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


def measure(kind: str, key: str, base: str, args: argparse.Namespace, env: dict[str, str]) -> None:
    path = f"/hooks/{kind}/{key}"
    run = str(time.time_ns())
    count = args.per_second * args.seconds
    with tempfile.NamedTemporaryFile("w", suffix=".tsv", delete=False, encoding="utf-8") as handle:
        for n in range(count):
            handle.write("\t".join(webhook(kind, n, run, base + path)) + "\n")
    wrk_env = {**env, "BENCH_FILE": handle.name, "BENCH_PATH": path, "BENCH_THREADS": "2"}
    try:
        done = subprocess.run(
            [
                "wrk",
                "-t2",
                f"-c{args.connections}",
                f"-d{args.seconds}s",
                "--timeout",
                "5s",
                "-s",
                str(HERE / "webhook.lua"),
                base,
            ],
            env=wrk_env,
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode:
            sys.exit(f"wrk failed: {done.stderr or done.stdout}")
        out = done.stdout
    finally:
        os.unlink(handle.name)
    for line in out.splitlines():
        if line.startswith(("RESULT", "unexpected")):
            print(f"  {kind:9} ack: {line.removeprefix('RESULT ')}")
    sys.stdout.flush()
    started = time.monotonic()
    query = (
        "from sahayak.connectors.messaging.models import WebhookDelivery as D\n"
        "from sahayak.conversations.models import Message\n"
        f"print('COUNT', D.objects.filter(state='pending').count(), Message.objects.filter(channel={kind!r}).count())"
    )
    while True:
        printed = sahayak(["shell", "-c", query], env).split()
        pending, stored = (
            int(printed[printed.index("COUNT") + 1]),
            int(printed[printed.index("COUNT") + 2]),
        )
        if pending == 0 or time.monotonic() - started > 600:
            break
        time.sleep(1)
    drained = time.monotonic() - started
    print(
        f"  {kind:9} stored: {stored} messages; the queue was empty {drained:.1f} s after the run"
    )


if __name__ == "__main__":
    main()
