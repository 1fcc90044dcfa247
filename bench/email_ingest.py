"""Email ingestion: generated mail through the same path the IMAP fetcher uses (parse,
thread, store in batches of one transaction), in several processes at once.

    python bench/email_ingest.py [--mails 10000] [--processes 2] [--batch 50]

Run it on an empty, migrated database. Prints messages/s and threading accuracy: a thread
is right when all its messages end in one conversation (after merges) that holds no other
thread's messages.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import time
from collections import defaultdict

os.environ.setdefault("SAHAYAK_EMAIL_SENDER_RATE", "0")  # the corpus has busy senders

import _setup  # noqa: F401, E402
from _baseline import describe, ratio  # noqa: E402
from django.db import connection, connections  # noqa: E402
from mail_corpus import SUPPORT, thread_corpus  # noqa: E402

from sahayak.connectors.email.inbound import IngestOutcome, ingest_many  # noqa: E402
from sahayak.connectors.email.mailboxes import (  # noqa: E402
    CHANNEL,
    MailboxSettings,
    save_mailbox,
)
from sahayak.conversations.models import Conversation, Inbox, Message  # noqa: E402


def _work(job: tuple[int, list[bytes]]) -> tuple[int, int]:
    inbox_id, batch = job
    inbox = Inbox.objects.get(pk=inbox_id)
    results = ingest_many(batch, inbox=inbox)
    stored = sum(isinstance(r, IngestOutcome) for r in results)
    return stored, len(results) - stored


def _accuracy(threads: list[list[str]]) -> tuple[int, int, int]:
    """(threads right, threads split, threads sharing a conversation with another)."""
    merged = dict(
        Conversation.objects.filter(merged_into__isnull=False).values_list("pk", "merged_into")
    )

    def final(pk: int) -> int:
        seen = set()
        while pk in merged and pk not in seen:
            seen.add(pk)
            pk = merged[pk]
        return pk

    where = {
        external_id: final(conversation_id)
        for external_id, conversation_id in Message.objects.filter(channel=CHANNEL).values_list(
            "external_id", "conversation_id"
        )
    }
    owners: dict[int, set[int]] = defaultdict(set)
    for number, ids in enumerate(threads):
        for message_id in ids:
            owners[where[message_id]].add(number)
    right = split = shared = 0
    for ids in threads:
        conversations = {where[m] for m in ids}
        if len(conversations) > 1:
            split += 1
        elif len(owners[conversations.pop()]) > 1:
            shared += 1
        else:
            right += 1
    return right, split, shared


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mails", type=int, default=10_000)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--batch", type=int, default=50)
    args = parser.parse_args()
    if Message.objects.filter(channel=CHANNEL).exists():
        raise SystemExit("run on an empty database (email messages found)")
    inbox = Inbox.objects.filter(channel=CHANNEL).first() or save_mailbox(
        MailboxSettings(name="Bench", address=SUPPORT)
    )
    mails, threads = thread_corpus(args.mails, seed=11)
    replies = sum(len(t) - 1 for t in threads)
    size = sum(len(m) for m in mails)
    print(
        f"{len(mails):,} mails ({replies / len(mails):.0%} replies, {len(threads):,} threads, "
        f"{size / len(mails) / 1024:.1f} KiB average) on {connection.vendor}, "
        f"{args.processes} processes, batches of {args.batch}"
    )
    jobs = [(inbox.pk, mails[i : i + args.batch]) for i in range(0, len(mails), args.batch)]
    connections.close_all()
    # Spawned, not forked: a forked child would inherit the connection pool's dead threads.
    with multiprocessing.get_context("spawn").Pool(args.processes) as pool:
        pool.map(_work, jobs[:0])  # start the workers before the clock
        started = time.perf_counter()
        counts = pool.map(_work, jobs, chunksize=1)
    elapsed = time.perf_counter() - started
    stored = sum(c[0] for c in counts)
    refused = sum(c[1] for c in counts)
    print(
        f"stored {stored:,}, refused {refused:,} in {elapsed:.1f} s: {stored / elapsed:,.0f} messages/s"
    )
    machine = describe(os.environ.get("DATABASE_URL", ""), http=False)
    print(f"  = {ratio(stored / elapsed, machine['commits'])} of the one-row commit rate")
    total = Message.objects.filter(channel=CHANNEL).count()
    distinct = Message.objects.filter(channel=CHANNEL).values("external_id").distinct().count()
    right, split, shared = _accuracy(threads)
    print(f"messages in the database: {total:,} ({distinct:,} distinct Message-IDs)")
    print(
        f"threading: {right / len(threads):.2%} of {len(threads):,} threads right "
        f"({split} split, {shared} sharing a conversation with another thread)"
    )


if __name__ == "__main__":
    main()
