"""Highlighted excerpts of the original text around the words a query matched.

Matching is done on folded words (as the index does), highlighting on the text as written:
a search for ``εισιτηριο`` marks ``εισιτήριό`` in the snippet, accents and all.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from .text import MIN_PREFIX, fold, words


def _matches(word: str, terms: Sequence[str], prefix: bool) -> bool:
    folded = fold(word)
    return any(
        folded.startswith(t) if prefix and len(t) >= MIN_PREFIX else folded == t for t in terms
    )


def highlight(text: str, terms: Sequence[str], *, prefix: bool = True) -> SafeString:
    """All of ``text``, escaped, with matching words in ``<mark>``."""
    return _render(text, 0, len(text), terms, prefix)


def snippet(text: str, terms: Sequence[str], *, size: int = 32, prefix: bool = True) -> SafeString:
    """About ``size`` words of ``text`` around the densest run of matches, escaped."""
    found = words(text)
    if not found:
        return mark_safe("")  # noqa: S308 - empty
    hits = [i for i, w in enumerate(found) if _matches(w.group(), terms, prefix)][:200]
    if hits:
        # The window that holds the most matches (the first such window).
        best, best_count = hits[0], 0
        for i in hits:
            count = sum(1 for j in hits if i <= j < i + size)
            if count > best_count:
                best, best_count = i, count
        first = max(0, best - size // 4)
    else:
        first = 0
    last = min(len(found), first + size) - 1
    start = found[first].start() if first else 0
    end = found[last].end() if last < len(found) - 1 else len(text)
    html = _render(text, start, end, terms, prefix)
    before = "… " if start > 0 else ""
    after = " …" if end < len(text) else ""
    return mark_safe(before + html + after)  # noqa: S308 - built from escaped parts


def _render(text: str, start: int, end: int, terms: Sequence[str], prefix: bool) -> SafeString:
    out: list[str] = []
    cursor = start
    for w in words(text[start:end]):
        if _matches(w.group(), terms, prefix):
            out.append(escape(text[cursor : start + w.start()]))
            out.append(f"<mark>{escape(w.group())}</mark>")
            cursor = start + w.end()
    out.append(escape(text[cursor:end]))
    return mark_safe("".join(out))  # noqa: S308 - built from escaped parts
