"""The answer bot: answers a new chat or messaging question with articles in the
customer's language, solves on "yes", hands over to a person on "no" or on request, and
counts each outcome for analytics."""

from __future__ import annotations

from typing import Any

import pytest

from sahayak.conversations.models import Direction, Status
from sahayak.conversations.pipeline import receive
from sahayak.knowledge.bot import classify
from sahayak.knowledge.models import SelfServiceEvent
from tests.conftest import inbound
from tests.factories import InboxFactory, make_article

pytestmark = pytest.mark.django_db


@pytest.fixture
def bot_inbox() -> Any:
    return InboxFactory(channel="api", config={"answer_bot": True})


@pytest.fixture
def articles() -> None:
    en = make_article("Reset your password", "Choose Forgot password on the sign-in page.")
    make_article(
        "पासवर्ड रीसेट करें", "साइन-इन पेज पर पासवर्ड भूल गए चुनें।", locale="hi", article=en.article
    )
    make_article("Delivery times", "Parcels arrive in 3 days.")


def ask(inbox: Any, text: str, capture: Any, **kw: Any) -> Any:
    kw.setdefault("thread_key", "visitor-1")  # as a chat or SMS sender threads
    with capture(execute=True):
        return receive(inbound(inbox, text=text, **kw))


def automatic(conversation: Any) -> list[str]:
    return list(
        conversation.messages.filter(direction=Direction.OUTBOUND)
        .order_by("id")
        .values_list("text", flat=True)
    )


def test_answers_in_the_customers_language_and_solves_on_yes(
    bot_inbox: Any, articles: None, django_capture_on_commit_callbacks: Any
) -> None:
    first = ask(
        bot_inbox, "मेरा पासवर्ड काम नहीं कर रहा, रीसेट कैसे करें?", django_capture_on_commit_callbacks
    )
    conversation = first.conversation
    (bot_message,) = automatic(conversation)
    assert "पासवर्ड रीसेट करें" in bot_message
    assert f"/help/hi/articles/{conversation.articles.get().pk}-" in bot_message
    assert "Reset your password" not in bot_message
    assert conversation.article_links.get().source == "bot"

    ask(bot_inbox, "हाँ, धन्यवाद", django_capture_on_commit_callbacks)
    conversation.refresh_from_db()
    assert conversation.status == Status.SOLVED
    assert SelfServiceEvent.counts() == {"bot_answered": 1, "bot_resolved": 1}
    assert len(automatic(conversation)) == 2


@pytest.mark.parametrize(
    ("reply", "reason"),
    [
        ("no", "did not solve"),
        ("I want a human agent", "asked for a person"),
        ("It says error 42", "wrote more"),
    ],
)
def test_hands_over_to_a_person(
    bot_inbox: Any, articles: None, django_capture_on_commit_callbacks: Any, reply: str, reason: str
) -> None:
    first = ask(bot_inbox, "How do I reset my password?", django_capture_on_commit_callbacks)
    ask(bot_inbox, reply, django_capture_on_commit_callbacks)
    conversation = first.conversation
    conversation.refresh_from_db()
    assert conversation.status != Status.SOLVED
    note = conversation.messages.get(direction=Direction.NOTE)
    assert reason in note.text
    assert SelfServiceEvent.counts() == {"bot_answered": 1, "bot_handover": 1}
    # The bot asks once: later messages are for the team.
    ask(bot_inbox, "hello?", django_capture_on_commit_callbacks)
    assert SelfServiceEvent.objects.count() == 2


def test_silent_without_articles_or_when_off(
    articles: None, django_capture_on_commit_callbacks: Any
) -> None:
    on = InboxFactory(channel="api", config={"answer_bot": True})
    result = ask(on, "Do you sell gift cards?", django_capture_on_commit_callbacks)
    assert automatic(result.conversation) == []
    off = InboxFactory(channel="api")
    result = ask(
        off,
        "How do I reset my password?",
        django_capture_on_commit_callbacks,
        sender_address="b@mail.example",
        thread_key="visitor-2",
    )
    assert automatic(result.conversation) == []
    assert SelfServiceEvent.objects.count() == 0


@pytest.mark.parametrize(
    ("text", "verdict"),
    [
        ("Yes!", "yes"),
        ("oui merci", "yes"),
        ("ναι", "yes"),
        ("হ্যাঁ", "yes"),
        ("Non", "no"),
        ("नहीं", "no"),
        ("όχι", "no"),
        ("Je veux un humain", "human"),
        ("perhaps later", ""),
    ],
)
def test_classifies_answers_in_every_language(text: str, verdict: str) -> None:
    assert classify(text) == verdict


