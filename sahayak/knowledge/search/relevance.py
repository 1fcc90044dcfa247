"""Does an article really answer a question? A check that does not trust the index's score.

The index matches prefixes ("log" finds "login"), so a question can find an article that
shares only a fragment of a word with it. Where a wrong answer is worse than none (the
answer bot speaks for the team), an article must contain enough of the question's content
words as whole words or by their stems.
"""

from __future__ import annotations

from dataclasses import dataclass

from .stemming import stems
from .stopwords import content_terms
from .text import query_terms, terms


@dataclass(frozen=True)
class Coverage:
    matched: int
    wanted: int

    def at_least(self, share: float) -> bool:
        """At least ``share`` of the content words, and two of them when there are two."""
        if self.wanted == 0:
            return False
        return self.matched >= min(2, self.wanted) and self.matched >= share * self.wanted


def coverage(question: str, text: str, language: str = "") -> Coverage:
    wanted = [t for t in content_terms(query_terms(question)) if len(t) > 1]
    have = set(terms(text))
    have |= {s for word in have for s in stems(word, language)}
    matched = sum(1 for t in wanted if t in have or any(s in have for s in stems(t, language)))
    return Coverage(matched, len(wanted))
