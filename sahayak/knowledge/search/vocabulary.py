"""The index's vocabulary, so that a misspelt query ("refnd") finds what it meant ("refund").

Articles add their words when they are indexed; words of messages are learnt by a periodic
job in batches (``learn_from_messages``), never on the path that stores a message. A term
is corrected only when the query found nothing and the term is not a known word: to the
closest known word with the same first letter, at most one edit away (two from eight
letters on), by Damerau-Levenshtein distance (rapidfuzz). The same on SQLite and
PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection, transaction
from rapidfuzz import process
from rapidfuzz.distance import DamerauLevenshtein

from ..models import SearchProgress, SearchWord
from .text import terms

MIN_WORD, MAX_WORD = 4, 40  # shorter words are not corrected; longer ones are not words
MESSAGES = "messages"
BATCH = 2000


def words_of(texts: Iterable[str]) -> set[str]:
    return {
        word
        for text in texts
        for word in terms(text)
        if MIN_WORD <= len(word) <= MAX_WORD and not word.isdigit()
    }


def remember(words: Iterable[str]) -> None:
    """Add words not known yet. One statement for all of them, not an ORM object each
    (a reindex passes every word of every message through here)."""
    unique = sorted(set(words))
    if not unique:
        return
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":  # one round trip for the whole batch
            cursor.execute(
                "INSERT INTO knowledge_searchword (word, initial, length)"
                " SELECT w, left(w, 1), char_length(w) FROM unnest(%s::text[]) AS w"
                " ON CONFLICT (word) DO NOTHING",
                [unique],
            )
            return
        cursor.executemany(
            "INSERT INTO knowledge_searchword (word, initial, length) VALUES (%s, %s, %s)"
            " ON CONFLICT (word) DO NOTHING",
            [(w, w[0], len(w)) for w in unique],
        )


def learn_from_messages(max_batches: int = 10) -> int:
    """Add the words of messages stored since the last pass; returns how many were read."""
    from sahayak.conversations.models import Message

    progress, _created = SearchProgress.objects.get_or_create(name=MESSAGES)
    last, read = progress.last_id, 0
    for _batch in range(max_batches):
        rows = list(
            Message.objects.filter(pk__gt=last)
            .exclude(text="")
            .order_by("pk")
            .values_list("pk", "text")[:BATCH]
        )
        if not rows:
            break
        with transaction.atomic():
            remember(words_of(text for _pk, text in rows))
            last = rows[-1][0]
            SearchProgress.objects.filter(name=MESSAGES, last_id__lt=last).update(last_id=last)
        read += len(rows)
    return read


def forget_progress() -> None:
    SearchProgress.objects.filter(name=MESSAGES).delete()


def correct(term: str) -> str | None:
    """The known word ``term`` probably meant, or None (known already, or nothing close)."""
    if len(term) < MIN_WORD or len(term) > MAX_WORD or term.isdigit():
        return None
    if SearchWord.objects.filter(word=term).exists():
        return None
    edits = 1 if len(term) < 8 else 2
    candidates = list(
        SearchWord.objects.filter(
            initial=term[0], length__range=(len(term) - edits, len(term) + edits)
        ).values_list("word", flat=True)
    )
    if not candidates:
        return None
    best = process.extract(
        term, candidates, scorer=DamerauLevenshtein.distance, score_cutoff=edits, limit=5
    )
    if not best:
        return None
    # The fewest edits; among equals the word sharing the longest start with the term.
    best.sort(key=lambda hit: (hit[1], -_common_start(term, hit[0]), hit[0]))
    return str(best[0][0])


def _common_start(a: str, b: str) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n
