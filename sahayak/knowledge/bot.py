"""The answer bot for chat and messaging inboxes (``"answer_bot": true`` in the inbox config,
which the default "Answer bot" automation rule looks at).

A new conversation's first message is answered with the best published articles in the
customer's language and the question "did this solve it?". A yes solves the conversation
(counted as a bot resolution); a no, a request for a person, or anything else hands it over
to the team, with a note saying so. Every step is a ``SelfServiceEvent`` for analytics.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from sahayak.conversations import channels
from sahayak.conversations import services as conversations
from sahayak.conversations.models import Conversation, Direction, Message, Status
from sahayak.conversations.text import html_to_text
from sahayak.language.romanise import in_customer_script
from sahayak.site import public_url

from . import help_center
from .articles import link_conversation
from .models import ArticleTranslation, LinkSource, SelfService, SelfServiceEvent
from .search.relevance import coverage
from .search.text import terms

log = logging.getLogger(__name__)

MAX_ARTICLES = 3

# Folded words (see search.text.fold) meaning yes / no / "a person, please".
YES = {
    "yes", "y", "yep", "yeah", "solved", "thanks", "thank", "ok", "oui", "merci", "resolu",
    "हाँ", "हां", "जी", "धन्यवाद", "হ্যাঁ", "হ্যা", "ধন্যবাদ", "ναι", "ευχαριστω",
    # Hindi and Bengali typed in Latin letters
    "haan", "han", "haa", "ji", "dhanyavad", "dhanyawad", "shukriya", "hyan", "dhonnobad",
}  # fmt: skip
NO = {
    "no", "n", "nope", "not", "non", "pas", "नहीं", "नही", "না", "οχι", "δεν",
    "nahi", "nahin", "nai", "na",
}  # fmt: skip
HUMAN = {
    "agent", "human", "person", "someone", "operator", "humain", "conseiller", "personne",
    "इंसान", "व्यक्ति", "एजेंट", "মানুষ", "এজেন্ট", "ανθρωπος", "υπαλληλος", "εκπροσωπος",
    "insaan", "insan", "vyakti", "manush",
}  # fmt: skip


def can_answer(conversation: Conversation) -> bool:
    """Whether the bot can hold a conversation on this channel (a live, messaging one)."""
    try:
        return channels.get_channel(conversation.channel).capabilities.messaging
    except channels.UnknownChannel:
        return False


def _awaiting(conversation: Conversation) -> SelfServiceEvent | None:
    """The bot's open question on this conversation, if it is still waiting for an answer."""
    last = (
        SelfServiceEvent.objects.filter(
            conversation=conversation,
            kind__in=[SelfService.BOT_ANSWERED, SelfService.BOT_RESOLVED, SelfService.BOT_HANDOVER],
        )
        .order_by("-id")
        .first()
    )
    if last is None or last.kind != SelfService.BOT_ANSWERED:
        return None
    # A person already took over (answered after the bot): the customer talks to them now.
    taken_over = conversation.messages.filter(
        direction=Direction.OUTBOUND, author_user__isnull=False, created_at__gt=last.created_at
    ).exists()
    return None if taken_over else last


def _answers(question: str, translation: ArticleTranslation) -> bool:
    """Whether the article holds enough of the question's words (see search.relevance)."""
    text = f"{translation.title}\n{translation.summary}\n{html_to_text(translation.body_html)}"
    found = coverage(question, text, translation.locale)
    return found.at_least(settings.SAHAYAK_BOT_MIN_COVERAGE)


def on_message(conversation: Conversation, message: Message, created: bool) -> None:
    """Take the customer's answer to the bot's question (called after the message is stored
    and committed). The bot's first answer is an automation rule's action (the "Answer
    bot" rule shipped by default), not started here."""
    if message.direction != Direction.INBOUND or created or not can_answer(conversation):
        return
    pending = _awaiting(conversation)
    if pending is not None:
        follow_up(conversation, message)


def answer(conversation: Conversation, message: Message) -> bool:
    """Send the best articles for the first question; False when none fits."""
    locale = help_center.conversation_locale(conversation)
    query = f"{conversation.subject} {message.text}"[:500]
    found = help_center.articles_in_language(query, locale, limit=MAX_ARTICLES * 3)
    results = [r for r in found if _answers(query, r.translation)][:MAX_ARTICLES]
    if not results:
        return False  # nothing that fits: silence beats a wrong answer
    lines = []
    for r in results:
        t = r.translation
        url = public_url(t.get_absolute_url())
        lines.append(f"• {t.title}\n  {url}")
    with translation.override(locale):
        text = "\n".join(
            [
                _("These articles may answer your question:"),
                *lines,
                "",
                _("Did this solve it? Reply yes or no. Write “agent” to talk to a person."),
            ]
        )
    text = in_customer_script(text, locale, message.text)
    with transaction.atomic():
        conversations.send_automatic(conversation=conversation, text=text, kind="answer_bot")
        for r in results:
            link_conversation(
                article=r.translation.article,
                conversation=conversation,
                user=None,
                locale=r.translation.locale,
                source=LinkSource.BOT,
            )
        SelfServiceEvent.objects.create(
            kind=SelfService.BOT_ANSWERED,
            conversation=conversation,
            article=results[0].translation.article,
            channel=conversation.channel,
            locale=locale,
            query=query[:300],
        )
    return True


def classify(text: str) -> str:
    """ "yes", "no" or "human" for a reply to the bot's question ("" when unclear)."""
    words = set(terms(text[:200]))
    if words & HUMAN:
        return "human"
    if words & NO:
        return "no"
    if words & YES:
        return "yes"
    return ""


def follow_up(conversation: Conversation, message: Message) -> None:
    verdict = classify(message.text)
    locale = help_center.conversation_locale(conversation)
    with transaction.atomic(), translation.override(locale):
        if verdict == "yes":
            conversations.send_automatic(
                conversation=conversation,
                text=in_customer_script(
                    _("Glad it helped! Write again any time."), locale, message.text
                ),
                kind="answer_bot",
            )
            conversations.set_status(conversation=conversation, status=Status.SOLVED, actor=None)
            kind = SelfService.BOT_RESOLVED
        else:
            conversations.send_automatic(
                conversation=conversation,
                text=in_customer_script(
                    _("Thank you. A member of our team will answer you here shortly."),
                    locale,
                    message.text,
                ),
                kind="answer_bot",
            )
            reason = {
                "no": _("the articles did not solve it"),
                "human": _("the customer asked for a person"),
            }.get(verdict, _("the customer wrote more"))
            conversations.add_system_note(
                conversation=conversation,
                text=_("The answer bot handed this conversation over: %(reason)s.")
                % {"reason": reason},
                kind="answer_bot",
            )
            kind = SelfService.BOT_HANDOVER
        SelfServiceEvent.objects.create(
            kind=kind, conversation=conversation, channel=conversation.channel, locale=locale
        )
