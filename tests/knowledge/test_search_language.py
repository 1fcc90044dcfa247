"""Language-aware search: inflected forms find each other in English, French, Greek, Hindi
and Bengali (articles and messages); one- and two-letter terms match only themselves.
Runs on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest

from sahayak.conversations.pipeline import receive
from sahayak.knowledge import search
from sahayak.knowledge.search.stemming import stems
from tests.conftest import inbound
from tests.factories import make_article

pytestmark = pytest.mark.django_db


def titles(query: str, **kwargs: Any) -> list[str]:
    return [r.translation.title for r in search.search_articles(query, **kwargs)]


INFLECTED = [
    # (article title, its language, a query in another form of the same word)
    ("Refund policy", "en", "refunds"),
    ("Refund policy", "en", "refunded"),
    ("Delivery times", "en", "deliveries"),
    ("Votre facture", "fr", "factures"),
    ("Remboursement rapide", "fr", "rembourser"),
    ("Η παραγγελία σας", "el", "παραγγελίες"),
    ("Επιστροφή χρημάτων", "el", "επιστροφές"),
    ("ऑर्डर की स्थिति", "hi", "ऑर्डरों"),
    ("অর্ডার বাতিল", "bn", "অর্ডারের"),
]


@pytest.mark.parametrize(("title", "locale", "query"), INFLECTED)
def test_an_inflected_query_finds_the_base_form(title: str, locale: str, query: str) -> None:
    make_article(title, "", locale=locale)
    make_article("Unrelated", "Opening hours of the shop.")
    assert titles(query) == [title]


def test_the_base_form_finds_inflected_documents() -> None:
    make_article("Deliveries in winter", "")
    make_article("Οι παραγγελίες σας", "", locale="el")
    make_article("অর্ডারের অবস্থা", "", locale="bn")
    assert titles("delivery") == ["Deliveries in winter"]
    assert titles("παραγγελία") == ["Οι παραγγελίες σας"]
    assert titles("অর্ডার") == ["অর্ডারের অবস্থা"]


def test_messages_are_found_by_inflected_forms(
    admin: Any, api_inbox: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        receive(inbound(api_inbox, text="I want my money back, the item was refunded twice?"))
        receive(inbound(api_inbox, text="मेरे ऑर्डरों का क्या हुआ?", sender_address="p@mail.example"))
    found = {r.message.text for r in search.search_messages("refund", user=admin)}
    assert found == {"I want my money back, the item was refunded twice?"}
    found = {r.message.text for r in search.search_messages("ऑर्डर", user=admin)}
    assert found == {"मेरे ऑर्डरों का क्या हुआ?"}


def test_one_and_two_letter_terms_are_not_prefixes() -> None:
    make_article("Cancel an order", "Orders can be cancelled within 24 hours.")
    make_article("Plan C", "The third plan, for 2 people.")
    assert titles("c") == ["Plan C"]
    assert titles("2") == ["Plan C"]
    assert titles("24") == ["Cancel an order"]
    assert titles("can") == ["Cancel an order"]  # three letters: a prefix again


def test_stems_stay_within_the_word_s_script_and_length() -> None:
    assert stems("refunds") == ["refund"]
    assert stems("ऑर्डरों") == ["ऑर्डर"]
    assert stems("অর্ডারের") == ["অর্ডার"]
    assert stems("2024") == [] and stems("the") == []


def test_a_misspelt_query_finds_what_it_meant_when_nothing_matches() -> None:
    make_article("Refund policy", "How money comes back to you.")
    make_article("Παράδοση", "Χρόνοι παράδοσης.", locale="el")
    assert titles("refnd") == ["Refund policy"]
    assert titles("polcy refnd") == ["Refund policy"]
    assert titles("παραδοσ") == ["Παράδοση"]  # a prefix still matches as it is
    assert titles("παράδση") == ["Παράδοση"]
    assert titles("xyzzy") == []


def test_message_words_are_learnt_in_the_background_for_corrections(
    admin: Any, api_inbox: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from sahayak.knowledge.search.vocabulary import learn_from_messages

    with django_capture_on_commit_callbacks(execute=True):
        receive(inbound(api_inbox, text="The courier left the parcel at the wrong address"))
    assert search.search_messages("courrier", user=admin) == []  # not learnt yet
    assert learn_from_messages() == 1
    assert learn_from_messages() == 0  # each message is read once
    found = search.search_messages("courrier", user=admin)
    assert [r.message.text for r in found] == ["The courier left the parcel at the wrong address"]
