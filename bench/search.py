"""Search over many articles and messages: p50/p95 of the search service, per query kind.

    # load (once): 333,334 conversations = 1,000,002 messages, then 100,000 articles
    python bench/generate.py --conversations 333334
    python bench/search.py --articles 100000 --runs 200

Articles are 20,000 × 5 languages (every translation published; one in ten internal),
written from the same Zipf-distributed vocabulary as the messages. Timings are whole
calls of ``sahayak.knowledge.search`` (query, rows, highlighted snippets), as the help
center, the API and the reply box make them.
"""

from __future__ import annotations

import argparse
import contextlib
import random
import sys
import time
from collections.abc import Callable

import _corpus as corpus
import _setup  # noqa: F401
from _timing import measure
from django.db import connection
from django.utils import timezone

from sahayak.accounts.models import Role, Team, User
from sahayak.conversations.models import Message
from sahayak.knowledge import search
from sahayak.knowledge.models import Article, ArticleTranslation
from sahayak.knowledge.search.text import document

BATCH = 2000


def load_articles(total: int, rng: random.Random) -> None:
    """``total`` translations (``total/5`` articles in every locale), indexed in batches."""
    have = ArticleTranslation.objects.count()
    if have >= total:
        print(f"  {have:,} article translations already loaded")
        return
    engine = search.backend()
    articles = (total - have) // len(corpus.LOCALES)
    now = timezone.now()
    started = time.monotonic()
    done = 0
    while done < articles:
        n = min(BATCH // len(corpus.LOCALES), articles - done)
        batch = Article.objects.bulk_create(
            [Article(visibility="internal" if rng.random() < 0.1 else "public") for _ in range(n)]
        )
        rows = []
        for article in batch:
            for locale in corpus.LOCALES:
                title = corpus.text(locale, rng, 3, 8).rstrip(".")
                rows.append(
                    ArticleTranslation(
                        article=article,
                        locale=locale,
                        title=title,
                        slug="a",
                        body=corpus.text(locale, rng, 60, 200),
                        status="published",
                        published_at=now,
                    )
                )
        for t in rows:
            t.body_html = f"<p>{t.body}</p>"
        ArticleTranslation.objects.bulk_create(rows)
        engine.index_articles(
            (t.pk, document(t.title, t.locale), document(t.body, t.locale)) for t in rows
        )
        done += n
        rate = done * len(corpus.LOCALES) / (time.monotonic() - started)
        sys.stdout.write(f"\r  {done * len(corpus.LOCALES):>9,} translations  {rate:,.0f}/s ")
        sys.stdout.flush()
    print()


def index_messages() -> None:
    """Index messages not in the index yet (the generator writes rows, not the index)."""
    table = "knowledge_message_search" if connection.vendor == "postgresql" else None
    with connection.cursor() as cur:
        if table:
            cur.execute(f"SELECT COALESCE(MAX(message_id), 0), COUNT(*) FROM {table}")
        else:
            cur.execute("SELECT COALESCE(MAX(rowid), 0), COUNT(*) FROM knowledge_message_fts")
        last, have = cur.fetchone()
    total = Message.objects.filter(pk__gt=last).count()
    if not total:
        print(f"  {have:,} messages already indexed")
        return
    started = time.monotonic()
    done = 0
    qs = Message.objects.only("id", "text", "conversation_id").order_by("pk")
    # An empty index is filled as `sahayak reindex` does: GIN indexes built once at the end.
    with search.backend().rebuilding() if not have else contextlib.nullcontext():
        while True:
            batch = list(qs.filter(pk__gt=last)[:BATCH])
            if not batch:
                break
            search.index_messages(batch)
            last = batch[-1].pk
            done += len(batch)
            rate = done / (time.monotonic() - started)
            sys.stdout.write(f"\r  {done:>9,}/{total:,} messages indexed  {rate:,.0f}/s ")
            sys.stdout.flush()
    print(f"\n  indexes built; {done / (time.monotonic() - started):,.0f} messages/s in all")


def agents() -> tuple[User, User]:
    admin, _ = User.objects.get_or_create(
        username="bench-admin", defaults={"role": Role.ADMIN, "email": "bench-admin@example.com"}
    )
    agent, _ = User.objects.get_or_create(
        username="bench-agent", defaults={"role": Role.AGENT, "email": "bench-agent@example.com"}
    )
    # A private team the agent is not in: its conversations are filtered out for them.
    Team.objects.get_or_create(name="Bench private", defaults={"is_private": True})
    return admin, agent


def queries(rng: random.Random, runs: int) -> dict[str, Callable[[], list[str]]]:
    """Query makers by kind; each call returns (query, locale) for one run."""

    def common() -> list[str]:
        locale = rng.choice(corpus.LOCALES)
        return [rng.choice(corpus.real_words(locale)), locale]

    def frequent() -> list[str]:
        locale = rng.choice(corpus.LOCALES)
        return [rng.choice(corpus.frequent_words(locale)), locale]

    def rare() -> list[str]:
        locale = rng.choice(corpus.LOCALES)
        return [corpus.rare_words(locale, rng, 1)[0], locale]

    def two_words() -> list[str]:
        locale = rng.choice(corpus.LOCALES)
        return [" ".join(rng.sample(corpus.real_words(locale), 2)), locale]

    def prefix() -> list[str]:
        locale = rng.choice(corpus.LOCALES)
        return [rng.choice(corpus.real_words(locale))[:4], locale]

    def question() -> list[str]:
        locale = rng.choice(corpus.LOCALES)
        return [corpus.question(locale, rng), locale]

    return {
        "one support word": common,
        "one of the 20 most frequent words": frequent,
        "one rare word": rare,
        "two words": two_words,
        "prefix (4 letters)": prefix,
        "a question (7 words)": question,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args()
    rng = random.Random(7)
    print(f"Search benchmark ({connection.vendor})")
    load_articles(args.articles, rng)
    index_messages()
    with connection.cursor() as cur:
        cur.execute("ANALYZE")
    admin, agent = agents()
    n_articles = ArticleTranslation.objects.count()
    n_messages = Message.objects.count()
    print(f"  {n_articles:,} article translations, {n_messages:,} messages")
    makers = queries(rng, args.runs)
    worst = 0.0

    def run(label: str, call: Callable[[str, str], object], maker: Callable[[], list[str]]):
        def once() -> None:
            q, locale = maker()
            call(q, locale)

        return measure(label, once, args.runs)

    print("help center: published public articles in the reader's language")
    for kind, maker in makers.items():
        worst = max(
            worst,
            run(kind, lambda q, loc: search.search_articles(q, locales=[loc], limit=10), maker),
        )
    print("reply box suggestions: any word, agent view (internal included)")
    worst = max(
        worst,
        run(
            "a question (7 words)",
            lambda q, loc: search.search_articles(
                q, locales=[loc], public_only=False, limit=5, any_term=True
            ),
            makers["a question (7 words)"],
        ),
    )
    for user, who in ((admin, "admin (sees all)"), (agent, "agent (private team hidden)")):
        print(f"messages, {who}")
        for kind in (
            "one support word",
            "one of the 20 most frequent words",
            "one rare word",
            "two words",
            "prefix (4 letters)",
        ):
            worst = max(
                worst,
                run(
                    kind,
                    lambda q, loc, u=user: search.search_messages(q, user=u, limit=20),
                    makers[kind],
                ),
            )
    print(f"worst p95: {worst:.1f} ms")


if __name__ == "__main__":
    main()