def test_summary_counts_sessions_and_rates(db: Any) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from sahayak.knowledge.selfservice import summary

    article = make_article("A", "").article
    rows = [
        ("deflected", "s" * 20),
        ("deflected", "s" * 20),  # two articles read in one session: one deflection
        ("deflected", "t" * 20),
        ("submitted", "u" * 20),
        ("suggested_view", "v" * 20),
    ]
    for kind, session in rows:
        SelfServiceEvent.objects.create(kind=kind, session=session, article=article)
    SelfServiceEvent.objects.create(kind="bot_answered")
    SelfServiceEvent.objects.create(kind="bot_resolved")
    got = summary(timezone.now() - timedelta(days=30))
    assert (got.articles_read, got.deflected, got.submitted) == (5, 2, 1)
    assert got.deflection_rate == 2 / 3
    assert (got.bot_answered, got.bot_resolved, got.bot_resolution_rate) == (1, 1, 1.0)


def test_once_a_person_answers_the_bot_stops_listening(
    bot_inbox: Any, articles: None, django_capture_on_commit_callbacks: Any, admin: Any
) -> None:
    from sahayak.conversations.services import reply

    first = ask(bot_inbox, "How do I reset my password?", django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        reply(conversation=first.conversation, author=admin, text="I reset it for you.")
    ask(bot_inbox, "yes thanks", django_capture_on_commit_callbacks)
    first.conversation.refresh_from_db()
    assert first.conversation.status != Status.SOLVED
    assert SelfServiceEvent.counts() == {"bot_answered": 1}


def test_says_nothing_when_articles_share_only_fragments_or_a_word_or_two(
    django_capture_on_commit_callbacks: Any,
) -> None:
    make_article("Change your login email", "Open your profile and edit the email.")
    make_article("Order history", "Every order you placed, with its invoice.")
    inbox = InboxFactory(channel="api", config={"answer_bot": True})
    first = ask(inbox, "I cannot log in to the app", django_capture_on_commit_callbacks)
    assert automatic(first.conversation) == []  # "log" is only a fragment of "login"
    second = ask(
        inbox,
        "The courier broke the glass vase in my order, who pays for the damage?",
        django_capture_on_commit_callbacks,
        sender_address="b@mail.example",
        thread_key="visitor-2",
    )
    assert automatic(second.conversation) == []  # one shared word of seven


def test_the_bot_is_labelled_as_a_bot_and_links_are_absolute(
    bot_inbox: Any,
    articles: None,
    django_capture_on_commit_callbacks: Any,
    settings: Any,
    admin: Any,
    client: Any,
) -> None:
    settings.SAHAYAK_PUBLIC_URL = ""
    first = ask(bot_inbox, "How do I reset my password?", django_capture_on_commit_callbacks)
    (bot_message,) = automatic(first.conversation)
    assert "http://localhost:8000/help/en/articles/" in bot_message
    settings.SAHAYAK_PUBLIC_URL = "https://help.shop.example"
    second = ask(
        bot_inbox,
        "Reset password please",
        django_capture_on_commit_callbacks,
        sender_address="b@mail.example",
        thread_key="visitor-2",
    )
    assert "https://help.shop.example/help/en/articles/" in automatic(second.conversation)[0]
    client.force_login(admin)
    page = client.get(f"/c/{first.conversation.pk}/").content.decode()
    assert "Answer bot" in page


def test_a_customer_writing_hindi_in_latin_letters_is_answered_in_latin_letters(
    bot_inbox: Any, articles: None, django_capture_on_commit_callbacks: Any
) -> None:
    first = ask(
        bot_inbox, "mera password reset nahi ho raha, kya karun", django_capture_on_commit_callbacks
    )
    assert first.conversation.language == "hi"
    (bot_message,) = automatic(first.conversation)
    assert "These articles" not in bot_message  # Hindi...
    assert not any("\u0900" <= ch <= "\u097f" for ch in bot_message)  # ...in Latin letters
    assert "Reset your password" in bot_message
    ask(bot_inbox, "haan, dhanyavad", django_capture_on_commit_callbacks)
    first.conversation.refresh_from_db()
    assert first.conversation.status == Status.SOLVED
