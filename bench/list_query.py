"""Conversation list API and inbox queries against the loaded data: server-side p50/p95.

    python bench/list_query.py [--runs 200]

Requests go through Django's full request stack in-process (auth, permission filter,
query, serialization), so the figures are server time without network.
"""

from __future__ import annotations

import argparse

import _setup  # noqa: F401
from _timing import measure
from django.db import connection, reset_queries
from django.test import Client

from sahayak.accounts.models import ApiToken, Role, Team, User
from sahayak.accounts.services import create_api_token
from sahayak.conversations.models import OPEN_STATUSES, Conversation
from sahayak.conversations.permissions import visible_conversations
from sahayak.pagination import keyset_page


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args()
    total = Conversation.objects.order_by("-id").values_list("id", flat=True).first() or 0
    print(f"Conversations: ~{total:,} ({connection.vendor})")

    admin, _ = User.objects.get_or_create(
        username="bench-admin",
        defaults={"email": "bench-admin@support.example", "role": Role.ADMIN},
    )
    agent = User.objects.filter(username="bench1").first() or admin
    private = Team.objects.filter(is_private=True).first()
    token, secret = create_api_token(user=agent, name="bench")
    # A benchmark makes thousands of requests a minute with one token: no budget.
    ApiToken.objects.filter(pk=token.pk).update(rate_limit=1_000_000_000)
    client = Client()
    auth = {"HTTP_AUTHORIZATION": f"Bearer {secret}"}
    page = client.get("/api/v1/conversations?limit=50", **auth).json()
    deep = page["next_cursor"]
    for _ in range(200):  # walk 10,000 rows deep for the deep-page figure
        deep = client.get(f"/api/v1/conversations?limit=50&cursor={deep}", **auth).json()[
            "next_cursor"
        ]

    print("List API (agent outside a private team; 50 rows; full request):")
    for label, query in [
        ("newest first", ""),
        ("status=open", "&status=open"),
        (
            "open statuses, oldest waiting first",
            "&status=new&status=open&status=pending&sort=waiting",
        ),
        ("mine (assignee)", f"&assignee_id={agent.pk}"),
        ("unassigned, open", "&unassigned=true&status=open"),
        ("channel=whatsapp", "&channel=whatsapp"),
        ("page 201 by cursor", f"&cursor={deep}"),
    ]:
        measure(
            label,
            lambda q=query: client.get(f"/api/v1/conversations?limit=50{q}", **auth),
            args.runs,
        )

    print("Inbox queries (ORM, 50 rows with contact):")
    base = visible_conversations(agent).select_related("contact")
    inbox_views = {
        "unassigned, open, oldest waiting first": base.filter(
            status__in=OPEN_STATUSES, assignee__isnull=True, waiting_since__isnull=False
        ),
        "mine, open, oldest waiting first": base.filter(
            status__in=OPEN_STATUSES, assignee=agent, waiting_since__isnull=False
        ),
        "all open, newest": base.filter(status__in=OPEN_STATUSES),
    }
    if private:
        inbox_views["private team view (member)"] = visible_conversations(admin).filter(
            team=private, status__in=OPEN_STATUSES
        )
    for label, qs in inbox_views.items():
        keys = ["waiting_since", "id"] if "waiting" in label else ["-id"]
        measure(
            label,
            lambda qs=qs, keys=keys: keyset_page(qs, keys=keys, cursor=None, limit=50),
            args.runs,
        )
    reset_queries()


if __name__ == "__main__":
    main()
