"""Informal romanisation of Hindi (Devanagari) and Bengali (Bengali script): the way people
type them on a Latin keyboard ("मेरा ऑर्डर कब आएगा" -> "mera order kab aayega"), not a
scholarly transliteration. Used to train the romanised-language classifier (``romanised``)
and able to show Indic text to a customer who writes in Latin letters.

Simplified on purpose: the inherent vowel is written after a consonant except at the end of
a word (schwa deletion, right far more often than wrong in informal writing).
"""

from __future__ import annotations

import re
import unicodedata

_DEVANAGARI_VOWELS = {
    "अ": "a", "आ": "aa", "इ": "i", "ई": "ee", "उ": "u", "ऊ": "oo", "ऋ": "ri", "ए": "e",
    "ऐ": "ai", "ओ": "o", "औ": "au", "ऑ": "o", "ऍ": "e",
}  # fmt: skip
_DEVANAGARI_SIGNS = {
    "ा": "aa", "ि": "i", "ी": "ee", "ु": "u", "ू": "oo", "ृ": "ri", "े": "e", "ै": "ai",
    "ो": "o", "ौ": "au", "ॉ": "o", "ॅ": "e",
}  # fmt: skip
_DEVANAGARI_CONSONANTS = {
    "क": "k", "ख": "kh", "ग": "g", "घ": "gh", "ङ": "n", "च": "ch", "छ": "chh", "ज": "j",
    "झ": "jh", "ञ": "n", "ट": "t", "ठ": "th", "ड": "d", "ढ": "dh", "ण": "n", "त": "t",
    "थ": "th", "द": "d", "ध": "dh", "न": "n", "प": "p", "फ": "ph", "ब": "b", "भ": "bh",
    "म": "m", "य": "y", "र": "r", "ल": "l", "व": "v", "श": "sh", "ष": "sh", "स": "s",
    "ह": "h", "क़": "q", "ख़": "kh", "ग़": "g", "ज़": "z", "ड़": "r", "ढ़": "rh", "फ़": "f",
    "य़": "y",
}  # fmt: skip
_DEVANAGARI_MARKS = {"ं": "n", "ँ": "n", "ः": "h", "्": "", "़": ""}

_BENGALI_VOWELS = {
    "অ": "o", "আ": "a", "ই": "i", "ঈ": "i", "উ": "u", "ঊ": "u", "ঋ": "ri", "এ": "e",
    "ঐ": "oi", "ও": "o", "ঔ": "ou",
}  # fmt: skip
_BENGALI_SIGNS = {
    "া": "a", "ি": "i", "ী": "i", "ু": "u", "ূ": "u", "ৃ": "ri", "ে": "e", "ৈ": "oi",
    "ো": "o", "ৌ": "ou",
}  # fmt: skip
_BENGALI_CONSONANTS = {
    "ক": "k", "খ": "kh", "গ": "g", "ঘ": "gh", "ঙ": "ng", "চ": "ch", "ছ": "chh", "জ": "j",
    "ঝ": "jh", "ঞ": "n", "ট": "t", "ঠ": "th", "ড": "d", "ঢ": "dh", "ণ": "n", "ত": "t",
    "থ": "th", "দ": "d", "ধ": "dh", "ন": "n", "প": "p", "ফ": "f", "ব": "b", "ভ": "bh",
    "ম": "m", "য": "j", "র": "r", "ল": "l", "শ": "sh", "ষ": "sh", "স": "s", "হ": "h",
    "ড়": "r", "ঢ়": "rh", "য়": "y", "ৎ": "t",
}  # fmt: skip
_BENGALI_MARKS = {"ং": "ng", "ঁ": "n", "ঃ": "h", "্": "", "়": ""}


def _nfd(table: dict[str, str]) -> dict[str, str]:
    return {unicodedata.normalize("NFD", k): v for k, v in table.items()}


