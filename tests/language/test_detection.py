"""Language detection answers in the language the customer used: romanised Hindi and
Bengali are recognised as such (not as English or French), and a message too short or
too ambiguous to tell falls back to the customer's language or the inbox's default."""

from __future__ import annotations

from typing import Any

import pytest

from sahayak.conversations.pipeline import receive
from sahayak.conversations.text import detect_language
from sahayak.language.romanise import romanise
from sahayak.language.romanised import guess
from tests.conftest import inbound
from tests.factories import InboxFactory

HINGLISH = [
    "mera order kab aayega",
    "mujhe refund chahiye jaldi",
    "bhai mera paisa wapas karo",
    "kya aap meri madad kar sakte hain",
    "order kab tak aayega bhai",
    "mera naam Asha hai aur mera parcel nahi aaya",
]
BANGLISH = ["amar order kobe asbe", "ami taka ferot chai", "amar parcel ekhono ashe ni"]
OTHERS = {
    "where is my order": "en",
    "My parcel has not arrived yet, can you check?": "en",
    "Please cancel my subscription": "en",
    "ou est ma commande": "fr",
    "Bonjour, la facture est fausse": "fr",
    "je veux un remboursement": "fr",
}


@pytest.mark.parametrize("text", HINGLISH)
def test_romanised_hindi_is_hindi(text: str) -> None:
    assert detect_language(text) == "hi"


@pytest.mark.parametrize("text", BANGLISH)
def test_romanised_bengali_is_bengali(text: str) -> None:
    assert detect_language(text) == "bn"


@pytest.mark.parametrize(("text", "language"), OTHERS.items())
def test_english_and_french_stay_what_they_are(text: str, language: str) -> None:
    assert detect_language(text) == language


def test_too_little_to_tell_is_no_language() -> None:
    assert detect_language("ok") == ""
    assert detect_language("Hi") == ""
    assert guess("hello") is None  # one word: the classifier does not guess


def test_romanisation_writes_as_people_type() -> None:
    assert romanise("मेरा ऑर्डर कब आएगा", "hi") == "mera ordar kab aaega"
    assert romanise("आपके सवाल का जवाब", "hi") == "aapke savaal ka javaab"  # schwa dropped
    assert romanise("কোথায় আছে", "bn") == "kothay achhe"  # decomposed vowel signs too


@pytest.mark.django_db
def test_a_hinglish_customer_gets_hindi_and_an_unclear_one_the_inbox_language() -> None:
    inbox = InboxFactory(channel="api", config={"language": "bn"})
    first = receive(inbound(inbox, text="mera order kab aayega", thread_key="a"))
    assert first.conversation.language == "hi" and first.contact.locale == "hi"
    unclear = receive(inbound(inbox, text="ok", sender_address="b@mail.example", thread_key="b"))
    assert unclear.conversation.language == "bn"
    assert unclear.contact.locale == ""  # the inbox's default is not the customer's language


def test_the_model_file_is_loaded_and_small() -> None:
    from sahayak.language.romanised import MODEL

    assert MODEL.stat().st_size < 1_000_000


@pytest.fixture(autouse=True)
def _all_languages(settings: Any) -> None:
    settings.SAHAYAK_DETECT_LANGUAGES = ["en", "hi", "bn", "el", "fr"]
