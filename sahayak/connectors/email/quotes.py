"""Where the new part of an email ends: the quoted reply and the signature are folded away
in the timeline (the full text stays stored and one click away).

Reply headers are matched in the forms mail clients write them in English, French, German,
Spanish, Greek, Hindi and Bengali (Gmail, Outlook, Apple Mail, Thunderbird).
"""

from __future__ import annotations

import re

_REPLY_HEADERS = [
    r"^On\b.{4,300}\bwrote:?\s*$",  # en: On Mon, 3 Jan 2026, Asha <a@x> wrote:
    r"^Le\b.{4,300}\ba écrit\s*:?\s*$",  # fr
    r"^Am\b.{4,300}\bschrieb\b.{0,200}:?\s*$",  # de
    r"^El\b.{4,300}\bescribió:?\s*$",  # es
    r"^Στις\b.{4,300}\bέγραψε:?\s*$",  # el
    r"^.{4,300}ने लिखा:?\s*$",  # hi
    r"^.{4,300}লিখেছেন:?\s*$",  # bn
    r"^-{2,}\s*(Original Message|Message d'origine|Ursprüngliche Nachricht|Mensaje original|Αρχικό μήνυμα|मूल संदेश|মূল বার্তা)\s*-{2,}\s*$",
]
_REPLY_HEADER = re.compile("|".join(f"(?:{p})" for p in _REPLY_HEADERS), re.IGNORECASE)

# Outlook's block: "From: ..." followed closely by "Sent: ..." (or the local words).
_FROM_LINE = re.compile(r"^\*?(From|De|Von|De|Από|प्रेषक|থেকে)\s*\*?\s*:", re.IGNORECASE)
_SENT_LINE = re.compile(
    r"^\*?(Sent|Date|Envoyé|Gesendet|Enviado|Στάλθηκε|Ημερομηνία|भेजा गया|দিনাংক|পাঠানো হয়েছে)\s*\*?\s*:",
    re.IGNORECASE,
)
_SIGNATURE = re.compile(
    r"^(-- ?|Sent from my .{1,40}|Envoyé de mon .{1,40}|Von meinem .{1,40} gesendet|"
    r"Enviado desde mi .{1,40}|Στάλθηκε από το .{1,40})\s*$"
)


def fold_offset(text: str) -> int | None:
    """Character offset where the quoted part (or signature) starts; None if nothing to fold
    or everything would be folded."""
    lines = text.splitlines(keepends=True)
    offsets = []
    position = 0
    for line in lines:
        offsets.append(position)
        position += len(line)
    cut = _first_quote_line(lines)
    if cut is None:
        return None
    offset = offsets[cut]
    if not text[:offset].strip():
        return None
    return offset


def _first_quote_line(lines: list[str]) -> int | None:
    stripped = [line.strip() for line in lines]
    for index, line in enumerate(stripped):
        if not line:
            continue
        if _REPLY_HEADER.match(line):
            return index
        two = f"{line} {stripped[index + 1]}" if index + 1 < len(stripped) else ""
        wrapped = line.casefold().startswith(("on ", "le ", "am ", "el ", "στις "))
        if two and wrapped and _REPLY_HEADER.match(two):
            return index
        if _FROM_LINE.match(line) and any(
            _SENT_LINE.match(s) for s in stripped[index + 1 : index + 5]
        ):
            return index
        if _SIGNATURE.match(lines[index].rstrip("\r\n")) and len(lines) - index <= 15:
            return index
        if line.startswith(">") and all(not s or s.startswith(">") for s in stripped[index:]):
            return index
    return None


def split_quoted(text: str, offset: int | None) -> tuple[str, str]:
    if offset is None or not 0 < offset < len(text):
        return text, ""
    return text[:offset].rstrip(), text[offset:]