_DEVANAGARI_VOWELS, _DEVANAGARI_SIGNS, _DEVANAGARI_CONSONANTS = (
    _nfd(_DEVANAGARI_VOWELS),
    _nfd(_DEVANAGARI_SIGNS),
    _nfd(_DEVANAGARI_CONSONANTS),
)
_BENGALI_VOWELS, _BENGALI_SIGNS, _BENGALI_CONSONANTS = (
    _nfd(_BENGALI_VOWELS),
    _nfd(_BENGALI_SIGNS),
    _nfd(_BENGALI_CONSONANTS),
)

_SCRIPTS = {
    "hi": (_DEVANAGARI_VOWELS, _DEVANAGARI_SIGNS, _DEVANAGARI_CONSONANTS, _DEVANAGARI_MARKS, "a"),
    "bn": (_BENGALI_VOWELS, _BENGALI_SIGNS, _BENGALI_CONSONANTS, _BENGALI_MARKS, "o"),
}
_VIRAMA = {"्", "্"}
_NASALS = {"ं", "ँ", "ং", "ঁ"}  # a nasal after a consonant still follows its vowel


def _letters(text: str, tables: tuple[dict[str, str], ...]) -> list[str]:
    """The text's letters, a consonant with its nukta (ड़, য়) and a two-part vowel sign (ো)
    as one: Unicode decomposes those, and mail and word lists hold both forms."""
    out: list[str] = []
    for ch in unicodedata.normalize("NFD", text):
        if out and any(out[-1] + ch in table for table in tables):
            out[-1] += ch
        else:
            out.append(ch)
    return out


def romanise(text: str, language: str, *, informal: bool = True) -> str:
    """``text`` in Latin letters as typed informally; characters of other scripts kept.
    ``informal=False`` keeps every inherent vowel and long ending (closer to the letters)."""
    vowels, signs, consonants, marks, inherent = _SCRIPTS[language]
    out: list[str] = []
    chars = _letters(text, (consonants, signs, vowels))
    voiced = False  # whether the letter before this one carries a vowel
    for index, ch in enumerate(chars):
        following = chars[index + 1] if index + 1 < len(chars) else ""
        after = chars[index + 2] if index + 2 < len(chars) else ""
        if ch in consonants:
            out.append(consonants[ch])
            # The inherent vowel, unless a sign, a virama or the end of the word follows.
            ends_word = not following or not (
                following in vowels
                or following in signs
                or following in consonants
                or following in marks
            )
            spoken = following not in marks or following in _NASALS
            # Hindi drops it between a voiced syllable and a consonant with its own vowel
            # (आपके -> aapke, करने -> karne, सकते -> sakte).
            dropped = (
                informal
                and language == "hi"
                and voiced
                and following in consonants
                and after in signs
            )
            silent = following in signs or following in _VIRAMA or ends_word or not spoken
            if not silent and not dropped:
                out.append(inherent)
            voiced = following in signs or not dropped
        elif ch in signs:
            out.append(signs[ch])
            voiced = True
        elif ch in vowels:
            out.append(vowels[ch])
            voiced = True
        elif ch in marks:
            out.append(marks[ch])
        else:
            out.append(_PUNCTUATION.get(ch, ch))
            voiced = False
    written = "".join(out)
    if not informal or language != "hi":
        return written
    return _INFORMAL_ENDINGS.sub(lambda m: _SHORT[m.group(1)], written)


# Word-final long vowels are written short: kyaa -> kya, gayaa -> gaya, hee -> hi.
_INFORMAL_ENDINGS = re.compile(r"(aa|ee)(?![a-z])")
_SHORT = {"aa": "a", "ee": "i"}
_PUNCTUATION = {"।": ".", "॥": "."}


def in_customer_script(text: str, language: str, customer_text: str) -> str:
    """``text`` (in ``language``) in Latin letters when the customer writes that language
    in Latin letters ("mera order kab aayega"), else unchanged."""
    if language not in _SCRIPTS:
        return text
    from sahayak.conversations.text import is_romanised

    return romanise(text, language) if is_romanised(customer_text) else text
