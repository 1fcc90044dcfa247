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
from sahayak.contacts.models import order_status_label
from sahayak.conversations import channels
from sahayak.conversations.models import Priority, Status
from sahayak.conversations.queries import COUNT_CAP
from sahayak.conversations.text import folded_segments
from sahayak.routing.models import Metric

from ..activity import choice_label
from ..durations import duration

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


# The workspace's own line icons (24x24 outline paths): drawn the same on every machine,
# where an emoji needs a font that may not be installed.
ICONS = {
    "attach": "M16.5 6.5l-7.8 7.8a2 2 0 0 0 2.8 2.8l7.8-7.8a4 4 0 0 0-5.6-5.6L5.9 11.5a6 6 0 0 0 8.5 8.5l6.1-6.1",
    "emoji": "M12 3a9 9 0 1 0 0 18a9 9 0 1 0 0-18M8.5 14.5a4.5 4.5 0 0 0 7 0M9 9.5h.01M15 9.5h.01",
    "bold": "M7 4h6a4 4 0 0 1 0 8H7zM7 12h7a4 4 0 0 1 0 8H7z",
    "list": "M9 6h11M9 12h11M9 18h11M4.5 6h.01M4.5 12h.01M4.5 18h.01",
    "link": "M10 14a4 4 0 0 0 5.7 0l3-3a4 4 0 0 0-5.7-5.7l-1 1M14 10a4 4 0 0 0-5.7 0l-3 3a4 4 0 0 0 5.7 5.7l1-1",
    "keyboard": "M3 7h18v10H3zM7 10h.01M11 10h.01M15 10h.01M8 14h8",
    "moon": "M20 14.5A8 8 0 0 1 9.5 4a8 8 0 1 0 10.5 10.5",
}


@register.simple_tag
def icon(name: str, label: str = "") -> str:
    """One of ``ICONS``; hidden from screen readers unless it is given a ``label``."""
    if label:
        return format_html(
            '<svg class="icon i-{}" viewBox="0 0 24 24" role="img" aria-label="{}">'
            '<path d="{}"/></svg>',
            name,
            label,
            ICONS[name],
        )
    return format_html(
        '<svg class="icon i-{}" viewBox="0 0 24 24" aria-hidden="true" focusable="false">'
        '<path d="{}"/></svg>',
        name,
        ICONS[name],
    )


@register.filter
def channel_files(kind: str) -> bool:
    """Whether replies on this channel can carry files."""
    try:
        return channels.get_channel(kind).capabilities.max_attachment_bytes > 0
    except channels.UnknownChannel:
        return False


@register.filter
def lookup_text(table: dict[str, str], key: str) -> str:
    """``table[key]``, or "" when it has none."""
    return table.get(key, "") if isinstance(table, dict) else ""


@register.filter
def count_of(counts: dict[str, int], key: str) -> str:
    """A views-panel count as shown: "" when not known yet, "999+" past the cap."""
    n = counts.get(key) if isinstance(counts, dict) else None
    if n is None:
        return ""
    return f"{COUNT_CAP}+" if n > COUNT_CAP else str(n)


@register.filter
def order_status(value: str) -> str:
    return order_status_label(value or "")


@register.filter
def since(value: datetime | None) -> str:
    """How long ago ``value`` was, in words of the viewer's language ("3 weeks, 6 days")."""
    if value is None:
        return ""
    return duration((timezone.now() - value).total_seconds())


@register.filter
def until(value: datetime | None) -> str:
    """How long until ``value``, in words of the viewer's language."""
    if value is None:
        return ""
    return duration(max(0.0, (value - timezone.now()).total_seconds()))


@register.filter
def delivery_reason(message: Any) -> str:
    """Why a reply failed, in the viewer's language where the reason is one of ours."""
    stored = (message.metadata or {}).get("delivery_reason") or {}
    template, params = stored.get("text"), stored.get("params")
    if template and isinstance(params, dict):
        try:
            return _(template) % params
        except (KeyError, TypeError, ValueError):
            return message.delivery_error
    return _(message.delivery_error) if message.delivery_error else ""


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
