"""A provider keeps sending webhooks while the server (web process and worker) is
SIGKILLed: after a restart it redelivers every message it has no acknowledgement for
(and some it has), as providers do. Every message is stored, once: what was acknowledged
was queued durably, and the worker processes the queue idempotently."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import signal
import threading
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest

from .helpers import django_eval, kill, prepare_env, start_server, wait_for

pytestmark = pytest.mark.slow

TOTAL = 300
SECRET = "crash-test-secret"

Delivery = Callable[[int, str, str], tuple[str, bytes, dict[str, str]]]


def _meta(kind: str) -> Delivery:
    def build(n: int, base: str, key: str) -> tuple[str, bytes, dict[str, str]]:
        sender = f"9198{n % 50:08d}"
        if kind == "whatsapp":
            value = {
                "messaging_product": "whatsapp",
                "metadata": {"phone_number_id": "1001"},
                "contacts": [{"profile": {"name": f"C{n % 50}"}, "wa_id": sender}],
                "messages": [
                    {
                        "from": sender,
                        "id": f"wamid.crash{n}",
                        "timestamp": "1764680000",
                        "type": "text",
                        "text": {"body": f"message {n}"},
                    }
                ],
            }
            body = {
                "object": "whatsapp_business_account",
                "entry": [{"id": "1", "changes": [{"field": "messages", "value": value}]}],
            }
        else:
            body = {
                "object": "page" if kind == "messenger" else "instagram",
                "entry": [
                    {
                        "id": "1001",
                        "messaging": [
                            {
                                "sender": {"id": sender},
                                "recipient": {"id": "1001"},
                                "timestamp": 1764680000000,
                                "message": {"mid": f"m_crash{n}", "text": f"message {n}"},
                            }
                        ],
                    }
                ],
            }
        raw = json.dumps(body).encode()
        signature = "sha256=" + hmac.new(SECRET.encode(), raw, hashlib.sha256).hexdigest()
        headers = {"Content-Type": "application/json", "X-Hub-Signature-256": signature}
        return f"/hooks/{kind}/{key}", raw, headers

    return build


def _sms(n: int, base: str, key: str) -> tuple[str, bytes, dict[str, str]]:
    path = f"/hooks/sms/{key}"
    form = {
        "MessageSid": f"SMcrash{n}",
        "From": f"+3069412{n % 50:05d}",
        "To": "+14155550100",
        "Body": f"message {n}",
    }
    data = base + path + "".join(f"{k}{v}" for k, v in sorted(form.items()))
    signature = base64.b64encode(
        hmac.new(SECRET.encode(), data.encode(), hashlib.sha1).digest()
    ).decode()
    headers = {"Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": signature}
    return path, urlencode(form).encode(), headers


def _telegram(n: int, base: str, key: str) -> tuple[str, bytes, dict[str, str]]:
    user = 7000 + n % 50
    update = {
        "update_id": 10_000 + n,
        "message": {
            "message_id": n,
            "from": {"id": user, "is_bot": False, "first_name": "T"},
            "chat": {"id": user, "type": "private"},
            "date": 1764680000,
            "text": f"message {n}",
        },
    }
    headers = {"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": SECRET}
    return f"/hooks/telegram/{key}", json.dumps(update).encode(), headers


CHANNELS: dict[str, tuple[dict[str, Any], Delivery]] = {
    "whatsapp": (
        {
            "phone_number_id": "1001",
            "business_account_id": "1",
            "access_token": "t",
            "app_secret": SECRET,
        },
        _meta("whatsapp"),
    ),
    "messenger": (
        {"page_id": "1001", "access_token": "t", "app_secret": SECRET},
        _meta("messenger"),
    ),
    "instagram": (
        {"account_id": "1001", "access_token": "t", "app_secret": SECRET},
        _meta("instagram"),
    ),
    "sms": ({"account_sid": "AC1", "auth_token": SECRET, "from_number": "+14155550100"}, _sms),
    "telegram": (
        {"bot_token": "1:x", "mode": "webhook", "groups": "refuse", "secret_token": SECRET},
        _telegram,
    ),
}


@pytest.mark.parametrize("kind", list(CHANNELS))
def test_a_killed_server_loses_and_duplicates_no_webhook_message(tmp_path, kind):
    values, build = CHANNELS[kind]
    env = prepare_env(tmp_path, f"sahayak_e2e_crash_{kind}")
    # A worker killed mid-delivery leaves a lease: short here, so the test need not wait.
    env["SAHAYAK_WEBHOOK_LEASE_SECONDS"] = "3"
    key = django_eval(
        "from sahayak.connectors.messaging.setup import save_channel\n"
        f"result = save_channel(kind={kind!r}, name='crash', values={values!r}).public_key",
        env,
    )
    acknowledged: set[int] = set()

    def deliver(client: httpx.Client, base: str, n: int) -> None:
        path, body, headers = build(n, base, key)
        if client.post(base + path, content=body, headers=headers).status_code < 300:
            acknowledged.add(n)

    proc, base = start_server(env, "--no-telegram", "--no-fetchmail")

    def provider() -> None:
        with httpx.Client(timeout=5) as client:
            for n in range(TOTAL):
                try:
                    deliver(client, base, n)
                except httpx.TransportError:
                    return  # the server is gone

    thread = threading.Thread(target=provider)
    thread.start()
    wait_for(lambda: len(acknowledged) >= 60, timeout=90, interval=0.01)
    kill(proc, signal.SIGKILL)
    thread.join(timeout=30)
    assert 60 <= len(acknowledged) < TOTAL

    proc, base = start_server(env, "--no-telegram", "--no-fetchmail")
    count = (
        "from sahayak.conversations.models import Message\n"
        f"ids = list(Message.objects.filter(channel={kind!r}).values_list('external_id', flat=True))\n"
        "result = [len(ids), len(set(ids))]"
    )
    try:
        with httpx.Client(timeout=10) as client:
            # What was never acknowledged, and the last acknowledged ones once more
            # (a provider redelivers what it is unsure of).
            redeliver = sorted(set(range(TOTAL)) - acknowledged) + sorted(acknowledged)[-20:]
            for n in redeliver:
                deliver(client, base, n)
        assert acknowledged == set(range(TOTAL))
        # The restarted worker works through the queue (and takes up the killed one's).
        wait_for(lambda: django_eval(count, env)[0] >= TOTAL, timeout=120, interval=2)
    finally:
        kill(proc)
    assert django_eval(count, env) == [TOTAL, TOTAL]
