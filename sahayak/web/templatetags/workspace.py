"""Template helpers of the agent workspace: channel icons, money, language names."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from babel.numbers import format_currency
from django import template
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.translation import get_language, get_language_info, to_locale
from django.utils.translation import gettext as _

from sahayak.contacts import identities
from sahayak.conversations import channels
from sahayak.conversations.models import Priority, Status
from sahayak.conversations.text import folded_segments
from sahayak.routing.models import Metric

from ..activity import choice_label

register = template.Library()


@register.filter
def channel_label(kind: str) -> str:
    return channels.label(kind)


@register.filter
def provider_error(message: Any) -> str:
    """What the provider's error code on a failed message means, in the agent's language."""
    error = (message.metadata or {}).get("provider_error") or {}
    return channels.explain_error(message.channel, str(error.get("code") or ""))


@register.filter
def channel_segmented(kind: str) -> bool:
    """Whether replies on this channel are split in billed segments (SMS)."""
    try:
        return channels.get_channel(kind).capabilities.segmented
    except channels.UnknownChannel:
        return False


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


def countdown(seconds: float) -> str:
    """A deadline's time left as the inbox shows it: "3:05" (h:mm), "2 d" past a day,
    "−0:12" when late (the script keeps it ticking with the same rules)."""
    late = seconds < 0
    whole = int(abs(seconds)) // 60
    hours, minutes = divmod(whole, 60)
    text = f"{hours}:{minutes:02d}" if hours < 24 else _("%(days)s d") % {"days": hours // 24}
    return f"−{text}" if late else text


@register.simple_tag
def sla_badge(due: datetime | None, metric: str, warn_minutes: int | None = 0) -> str:
    """The timer badge of a conversation's next SLA deadline (ok / warn / breach)."""
    if due is None:
        return ""
    left = (due - timezone.now()).total_seconds()
    warn = (warn_minutes or 0) * 60
    state = "breach" if left <= 0 else "warn" if left <= warn else "ok"
    label = choice_label(Metric, metric) if metric else ""
    when = date_format(timezone.localtime(due), "DATETIME_FORMAT")
    return format_html(
        '<time class="sla-badge sla-{}" datetime="{}" data-warn="{}" title="{}">{}</time>',
        state,
        due.isoformat(),
        warn,
        _("%(metric)s due %(when)s") % {"metric": label, "when": when},
        countdown(left),
    )


@register.filter
def metric_label(value: str) -> str:
    return choice_label(Metric, value)


@register.filter
def minutes(value: int | None) -> str:
    """A target in minutes as hours and minutes ("4 h", "1 h 30 min", "45 min")."""
    if not value:
        return "—"
    hours, rest = divmod(int(value), 60)
    if hours and rest:
        return _("%(h)d h %(m)d min") % {"h": hours, "m": rest}
    if hours:
        return _("%(h)d h") % {"h": hours}
    return _("%(m)d min") % {"m": rest}


@register.filter
def lookup(table: dict[str, Any], key: Any) -> Any:
    """``table[key]``, or the key itself when the table has no entry (a removed choice)."""
    return table.get(key, key) if isinstance(table, dict) else key


@register.filter
def shown_value(value: Any) -> str:
    """A condition's value or a seen value, in words for a trace."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return str(_("yes") if value else _("no"))
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "—"
    if isinstance(value, dict):
        return ", ".join(f"{k}: {v}" for k, v in value.items())
    return str(value)
