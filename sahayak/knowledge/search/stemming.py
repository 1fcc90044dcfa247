"""Word stems, so that "refunds" finds "refund", "factures" finds "facture", "ऑर्डरों" finds
"ऑर्डर", "অর্ডারের" finds "অর্ডার" and "παραγγελίες" finds "παραγγελία".

English, French, Greek and Hindi use the Snowball stemmers (Hindi's is the light stemmer
of Ramanathan and Rao); Bengali, which Snowball lacks, uses a light stemmer that strips
the inflectional suffixes of nouns (case, number, classifiers), after the light stemmers
published for Bengali retrieval (Dolamic and Savoy). Stems are computed on folded words
(see ``text.fold``) and used as prefixes, which also absorbs the few places where a
stemmer treats two forms of a word differently.

A word's language is told by its script; Latin script is English or French, the
document's or query's language when known, both otherwise.
"""

from __future__ import annotations

from functools import cache, lru_cache

import snowballstemmer

MIN_STEM = 3  # shorter stems would match far too much as prefixes

_SNOWBALL = {"en": "english", "fr": "french", "el": "greek", "hi": "hindi"}
LATIN_LANGUAGES = ("en", "fr")

# Longest first. Case endings, plural and classifier suffixes of Bengali nouns.
_BENGALI_SUFFIXES = sorted(
    [
        "গুলোকে",
        "গুলিকে",
        "গুলোর",
        "গুলির",
        "গুলোতে",
        "গুলো",
        "গুলি",
        "দেরকে",
        "দের",
        "খানা",
        "খানি",
        "েরা",
        "টিকে",
        "টাকে",
        "টির",
        "টার",
        "টিতে",
        "টি",
        "টা",
        "েতে",
        "তে",
        "কে",
        "রা",
        "ের",
        "য়ের",
        "য়",
        "র",
        "ে",
    ],
    key=len,
    reverse=True,
)


@cache
def _stemmer(language: str) -> snowballstemmer.stemmer:  # type: ignore[name-defined]
    return snowballstemmer.stemmer(_SNOWBALL[language])


def _bengali(word: str) -> str:
    for suffix in _BENGALI_SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= MIN_STEM:
            return word[: -len(suffix)]
    return word


def script_languages(word: str) -> tuple[str, ...]:
    """The languages a word may be in, by the script of its first letter."""
    for ch in word:
        code = ord(ch)
        if 0x0900 <= code <= 0x097F:
            return ("hi",)
        if 0x0980 <= code <= 0x09FF:
            return ("bn",)
        if 0x0370 <= code <= 0x03FF or 0x1F00 <= code <= 0x1FFF:
            return ("el",)
        if ch.isalpha():
            return LATIN_LANGUAGES if code < 0x0250 else ()
    return ()


@lru_cache(maxsize=200_000)
def stem(word: str, language: str) -> str:
    """(Cached: words repeat far more than they vary, and Snowball is pure Python.)"""
    if language == "bn":
        return _bengali(word)
    if language in _SNOWBALL:
        return str(_stemmer(language).stemWord(word))
    return word


def stems(word: str, language: str = "") -> list[str]:
    """The stems of a folded word other than the word itself (none for short words,
    numbers and scripts without a stemmer). ``language`` narrows Latin script."""
    if len(word) <= MIN_STEM:
        return []
    candidates = script_languages(word)
    if language in candidates:
        candidates = (language,)
    found = {stem(word, lang) for lang in candidates}
    return sorted(s for s in found if s != word and len(s) >= MIN_STEM)
