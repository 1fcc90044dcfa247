"""Support-like text in English, Hindi, Bengali, Greek and French for the benchmarks.

As in real text, the most frequent words are the language's function words ("the", "de",
"का", "και"...); after them come a few dozen real support words per language (the ones
customers search for) mixed with synthetic words built from each script's letters and
vowel signs. Frequencies follow a Zipf curve, so some content words are in a large share
of all texts and most are rare, as in real mail.
"""

from __future__ import annotations

import itertools
import random
from bisect import bisect
from functools import cache

import _setup  # noqa: F401

from sahayak.knowledge.search.stopwords import BY_LANGUAGE

REAL = {
    "en": "order delivery refund password account invoice payment parcel ticket cancel "
    "booking change address shipping return damaged missing late login email phone "
    "subscription discount coupon warranty repair size colour exchange tracking",
    "fr": "commande livraison remboursement mot passe compte facture paiement colis billet "
    "annuler réservation changer adresse expédition retour endommagé manquant retard "
    "connexion courriel téléphone abonnement réduction garantie réparation taille échange",
    "hi": "ऑर्डर डिलीवरी रिफ़ंड पासवर्ड खाता बिल भुगतान पार्सल टिकट रद्द बुकिंग बदलें पता "
    "शिपिंग वापसी क्षतिग्रस्त गुम देर लॉगिन ईमेल फ़ोन सदस्यता छूट कूपन वारंटी मरम्मत आकार",
    "bn": "অর্ডার ডেলিভারি রিফান্ড পাসওয়ার্ড অ্যাকাউন্ট বিল পেমেন্ট পার্সেল টিকিট বাতিল "
    "বুকিং পরিবর্তন ঠিকানা শিপিং ফেরত ক্ষতিগ্রস্ত হারানো দেরি লগইন ইমেল ফোন ছাড়",
    "el": "παραγγελία παράδοση επιστροφή κωδικός λογαριασμός τιμολόγιο πληρωμή δέμα "
    "εισιτήριο ακύρωση κράτηση αλλαγή διεύθυνση αποστολή κατεστραμμένο καθυστέρηση "
    "σύνδεση τηλέφωνο συνδρομή έκπτωση εγγύηση επισκευή μέγεθος ανταλλαγή",
}

_LETTERS = {
    "en": ("bcdfghjklmnprstvwz", "aeiou", ""),
    "fr": ("bcdfghjlmnprstv", "aeiouéèà", ""),
    "hi": ("कखगचजटडतदनपबमयरलवसह", "\u093e\u093f\u0940\u0941\u0942\u0947\u0948\u094b\u094c", "ं"),
    "bn": ("কখগচজটডতদনপবমযরলসহ", "\u09be\u09bf\u09c0\u09c1\u09c2\u09c7\u09c8\u09cb\u09cc", "ং"),
    "el": ("βγδζθκλμνξπρστφχ", "αεηιουωάέήίόύώ", "ς"),
}
LOCALES = list(REAL)
SYNTHETIC_WORDS = 20_000


def _synthetic(locale: str, rng: random.Random) -> str:
    consonants, vowels, ending = _LETTERS[locale]
    parts = [rng.choice(consonants) + rng.choice(vowels) for _ in range(rng.randint(2, 4))]
    if ending and rng.random() < 0.3:
        parts.append(ending)
    return "".join(parts)


@cache
def vocabulary(locale: str) -> tuple[list[str], list[float]]:
    """Words of ``locale``, most frequent first, with cumulative Zipf weights."""
    rng = random.Random(f"vocab-{locale}")
    words = REAL[locale].split()
    seen = set(words)
    while len(words) < len(REAL[locale].split()) + SYNTHETIC_WORDS:
        word = _synthetic(locale, rng)
        if word not in seen:
            seen.add(word)
            words.append(word)
    # Real words are spread over the content ranks, not all at the top.
    rng.shuffle(words)
    function_words = BY_LANGUAGE[locale].split()
    words = function_words + [w for w in words if w not in set(function_words)]
    weights = [1 / (rank + 5) for rank in range(len(words))]
    return words, list(itertools.accumulate(weights))


def text(locale: str, rng: random.Random, low: int, high: int) -> str:
    words, cumulative = vocabulary(locale)
    n = rng.randint(low, high)
    total = cumulative[-1]
    picked = [words[bisect(cumulative, rng.random() * total)] for _ in range(n)]
    return " ".join(picked).capitalize() + "."


def real_words(locale: str) -> list[str]:
    return REAL[locale].split()


def rare_words(locale: str, rng: random.Random, n: int) -> list[str]:
    words, _ = vocabulary(locale)
    return [rng.choice(words[len(words) // 2 :]) for _ in range(n)]


def frequent_words(locale: str, n: int = 20) -> list[str]:
    """The ``n`` most frequent content words (those right after the function words)."""
    words, _ = vocabulary(locale)
    first = len(BY_LANGUAGE[locale].split())
    return words[first : first + n]


def question(locale: str, rng: random.Random) -> str:
    """A customer's question: function words around two or three content words."""
    content = rng.sample(real_words(locale), 2) + [rng.choice(vocabulary(locale)[0][200:])]
    glue = BY_LANGUAGE[locale].split()
    words = [w for c in content for w in (rng.choice(glue), c)] + [rng.choice(glue)]
    return " ".join(words).capitalize() + "?"
