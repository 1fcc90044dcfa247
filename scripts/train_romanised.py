"""Train the romanised-language classifier shipped in sahayak/language/data/.

    .venv/bin/pip install wordfreq==3.1.1   # word lists; needed only to train
    .venv/bin/python scripts/train_romanised.py

Classes: English and French as written, and Hindi and Bengali in Latin letters. The Hindi
and Bengali word lists are romanised the way people type (``sahayak.language.romanise``),
with the spellings that vary in practice ("meraa"/"mera", "kyaa"/"kya", "v"/"w"). Each
class is a distribution of character 1- to 4-grams of its words, weighted by the square
root of each word's frequency; the model keeps the most frequent n-grams of each class
and their log-probabilities (multinomial naive Bayes with add-one smoothing).

Word lists: wordfreq (code Apache-2.0, data CC BY-SA 4.0: Wikipedia, subtitles, books,
web text); the model is derived data under CC BY-SA 4.0 (see the data folder's README).
"""

from __future__ import annotations

import json
import math
import sys
from collections import Counter
from pathlib import Path

from wordfreq import top_n_list, word_frequency

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from sahayak.language.romanise import romanise  # noqa: E402
from sahayak.language.romanised import grams  # noqa: E402

WORDS = 30000
KEEP = 6000
OUT = Path(__file__).resolve().parents[1] / "sahayak" / "language" / "data" / "romanised.json"


def spellings(word: str) -> list[str]:
    """The ways one romanised word is commonly typed."""
    forms = {word}
    for a, b in (("aa", "a"), ("ee", "i"), ("oo", "u"), ("v", "w"), ("ph", "f"), ("chh", "ch")):
        forms |= {f.replace(a, b) for f in forms}
    return sorted(forms)


def counts(language: str) -> Counter[str]:
    found: Counter[str] = Counter()
    for word in top_n_list(language, WORDS):
        weight = math.sqrt(word_frequency(word, language) * 1e6)
        if language in ("hi", "bn"):
            forms = sorted(
                set(spellings(romanise(word, language).lower()))
                | set(spellings(romanise(word, language, informal=False).lower()))
            )
        else:
            forms = [word.lower()]
        for form in forms:
            if not form.isascii() or not form.isalpha():
                continue
            for gram in grams(form):
                found[gram] += weight / len(forms)
    return found


def main() -> None:
    classes = ["en", "fr", "hi", "bn"]
    tables = {c: counts(c) for c in classes}
    kept = set()
    for table in tables.values():
        kept |= {g for g, _n in table.most_common(KEEP)}
    vocabulary = len(kept) + 1
    model: dict[str, object] = {"classes": classes, "unseen": [], "grams": {}}
    unseen = []
    logp: dict[str, list[float]] = {g: [] for g in sorted(kept)}
    for c in classes:
        total = sum(tables[c][g] for g in kept) + vocabulary
        unseen.append(round(math.log(1 / total), 3))
        for g in logp:
            logp[g].append(round(math.log((tables[c][g] + 1) / total), 3))
    model["unseen"] = unseen
    model["grams"] = logp
    OUT.write_text(json.dumps(model, ensure_ascii=False, separators=(",", ":")))
    print(f"{len(logp)} n-grams, {OUT.stat().st_size:,} bytes -> {OUT}")


if __name__ == "__main__":
    main()
