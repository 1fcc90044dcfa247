"""Template helpers of the agent workspace: channel icons, money, language names."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from babel.numbers import format_currency
from django import template
from django.db.models import TextChoices
from django.utils.html import format_html
from django.utils.translation import get_language, get_language_info, to_locale
from django.utils.translation import gettext_lazy as _

from sahayak.conversations.models import Priority, Status

register = template.Library()

CHANNEL_LABELS = {
    "email": _("Email"),
    "chat": _("Chat"),
    "sms": _("SMS"),
    "whatsapp": _("WhatsApp"),
    "telegram": _("Telegram"),
    "webform": _("Web form"),
    "api": _("API"),
    "voice": _("Phone"),
    "facebook": _("Facebook"),
    "instagram": _("Instagram"),
}

# 24x24 outline paths, drawn for Sahayak.
ICONS = {
    "email": "M3 6h18v12H3z M3 6l9 7 9-7",
    "chat": "M4 5h16v11H9l-5 4z",
    "sms": "M7 3h10v18H7z M10 18h4",
    "whatsapp": "M5 19l1.5-4A7.5 7.5 0 1 1 9 18.5z",
    "telegram": "M3 11l18-7-3 16-6-5-3 4v-6l9-7",
    "webform": "M5 3h14v18H5z M8 8h8 M8 12h8 M8 16h5",
    "api": "M9 4C6 4 7 11 4 12c3 1 2 8 5 8 M15 4c3 0 2 7 5 8-3 1-2 8-5 8",
    "voice": "M6 3l4 4-2 3a11 11 0 0 0 6 6l3-2 4 4-3 3C10 21 3 14 3 6z",
}
DEFAULT_ICON = "M12 3a9 9 0 1 0 0 18a9 9 0 1 0 0-18"


@register.filter
def channel_label(kind: str) -> str:
    return str(CHANNEL_LABELS.get(kind, kind))


@register.simple_tag
def channel_icon(kind: str) -> str:
    label = channel_label(kind)
    return format_html(
        '<svg class="icon ch-{}" viewBox="0 0 24 24" role="img" aria-label="{}"><title>{}</title>'
        '<path d="{}"/></svg>',
        kind,
        label,
        label,
        ICONS.get(kind, DEFAULT_ICON),
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


def _label(choices: type[TextChoices], value: str) -> str:
    """The translated label of a stored choice (the raw value if it is not one any more)."""
    try:
        return str(choices(value).label)
    except ValueError:
        return value


@register.filter
def status_label(value: str) -> str:
    return _label(Status, value)


@register.filter
def priority_label(value: str) -> str:
    return _label(Priority, value)


@register.filter
def folded(message: Any) -> tuple[str, str]:
    """(new text, quoted reply or signature) of a message; the second part may be empty."""
    text = message.text or ""
    offset = (message.metadata or {}).get("fold_at")
    if isinstance(offset, int) and 0 < offset < len(text):
        return text[:offset].rstrip(), text[offset:]
    return text, ""
