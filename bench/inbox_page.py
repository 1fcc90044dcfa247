"""Agent workspace pages against the loaded data: server time p50/p95, full HTML render.

    python bench/inbox_page.py [--runs 200]

Each request goes through Django's whole stack in-process (session, permission filter,
queries, template rendering), signed in as an agent outside the private team.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Callable

import _setup  # noqa: F401
from _timing import measure
from django.core.cache import cache
from django.db import connection
from django.test import Client

from sahayak.accounts.models import Team, User
from sahayak.conversations.models import Conversation
from sahayak.conversations.permissions import visible_conversations


def get(client: Client, url: str) -> Callable[[], object]:
    def call() -> object:
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        return response

    return call


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args()
    total = Conversation.objects.order_by("-id").values_list("id", flat=True).first() or 0
    print(f"Conversations: ~{total:,} ({connection.vendor})")
    agent = User.objects.filter(username="bench1").first() or User.objects.order_by("id").first()
    assert agent is not None, "run bench/generate.py first"
    client = Client()
    client.force_login(agent)
    team = Team.objects.filter(is_private=False).order_by("id").first()
    first = client.get("/?view=all&sort=newest").content.decode()
    cursor = re.search(r"cursor=([A-Za-z0-9_\-]+)", first)
    deep = cursor.group(1) if cursor else ""
    for _ in range(100):  # 5,000 rows deep
        page = client.get(f"/?view=all&sort=newest&cursor={deep}").content.decode()
        found = re.search(r"cursor=([A-Za-z0-9_\-]+)\">", page.split('rel="next"')[-1])
        if not found:
            break
        deep = found.group(1)
    newest = visible_conversations(agent).order_by("-id").values_list("id", flat=True).first()

    print(f"Inbox page as {agent.username} (50 rows, HTML):")
    pages = {
        "unassigned, open, longest waiting first": "/",
        "mine, open, longest waiting first": "/?view=mine",
        "all open, longest waiting first": "/?view=all",
        "all, newest first": "/?view=all&status=any&sort=newest",
        "solved, newest first": "/?view=all&status=solved&sort=newest",
        "channel whatsapp, open": "/?view=all&channel=whatsapp",
        "team view": f"/?view=all&team={team.pk if team else ''}",
        "live refresh partial (list only)": "/?view=all&partial=list",
        "page 101 by cursor": f"/?view=all&sort=newest&cursor={deep}",
    }
    worst = 0.0
    for label, url in pages.items():
        headers = {"HTTP_HX_REQUEST": "true"} if "partial" in url else {}
        worst = max(
            worst,
            measure(label, lambda url=url, h=headers: client.get(url, **h), args.runs),
        )
    print("Views panel counts (every team, channel, status and saved view; capped):")

    def counts_afresh() -> object:
        cache.clear()  # the server keeps them 10 s: this is the cost when it does not
        response = client.get("/inbox/counts/")
        assert response.status_code == 200
        return response

    measure("counts, computed afresh", counts_afresh, args.runs)
    measure("counts, from the cache", get(client, "/inbox/counts/"), args.runs)
    print("Conversation view:")
    measure("newest conversation with customer panel", get(client, f"/c/{newest}/"), args.runs)
    print(f"Worst inbox p95: {worst:.1f} ms")


if __name__ == "__main__":
    main()
