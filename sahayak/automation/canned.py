"""Canned replies: who sees which, finding them, and the text for one customer.

The text is chosen in the customer's language (the conversation's, else the contact's)
without the agent choosing it; when the reply has no version in that language its default
one is used and the agent is told so.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction
from django.db.models import F, QuerySet
from django.utils.translation import gettext as _

from sahayak.accounts.models import User
from sahayak.contacts.models import Contact, Identity, Order
from sahayak.conversations.models import Conversation

from . import ownership, placeholders
from .models import CannedReply, CannedReplyText

SEARCH_LIMIT = 20


class CannedReplyError(ValueError):
    """A canned reply that cannot be saved as given."""


def visible_to(user: User) -> QuerySet[CannedReply]:
    """Shared replies and the user's own."""
    return ownership.visible_to(CannedReply.objects.all(), user)


may_edit = ownership.may_edit


def search(user: User, query: str, limit: int = SEARCH_LIMIT) -> list[CannedReply]:
    """Replies whose shortcut or title contains the query (any script, any case);
    shortcuts that start with it first."""
    key = query.strip().lstrip("/").casefold()
    found = visible_to(user).prefetch_related("texts")
    if key:
        found = found.filter(search_key__contains=key)
    rows = list(found.order_by("title", "id")[: limit * 5])
    rows.sort(key=lambda r: (not r.shortcut.casefold().startswith(key), r.title.casefold()))
    return rows[:limit]


def base_language(code: str) -> str:
    """ "fr-FR" -> "fr"."""
    return code.replace("_", "-").split("-")[0].lower()


@dataclass(frozen=True)
class ForCustomer:
    """A canned reply made ready for one conversation."""

    text: str
    language: str  # of the text used
    wanted: str  # the customer's language
    note: str  # for the agent: a fallback was used (empty if not)
    missing: tuple[str, ...]  # placeholders with no value for this customer


def customer_language(conversation: Conversation) -> str:
    return base_language(conversation.language or conversation.contact.locale or "")


def choose_text(reply: CannedReply, wanted: str) -> CannedReplyText | None:
    """The text in ``wanted`` language, else in the reply's default one, else any."""
    texts = {base_language(t.language): t for t in reply.texts.all()}
    return (
        texts.get(wanted)
        or texts.get(base_language(reply.default_language))
        or next(iter(texts.values()), None)
    )


def for_customer(
    reply: CannedReply,
    conversation: Conversation,
    agent: User | None,
    values: dict[str, str] | None = None,
) -> ForCustomer:
    """The reply's text for this customer; ``values``: ``values_for`` this conversation
    and agent, when several replies are made ready at once."""
    wanted = customer_language(conversation)
    chosen = choose_text(reply, wanted)
    if chosen is None:
        return ForCustomer("", "", wanted, _("This reply has no text yet."), ())
    note = ""
    used = base_language(chosen.language)
    if wanted and used != wanted:
        note = _("There is no %(wanted)s version of this reply: the %(used)s text is used.") % {
            "wanted": language_name(wanted),
            "used": language_name(used),
        }
    if values is None:
        values = values_for(conversation, agent)
    rendered = placeholders.render(chosen.body, values)
    return ForCustomer(rendered.text, used, wanted, note, rendered.missing)


def language_name(code: str) -> str:
    from django.utils.translation import get_language_info

    try:
        return str(get_language_info(code)["name_translated"])
    except KeyError:
        return code


def values_for(conversation: Conversation, agent: User | None) -> dict[str, str]:
    """The placeholder values for this conversation and agent (a rule's text: the
    assignee, or none): text only (see ``placeholders``), read in a fixed number of
    queries."""
    contact: Contact = conversation.contact
    addresses: dict[str, str] = {}
    for kind, address in (
        Identity.objects.filter(contact=contact, kind__in=("email", "phone", "whatsapp"))
        .order_by("-verified", "id")
        .values_list("kind", "address")[:20]
    ):
        addresses.setdefault(kind, address)  # verified first
    orders = Order.objects.filter(contact=contact)
    latest = orders.order_by("-ordered_at", "-id").first()
    name = contact.name.strip()
    agent_name = (agent.get_full_name().strip() or agent.username) if agent else ""
    values = {
        "customer.name": name,
        "customer.first_name": name.split()[0] if name else "",
        "customer.email": addresses.get("email", ""),
        "customer.phone": addresses.get("phone") or addresses.get("whatsapp", ""),
        "customer.organization": contact.organization.name if contact.organization else "",
        "customer.language": customer_language(conversation),
        "conversation.number": str(conversation.pk),
        "conversation.subject": conversation.subject,
        "conversation.channel": conversation.channel,
        "agent.name": agent_name,
        "agent.first_name": (agent.first_name.strip() or agent_name.split()[0]) if agent else "",
        "agent.email": agent.email if agent else "",
        "order.count": str(orders.count()),
    }
    if latest is not None:
        values |= {
            "order.latest.reference": latest.external_ref,
            "order.latest.amount": f"{latest.amount} {latest.currency}",
            "order.latest.status": latest.status,
            "order.latest.date": latest.ordered_at.date().isoformat(),
        }
    for key, value in (contact.custom_attributes or {}).items():
        if isinstance(value, str | int | float) and not isinstance(value, bool):
            values[placeholders.ATTRIBUTE + str(key)] = str(value)
    return values


@transaction.atomic
def save_reply(
    reply: CannedReply, texts: Iterable[tuple[str, str]], *, replace: bool = True
) -> CannedReply:
    """Save a reply with its texts (language, body); placeholders are checked first."""
    texts = [(base_language(lang), body) for lang, body in texts]
    if not reply.title.strip():
        raise CannedReplyError(_("A canned reply needs a title."))
    if len({lang for lang, _body in texts}) != len(texts):
        raise CannedReplyError(_("One text per language."))
    for language, body in texts:
        if not language or not body.strip():
            raise CannedReplyError(_("Each text needs a language and some words."))
        try:
            placeholders.check(body)
        except placeholders.PlaceholderError as exc:
            raise CannedReplyError(
                _("The %(language)s text has a placeholder error: %(error)s")
                % {"language": language, "error": exc}
            ) from exc
    reply.default_language = base_language(reply.default_language or "en")
    reply.save()
    if replace:
        reply.texts.exclude(language__in=[lang for lang, _body in texts]).delete()
    for language, body in texts:
        CannedReplyText.objects.update_or_create(
            reply=reply, language=language, defaults={"body": body}
        )
    return reply


def count_use(reply: CannedReply) -> None:
    CannedReply.objects.filter(pk=reply.pk).update(usage_count=F("usage_count") + 1)
