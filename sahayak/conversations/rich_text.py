"""The reply box's light formatting (Markdown: bold, italics, lists, links) as HTML for
channels that show formatting, and as tidy plain text for those that do not."""

from __future__ import annotations

from functools import cache

from markdown_it import MarkdownIt
from markdown_it.token import Token

from .text import sanitize_html


@cache
def _parser() -> MarkdownIt:
    # No raw HTML: what an agent types is text and marks, never markup of its own.
    return MarkdownIt("commonmark", {"html": False, "linkify": False, "breaks": True})


def to_html(source: str) -> str:
    return sanitize_html(_parser().render(source))


def to_text(source: str) -> str:
    """The same message without marks: "**late**" → "late", "[track](https://…)" →
    "track (https://…)", list items with bullets or their numbers."""
    out: list[str] = []
    lists: list[list[int]] = []  # per open list: [next number] (0 for bullets)
    for token in _parser().parse(source):
        if token.type in ("bullet_list_open", "ordered_list_open"):
            start = int(token.attrGet("start") or 1) if token.type == "ordered_list_open" else 0
            lists.append([start])
        elif token.type in ("bullet_list_close", "ordered_list_close"):
            lists.pop()
            if not lists:
                out.append("\n")
        elif token.type == "list_item_open" and lists:
            number = lists[-1]
            indent = "  " * (len(lists) - 1)
            out.append(f"{indent}{number[0]}. " if number[0] else f"{indent}• ")
            if number[0]:
                number[0] += 1
        elif token.type == "inline":
            out.append(_inline(token.children or []))
        elif token.type in ("fence", "code_block"):
            out.append(token.content)
        elif token.type == "paragraph_close":
            out.append("\n" if token.hidden else "\n\n")
        elif token.type == "heading_close":
            out.append("\n\n")
        elif token.type == "hr":
            out.append("———\n\n")
    return "".join(out).strip()


def _inline(children: list[Token]) -> str:
    parts: list[str] = []
    href = None
    label_start = 0
    for child in children:
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append("\n")
        elif child.type == "image":
            parts.append(child.content or str(child.attrGet("src") or ""))
        elif child.type == "link_open":
            href = str(child.attrGet("href") or "")
            label_start = len(parts)
        elif child.type == "link_close" and href is not None:
            label = "".join(parts[label_start:])
            if href and href != label and f"mailto:{label}" != href:
                parts.append(f" ({href})")
            href = None
    return "".join(parts)
