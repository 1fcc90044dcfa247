"""Load N conversations (with contacts, identities and messages) in bulk, with progress.

    python bench/generate.py --conversations 1000000          # into DATABASE_URL

PostgreSQL is loaded with COPY; SQLite with batched inserts. Rows get explicit ids after
the current maximum, so the generator can be run again to add more.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import _corpus as corpus
import _setup  # noqa: F401
from django.db import connection, transaction

from sahayak.accounts.models import Team, User
from sahayak.contacts.models import Contact, Identity
from sahayak.conversations.models import Conversation, Event, Inbox, Message
from sahayak.feedback.models import Survey

LOCALES = corpus.LOCALES

STATUSES = ["new", "open", "open", "pending", "on_hold", "solved", "solved", "closed", "closed"]
CHANNELS = ["email", "chat", "sms", "whatsapp", "telegram", "webform", "api"]
PER_CONTACT = 3
BATCH = 20_000


def _max_id(model: type) -> int:
    with connection.cursor() as cur:
        cur.execute(f"SELECT COALESCE(MAX(id), 0) FROM {model._meta.db_table}")
        return int(cur.fetchone()[0])


def _fixtures() -> tuple[list[int], list[int], list[int]]:
    teams = [
        Team.objects.get_or_create(name=f"Bench team {n}", defaults={"is_private": n == 3})[0].pk
        for n in range(4)
    ]
    agents = []
    for n in range(20):
        user, _ = User.objects.get_or_create(
            username=f"bench{n}", defaults={"email": f"bench{n}@support.example"}
        )
        agents.append(user.pk)
    inboxes = [Inbox.objects.get_or_create(name=f"Bench {c}", channel=c)[0].pk for c in CHANNELS]
    return teams, agents, inboxes


def _rows(n: int, rng: random.Random) -> Iterator[tuple[str, tuple]]:
    teams, agents, inboxes = _fixtures()
    contact0, conv0, msg0 = _max_id(Contact), _max_id(Conversation), _max_id(Message)
    identity0 = _max_id(Identity)
    event_id, survey_id = _max_id(Event), _max_id(Survey)
    start = datetime(2024, 1, 1, tzinfo=UTC)
    span = (datetime.now(UTC) - start).total_seconds()
    msg_id = msg0
    for i in range(n):
        conv_id = conv0 + i + 1
        contact_id = contact0 + i // PER_CONTACT + 1
        if i % PER_CONTACT == 0:
            yield (
                "contact",
                (contact_id, f"Customer {contact_id}", "", "", None, "{}", None, start, start),
            )
            yield (
                "identity",
                (
                    identity0 + i // PER_CONTACT + 1,
                    contact_id,
                    "email",
                    f"c{contact_id}@bench.example",
                    False,
                    start,
                ),
            )
        created = start + timedelta(seconds=rng.random() * span)
        status = rng.choice(STATUSES)
        channel_index = rng.randrange(len(CHANNELS))
        assignee = rng.choice(agents) if rng.random() < 0.7 else None
        team = rng.choice(teams) if rng.random() < 0.8 else None
        waiting = created if status in ("new", "open") and rng.random() < 0.6 else None
        answered = created + timedelta(minutes=rng.randint(1, 600))
        last = answered + timedelta(minutes=rng.randint(1, 600))
        solved = last if status in ("solved", "closed") else None
        locale = rng.choice(LOCALES)
        text = corpus.text(locale, rng, 8, 30)
        yield (
            "conversation",
            (
                conv_id,
                text[:40],
                status,
                "normal",
                CHANNELS[channel_index],
                inboxes[channel_index],
                contact_id,
                assignee,
                team,
                "{}",
                locale,
                "",
                created,
                last,
                last,
                waiting,
                answered,
                solved,
                None,
                False,
                last,
            ),
        )
        for direction, when, body in (
            ("in", created, text),
            ("out", answered, "Thank you, we are on it."),
            ("in", last, corpus.text(locale, rng, 3, 12)),
        ):
            msg_id += 1
            yield (
                "message",
                (
                    msg_id,
                    conv_id,
                    direction,
                    CHANNELS[channel_index],
                    assignee if direction == "out" else None,
                    contact_id if direction == "in" else None,
                    body,
                    "",
                    None,
                    "{}",
                    when,
                    "sent" if direction == "out" else "",
                    "",
                    1 if direction == "out" else 0,
                    None,
                    when if direction == "out" else None,
                ),
            )
        # The log the report facts are replayed from: assignment, opening, solving.
        changes = [("status", answered, {"from": "new", "to": "open"})]
        if assignee:
            changes.append(
                ("assignee", created + timedelta(minutes=1), {"from": None, "to": assignee})
            )
        if solved:
            changes.append(("status", solved, {"from": "open", "to": status}))
        for kind, when, data in changes:
            event_id += 1
            yield ("event", (event_id, conv_id, None, kind, json.dumps(data), when))
        if solved and rng.random() < 0.3:  # a third of the solved ones rated
            survey_id += 1
            answered_at = solved + timedelta(hours=rng.randint(1, 48))
            score = rng.choices((1, 2, 3, 4, 5), weights=(5, 5, 10, 30, 50))[0]
            yield (
                "survey",
                (
                    survey_id,
                    "csat",
                    "answered",
                    contact_id,
                    conv_id,
                    CHANNELS[channel_index],
                    locale,
                    "",
                    solved,
                    solved,
                    "",
                    answered_at + timedelta(days=14),
                    score,
                    "",
                    answered_at,
                    solved,
                    inboxes[channel_index],
                    team,
                    assignee,
                ),
            )


COLUMNS = {
    "contact": (
        Contact,
        "id, name, locale, time_zone, organization_id, custom_attributes, "
        "merged_into_id, created_at, updated_at",
    ),
    "identity": (Identity, "id, contact_id, kind, address, verified, created_at"),
    "conversation": (
        Conversation,
        "id, subject, status, priority, channel, inbox_id, contact_id, "
        "assignee_id, team_id, custom_fields, language, thread_key, created_at, "
        "updated_at, last_message_at, waiting_since, first_response_at, solved_at, "
        "merged_into_id, reply_failed, status_changed_at",
    ),
    "message": (
        Message,
        "id, conversation_id, direction, channel, author_user_id, "
        "author_contact_id, text, html, external_id, metadata, created_at, "
        "delivery_status, delivery_error, delivery_attempts, next_attempt_at, sent_at",
    ),
    "event": (Event, "id, conversation_id, actor_id, kind, data, created_at"),
    "survey": (
        Survey,
        "id, kind, state, contact_id, conversation_id, channel, language, address, due_at, "
        "sent_at, skip_reason, open_until, score, comment, answered_at, created_at, inbox_id, "
        "team_id, agent_id",
    ),
}


def _flush_copy(kind: str, rows: list[tuple]) -> None:
    model, cols = COLUMNS[kind]
    with (
        connection.cursor() as cur,
        cur.cursor.copy(f"COPY {model._meta.db_table} ({cols}) FROM STDIN") as copy,
    ):
        for row in rows:
            copy.write_row(row)


def _flush_insert(kind: str, rows: list[tuple]) -> None:
    model, cols = COLUMNS[kind]
    marks = ", ".join(["%s"] * len(cols.split(",")))
    with connection.cursor() as cur:
        cur.executemany(f"INSERT INTO {model._meta.db_table} ({cols}) VALUES ({marks})", rows)


def load(rows: Iterator[tuple[str, tuple]], total: int) -> None:
    """Buffer rows per table and write them every BATCH conversations (COPY on PostgreSQL)."""
    flush = _flush_copy if connection.vendor == "postgresql" else _flush_insert
    buffers: dict[str, list[tuple]] = {k: [] for k in COLUMNS}
    done = 0
    started = time.monotonic()

    def flush_all() -> None:
        with transaction.atomic():
            for kind, buffered in buffers.items():  # parents before children
                if buffered:
                    flush(kind, buffered)
                    buffered.clear()

    for kind, row in rows:
        buffers[kind].append(row)
        if kind == "conversation":
            done += 1
            if done % BATCH == 0:
                flush_all()
                _progress(done, total, started)
    flush_all()
    _progress(done, total, started)


def _progress(done: int, total: int, started: float) -> None:
    rate = done / max(time.monotonic() - started, 1e-9)
    eta = (total - done) / rate if rate else 0
    sys.stdout.write(f"\r  {done:>10,}/{total:,} conversations  {rate:,.0f}/s  eta {eta:,.0f}s ")
    sys.stdout.flush()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--conversations", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    print(f"Loading {args.conversations:,} conversations ({connection.vendor})")
    started = time.monotonic()
    rows = _rows(args.conversations, rng)
    load(rows, args.conversations)
    print()
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            for model, _cols in COLUMNS.values():
                table = model._meta.db_table
                cur.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT MAX(id) FROM {table}))"
                )
            print("  analyzing…")
            cur.execute("ANALYZE")
        else:
            cur.execute("ANALYZE")
    print(f"Done in {time.monotonic() - started:,.1f}s")
    print("Report facts: run `sahayak analytics rebuild` (bench/reports.py does it when empty).")


if __name__ == "__main__":
    main()
