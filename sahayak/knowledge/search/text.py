"""How text becomes search terms, the same at index and at query time, in every script.

Two things the databases' own tokenizers get wrong for the languages we serve:
- accents: ``εισιτήριο`` must find ``εισιτήριό`` and ``cafe`` must find ``café``, so the
  combining accents of Latin, Greek, Cyrillic, Hebrew and Arabic are removed;
- vowel signs: Devanagari and Bengali (and other Brahmic scripts) write vowels as combining
  marks *inside* a word, so marks other than accents are part of the word, never a break.

Both backends are fed the output of :func:`terms` joined by spaces, so they only ever see
words split our way.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache, lru_cache

from .stemming import stems

# Accents that carry no meaning a searcher types reliably.
_ACCENT_RANGES = [
    (0x0300, 0x036F),  # combining diacritical marks (Latin, Greek, Cyrillic)
    (0x0591, 0x05C7),  # Hebrew points
    (0x0610, 0x061A),  # Arabic signs
    (0x064B, 0x065F),  # Arabic harakat
    (0x0670, 0x0670),
    (0x1AB0, 0x1AFF),
    (0x1DC0, 0x1DFF),
    (0x20D0, 0x20FF),
    (0xFE20, 0xFE2F),
]
_STRIP = {cp: None for lo, hi in _ACCENT_RANGES for cp in range(lo, hi + 1)}


@cache
def word_marks() -> str:
    """Combining marks that belong inside words (vowel signs, viramas, nuktas...)."""
    marks = []
    for cp in range(0x0370, 0x10000):
        if cp in _STRIP or 0xD800 <= cp <= 0xDFFF:
            continue
        if unicodedata.category(chr(cp)) in {"Mn", "Mc", "Me"}:
            marks.append(chr(cp))
    return "".join(marks)


@cache
def _word_re() -> re.Pattern[str]:
    return re.compile(r"(?:[^\W_]|[" + re.escape(word_marks()) + r"])+")


def fold(text: str) -> str:
    """Case- and accent-insensitive form of ``text`` (its words keep their vowel signs)."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return unicodedata.normalize("NFC", decomposed.translate(_STRIP))


def terms(text: str) -> list[str]:
    """The folded words of ``text``."""
    return _word_re().findall(fold(text))


def document(text: str, language: str = "") -> str:
    """``text`` as the backends index it: folded words separated by single spaces, each
    followed by those of its stems that are not its beginning ("delivery" -> "deliveri"),
    so that any form of a query finds any form of the word."""
    return " ".join([_entry(word, language) for word in terms(text)])


@lru_cache(maxsize=200_000)
def _entry(word: str, language: str) -> str:
    """A word and its stems as indexed (cached: words repeat far more than they vary)."""
    # A stem that begins the word needs no entry: queries match stems as prefixes.
    extra = [s for s in stems(word, language) if not word.startswith(s)]
    return " ".join([word, *extra]) if extra else word


def words(text: str) -> list[re.Match[str]]:
    """The words of ``text`` as they are written (for snippets): matches on the original."""
    return list(_word_re().finditer(text))


MAX_QUERY_TERMS = 12
MAX_TERM_CHARS = 64
MIN_PREFIX = 3  # "c" or "2" match only themselves, not every word starting so


def query_terms(query: str) -> list[str]:
    """The terms of a user's query, deduplicated, in order, within sane limits."""
    seen: dict[str, None] = {}
    for term in terms(query[:1000]):
        seen.setdefault(term[:MAX_TERM_CHARS], None)
    return list(seen)[:MAX_QUERY_TERMS]
