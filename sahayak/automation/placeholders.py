"""Placeholders in canned replies: ``{{ customer.first_name }}``, with a fallback text as
``{{ customer.first_name | default: "there" }}``.

A deliberately small language, not a template engine: a placeholder is a name looked up in
a flat table of text values that the caller builds (``values_for``). Nothing is called,
nothing is iterated, no attribute of any object is read, so a hostile text can neither reach
settings nor run code nor loop; it can only name a value or fail to. Names and fallbacks may
be in any script.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

# The names a canned reply may use, in the order the editor lists them.
NAMES = (
    "customer.name",
    "customer.first_name",
    "customer.email",
    "customer.phone",
    "customer.organization",
    "customer.language",
    "conversation.number",
    "conversation.subject",
    "conversation.channel",
    "agent.name",
    "agent.first_name",
    "agent.email",
    "order.latest.reference",
    "order.latest.amount",
    "order.latest.status",
    "order.latest.date",
    "order.count",
)
ATTRIBUTE = "customer.attributes."  # + a custom attribute's key
FIELD = "fields."  # + a macro field's name: what the agent filled in when running it
MAX_PLACEHOLDERS = 100

_PLACEHOLDER = re.compile(
    r"\{\{\s*(?P<name>[^{}|\s]+)\s*"
    r"(?:\|\s*default\s*:\s*\"(?P<default>[^\"{}]*)\"\s*)?\}\}"
)
_OPENING = re.compile(r"\{\{")


class PlaceholderError(ValueError):
    """A text names a placeholder that does not exist, or is not well formed."""


@dataclass(frozen=True)
class Rendered:
    text: str
    missing: tuple[str, ...]  # names with no value here (their fallback, or nothing, was used)


def known(name: str, fields: frozenset[str] = frozenset()) -> bool:
    """A name a text may use; ``fields``: the names of the macro's fields, if any."""
    if name in NAMES:
        return True
    if name.startswith(FIELD):
        return name[len(FIELD) :] in fields
    return (
        name.startswith(ATTRIBUTE)
        and re.fullmatch(r"[\w-]{1,64}", name[len(ATTRIBUTE) :]) is not None
    )


def check(text: str, fields: frozenset[str] = frozenset()) -> list[str]:
    """The placeholders a text uses, in order; ``PlaceholderError`` if one is unknown or
    a ``{{`` does not open a well-formed placeholder."""
    found = list(_PLACEHOLDER.finditer(text))
    if len(found) > MAX_PLACEHOLDERS:
        raise PlaceholderError(f"more than {MAX_PLACEHOLDERS} placeholders")
    if len(_OPENING.findall(text)) != len(found):
        raise PlaceholderError("a {{ that is not a placeholder")
    names = [m["name"] for m in found]
    unknown = [n for n in names if not known(n, fields)]
    if unknown:
        raise PlaceholderError(f"unknown placeholder: {unknown[0]}")
    return names


def render(text: str, values: Mapping[str, str]) -> Rendered:
    """The text with each placeholder replaced by its value (else its fallback, else
    nothing); which ones had no value."""
    missing: list[str] = []

    def one(match: re.Match[str]) -> str:
        name = match["name"]
        value = values.get(name, "") if known(name) or name.startswith(FIELD) else ""
        if value:
            return value
        if name not in missing:
            missing.append(name)
        return match["default"] or ""

    return Rendered(_PLACEHOLDER.sub(one, text), tuple(missing))
