"""One search interface for articles and messages, whatever the database.

Queries match every word, each as a prefix from three letters on (``pass`` finds
``password``; ``c`` or ``2`` only themselves) or by its stem (``refunds`` finds
``refunded``, see ``stemming``); when that finds nothing, a query of several words is retried matching any of them, best first, so a
question typed in full ("how do I cancel my ticket") still finds the article about it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Min, QuerySet
from django.utils.safestring import SafeString

from sahayak.accounts.models import User
from sahayak.conversations.models import Message
from sahayak.conversations.permissions import hidden_team_ids
from sahayak.conversations.text import html_to_text

from ..models import ArticleTranslation
from . import vocabulary
from .backends import ArticleFilter, Group, Hit, MessageFilter, backend
from .snippets import highlight, snippet
from .stemming import stems
from .stopwords import content_terms
from .text import MIN_PREFIX, document, query_terms

BATCH = 2000


@dataclass(frozen=True)
class ArticleResult:
    translation: ArticleTranslation
    score: float
    title_html: SafeString
    snippet_html: SafeString


@dataclass(frozen=True)
class MessageResult:
    message: Message
    score: float
    snippet_html: SafeString


def _groups(terms: list[str], language: str) -> list[Group]:
    """Each term with its stems; short terms match only themselves. A stem that begins
    the term covers it as a prefix, so the term itself is left out (one alternative
    fewer for the engine)."""
    groups: list[Group] = []
    for term in terms:
        found = stems(term, language)
        covered = any(term.startswith(s) for s in found)
        own = () if covered else ((term, len(term) >= MIN_PREFIX),)
        groups.append((*own, *((s, True) for s in found)))
    return groups


def _marked(terms: list[str], language: str) -> list[str]:
    """What to highlight: the terms and their stems."""
    return list(dict.fromkeys(w for g in _groups(terms, language) for w, _prefix in g))


def _run(
    query: str,
    search: Callable[..., list[Hit]],
    limit: int,
    any_term: bool,
    language: str = "",
) -> tuple[list[Hit], list[str]]:
    """All words first (unless ``any_term``), then any word but function words; when both
    find nothing, once more with misspelt terms corrected.

    Returns the hits and the words they matched on (for highlighting).
    """
    terms = query_terms(query)
    hits, marked = _attempt(terms, search, limit, any_term, language)
    if hits or not terms:
        return hits, marked
    corrected = [vocabulary.correct(t) or t for t in terms]
    if corrected == terms:
        return hits, marked
    return _attempt(list(dict.fromkeys(corrected)), search, limit, any_term, language)


def _attempt(
    terms: list[str],
    search: Callable[..., list[Hit]],
    limit: int,
    any_term: bool,
    language: str,
) -> tuple[list[Hit], list[str]]:
    if not terms:
        return [], []
    if not any_term:
        hits = search(_groups(terms, language), any_term=False, limit=limit)
        if hits or len(terms) == 1:
            return hits, _marked(terms, language)
    terms = content_terms(terms)
    return search(_groups(terms, language), any_term=True, limit=limit), _marked(terms, language)


def search_articles(
    query: str,
    *,
    locales: Sequence[str] = (),
    public_only: bool = True,
    published_only: bool = True,
    limit: int = 10,
    any_term: bool = False,
) -> list[ArticleResult]:
    """Articles matching ``query``, best first, with highlighted titles and snippets.

    ``public_only``/``published_only`` are what the help center passes; agents see
    internal articles and drafts with both off.
    """
    flt = ArticleFilter(
        locales=tuple(locales), public_only=public_only, published_only=published_only
    )
    engine = backend()
    language = locales[0] if len(locales) == 1 else ""
    hits, terms = _run(
        query, lambda g, **kw: engine.search_articles(g, flt, **kw), limit, any_term, language
    )
    if not hits:
        return []
    rows = ArticleTranslation.objects.select_related("article", "article__section").in_bulk(
        [h.id for h in hits]
    )
    results = []
    for hit in hits:
        translation = rows.get(hit.id)
        if translation is None:
            continue
        text = html_to_text(translation.body_html)
        results.append(
            ArticleResult(
                translation=translation,
                score=hit.score,
                title_html=highlight(translation.title, terms),
                snippet_html=snippet(translation.summary + "\n" + text, terms),
            )
        )
    return results


def search_messages(query: str, *, user: User, limit: int = 20) -> list[MessageResult]:
    """Messages (notes included) of conversations ``user`` may see, best first."""
    flt = MessageFilter(hidden_team_ids=tuple(hidden_team_ids(user)), user_id=user.pk)
    engine = backend()
    hits, terms = _run(
        query, lambda g, **kw: engine.search_messages(g, flt, **kw), limit, any_term=False
    )
    if not hits:
        return []
    rows = Message.objects.select_related("conversation", "conversation__contact").in_bulk(
        [h.id for h in hits]
    )
    return [
        MessageResult(
            message=rows[h.id], score=h.score, snippet_html=snippet(rows[h.id].text, terms)
        )
        for h in hits
        if h.id in rows
    ]


# --- indexing ----------------------------------------------------------------------------------


def translation_rows(
    translations: Iterable[ArticleTranslation],
) -> Iterable[tuple[int, str, str]]:
    for t in translations:
        body = "\n".join([t.summary, html_to_text(t.body_html), " ".join(t.article.tags)])
        yield t.pk, document(t.title, t.locale), document(body, t.locale)


def index_translations(translations: Iterable[ArticleTranslation]) -> None:
    translations = list(translations)
    backend().index_articles(translation_rows(translations))
    # The index rows hold stems too; the vocabulary takes only words as written.
    vocabulary.remember(
        vocabulary.words_of(f"{t.title}\n{html_to_text(t.body_html)}" for t in translations)
    )


def index_messages(
    messages: Iterable[Message], subjects: dict[int, str] | None = None, language: str = ""
) -> None:
    """Index message texts; a conversation's first message also carries its subject, so
    conversations are found by subject. ``subjects`` (message id -> subject) saves the
    lookup when the caller knows it (the pipeline does); ``language`` (the conversation's,
    when all messages share one) picks the stemmer for Latin script."""
    messages = [m for m in messages if m.text]
    if not messages:
        return
    if subjects is None:
        subjects = _first_message_subjects(messages)
    rows = [
        (m.pk, document(f"{subjects[m.pk]}\n{m.text}" if m.pk in subjects else m.text, language))
        for m in messages
    ]
    with transaction.atomic():  # one commit for the lot
        backend().index_messages(rows)


def _first_message_subjects(messages: list[Message]) -> dict[int, str]:
    conversation_ids = {m.conversation_id for m in messages}
    if not conversation_ids:
        return {}
    firsts = (
        Message.objects.filter(conversation_id__in=conversation_ids)
        .values("conversation_id")
        .annotate(first=Min("id"))
        .values_list("first", flat=True)
    )
    wanted = {m.pk for m in messages} & set(firsts)
    if not wanted:
        return {}
    rows = Message.objects.filter(pk__in=wanted).values_list("pk", "conversation__subject")
    return {pk: subject for pk, subject in rows if subject}


def keyset_batches(qs: QuerySet, size: int = BATCH) -> Iterable[list]:  # type: ignore[type-arg]
    """Rows of ``qs`` in primary-key order, ``size`` at a time (keyset, not OFFSET)."""
    last = 0
    while True:
        batch = list(qs.filter(pk__gt=last).order_by("pk")[:size])
        if not batch:
            return
        yield batch
        last = batch[-1].pk


def reindex(progress: Callable[[str, int, int], None] | None = None) -> dict[str, int]:
    """Rebuild the whole index from the tables, in batches (``progress(kind, done, total)``)."""
    engine = backend()
    engine.clear()
    counts = {}
    translations = ArticleTranslation.objects.select_related("article")
    messages = Message.objects.exclude(text="").only("id", "text", "conversation_id")
    with engine.rebuilding():
        for kind, qs, index in (
            ("articles", translations, index_translations),
            ("messages", messages, index_messages),
        ):
            total, done = qs.count(), 0
            for batch in keyset_batches(qs):
                index(batch)
                done += len(batch)
                if progress:
                    progress(kind, done, total)
            counts[kind] = done
    vocabulary.forget_progress()
    total, done = messages.count(), 0
    while read := vocabulary.learn_from_messages(max_batches=1):
        done += read
        if progress:
            progress("words", done, total)
    return counts
