"""Template helpers of the agent workspace: channel icons, money, language names."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from babel.numbers import format_currency
from django import template
from django.utils.html import format_html
from django.utils.translation import get_language, get_language_info, to_locale

from sahayak.contacts import identities
from sahayak.conversations import channels
from sahayak.conversations.models import Priority, Status
from sahayak.conversations.text import folded_segments

from ..activity import choice_label

register = template.Library()


@register.filter
def channel_label(kind: str) -> str:
    return channels.label(kind)


@register.filter
def identity_label(kind: str) -> str:
    return identities.identity_label(kind)


@register.simple_tag
def channel_icon(kind: str) -> str:
    label = channels.label(kind)
    return format_html(
        '<svg class="icon ch-{}" viewBox="0 0 24 24" role="img" aria-label="{}"><title>{}</title>'
        '<path d="{}"/></svg>',
        kind,
        label,
        label,
        channels.icon(kind),
    )


@register.filter
def money(amount: Decimal | None, currency: str) -> str:
    """An amount in its currency, written the way the agent's language writes money."""
    if amount is None:
        return ""
    try:
        return str(format_currency(amount, currency, locale=to_locale(get_language() or "en")))
    except (ValueError, LookupError):
        return f"{amount} {currency}"


@register.filter
def language_name(code: str) -> str:
    if not code:
        return ""
    try:
        info: dict[str, Any] = get_language_info(code)
    except KeyError:
        return code
    return f"{info['name_translated']} ({info['name_local']})"


@register.filter
def status_label(value: str) -> str:
    return choice_label(Status, value)


@register.filter
def priority_label(value: str) -> str:
    return choice_label(Priority, value)


@register.filter
def folded(message: Any) -> list[tuple[str, bool]]:
    """(part, folded) pieces of a message: what the customer wrote shown, quotes folded."""
    text = message.text or ""
    metadata = message.metadata or {}
    spans = metadata.get("folds")
    if spans is None and isinstance(metadata.get("fold_at"), int):  # stored before spans
        spans = [[metadata["fold_at"], len(text)]]
    if not isinstance(spans, list) or not spans:
        return [(text, False)]
    return folded_segments(text, spans)
