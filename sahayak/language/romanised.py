"""Is a message written in Hindi or Bengali with Latin letters ("mera order kab aayega",
"amar order kobe asbe")? A general detector reads those as English or French.

A naive Bayes classifier over character n-grams, trained on English and French word lists
and on Hindi and Bengali word lists romanised the way people type (see
``scripts/train_romanised.py``); the model ships in ``data/romanised.json``.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

MODEL = Path(__file__).resolve().parent / "data" / "romanised.json"
_WORD = re.compile(r"[a-z]+")
MIN_WORDS = 2
MAX_WORDS = 40  # enough to tell; a long text costs no more


def grams(word: str) -> list[str]:
    """Character 1- to 4-grams of a word, with its start and end marked."""
    padded = f" {word} "
    return [padded[i : i + n] for n in range(1, 5) for i in range(len(padded) - n + 1)]


@dataclass(frozen=True)
class Guess:
    language: str  # en, fr, hi or bn
    probability: float
    words: int


@cache
def _model() -> tuple[list[str], list[float], dict[str, list[float]]]:
    data = json.loads(MODEL.read_text(encoding="utf-8"))
    return data["classes"], data["unseen"], data["grams"]


def guess(text: str) -> Guess | None:
    """The likeliest of English, French, romanised Hindi and romanised Bengali for the
    Latin-letter words of ``text``; None with fewer than two such words."""
    words = _WORD.findall(text.lower())[:MAX_WORDS]
    if len(words) < MIN_WORDS:
        return None
    classes, unseen, table = _model()
    rows = [table.get(gram, unseen) for word in words for gram in grams(word)]
    # Summed per class (zip and sum run in C), then per word, so that long texts do not
    # turn every difference into certainty.
    scores = [sum(column) / len(words) for column in zip(*rows, strict=True)]
    top = max(scores)
    weights = [math.exp(s - top) for s in scores]
    best = max(range(len(classes)), key=lambda i: scores[i])
    return Guess(classes[best], weights[best] / sum(weights), len(words))
