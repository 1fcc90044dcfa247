"""Which parts of an email are quoted: those are folded in the timeline (the full text stays
stored and one click away); everything the customer wrote stays visible.

Only quoted blocks fold. Text after a quote (an answer written under it, a sign-off) and
answers written between quoted lines stay visible; a short quoted line between answers is
context and stays too. A reply header followed by an unquoted original (Outlook, Hotmail,
"-----Original Message-----") folds to the end, as does a signature near the end.

Reply headers are matched in the forms mail clients write them in English, French, German,
Spanish, Portuguese, Italian, Greek, Hindi and Bengali (Gmail, Outlook, Hotmail, Apple
Mail, Thunderbird, Yahoo), wrapped over up to three lines, and with ISO dates.
"""

from __future__ import annotations

import re

_REPLY_HEADERS = [
    r"^On\b.{4,300}\bwrote:?$",  # en: On Mon, 3 Jan 2026, Asha <a@x> wrote:
    r"^Le\b.{4,300}\ba écrit\s*:?$",  # fr
    r"^Am\b.{4,300}\bschrieb\b.{0,200}:?$",  # de
    r"^El\b.{4,300}\bescribió:?$",  # es
    r"^Em\b.{4,300}\bescreveu:?$",  # pt
    r"^Il\b.{4,300}\bha scritto:?$",  # it
    r"^Στις\b.{4,300}\bέγραψε:?$",  # el
    r"^.{4,300}ने लिखा:?$",  # hi
    r"^.{4,300}লিখেছেন:?$",  # bn
    # An ISO (or CJK) date, a name and an address, then a colon: "2026-11-20 10:00 GMT+01:00,
    # Shop <s@x>:" and the forms of several Gmail and Thunderbird locales.
    r"^.{0,40}\d{4}\s?[-/.年년]\s?\d{1,2}.{0,200}<[^<>\s@]+@[^<>\s]+>.{0,40}:$",
    r"^-{2,}\s*(Original Message|Reply Message|Message d'origine|Ursprüngliche Nachricht|"
    r"Mensaje original|Mensagem original|Messaggio originale|Αρχικό μήνυμα|मूल संदेश|"
    r"মূল বার্তা)\s*-{2,}$",
]
_REPLY_HEADER = re.compile("|".join(f"(?:{p})" for p in _REPLY_HEADERS), re.IGNORECASE)
_WRAPPABLE = ("on ", "le ", "am ", "el ", "em ", "il ", "στις ")

# Outlook's and Hotmail's block: "From:", "Sent:", "To:", "Subject:" (or the local words).
_FROM_LINE = re.compile(r"^\*?(From|De|Von|Da|Από|प्रेषक|থেকে)\s*\*?\s*:", re.IGNORECASE)
_HEADER_LINE = re.compile(
    r"^\*?(From|Sent|Date|To|Cc|Subject|Reply-To|De|Envoyé|Date|À|A|Objet|Von|Gesendet|An|"
    r"Betreff|Enviado|Para|Asunto|Assunto|Inviato|Oggetto|Από|Στάλθηκε|Ημερομηνία|Προς|Θέμα|"
    r"प्रेषक|भेजा गया|प्रति|विषय|থেকে|দিনাংক|পাঠানো হয়েছে|প্রতি|বিষয়)\s*\*?\s*:",
    re.IGNORECASE,
)
_SEPARATOR = re.compile(r"^(_{8,}|-{8,})$")
_SIGNATURE = re.compile(
    r"^(-- ?|Sent from my .{1,40}|Envoyé de mon .{1,40}|Von meinem .{1,40} gesendet|"
    r"Enviado desde mi .{1,40}|Στάλθηκε από το .{1,40})\s*$"
)
SHORT_QUOTE = 3  # quoted runs of at most this many lines between answers stay visible


def quote_spans(text: str) -> list[tuple[int, int]]:
    """Character ranges of ``text`` to fold, in order; [] when nothing is quoted or when
    everything would be."""
    lines = text.splitlines(keepends=True)
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line))
    spans = [(offsets[a], offsets[b]) for a, b in _quoted_lines(lines)]
    visible = "".join(text[b:e] for b, e in _complement(spans, len(text)))
    if not spans or not visible.strip():
        return []
    return spans


def _complement(spans: list[tuple[int, int]], length: int) -> list[tuple[int, int]]:
    out, position = [], 0
    for begin, end in spans:
        out.append((position, begin))
        position = end
    out.append((position, length))
    return out


def _quoted_lines(lines: list[str]) -> list[tuple[int, int]]:
    """Line ranges [begin, end) that are quoted."""
    stripped = [line.strip() for line in lines]
    last = max((i for i, s in enumerate(stripped) if s), default=-1)
    spans: list[tuple[int, int]] = []
    index = 0
    while index <= last:
        line = stripped[index]
        if not line:
            index += 1
            continue
        header = _reply_header_length(stripped, index)
        if header:
            after = _next_text(stripped, index + header)
            if after <= last and stripped[after].startswith(">"):
                end = _end_of_quote(stripped, after)
                quoted = sum(1 for s in stripped[after:end] if s)
                if quoted <= SHORT_QUOTE and _next_text(stripped, end) <= last:
                    index = end  # answers written between short quotes: all context
                    continue
                spans.append((index, end))
                index = end
                continue
            spans.append((index, len(lines)))  # the original follows unquoted
            break
        block = _header_block_start(stripped, index)
        if block is not None or (
            _SIGNATURE.match(lines[index].rstrip("\r\n")) and last - index < 15
        ):
            spans.append((index if block is None else block, len(lines)))
            break
        if line.startswith(">"):
            end = _end_of_quote(stripped, index)
            quoted = sum(1 for s in stripped[index:end] if s)
            if quoted > SHORT_QUOTE or _next_text(stripped, end) > last:
                spans.append((index, end))
            index = end
            continue
        index += 1
    return spans


def _next_text(stripped: list[str], index: int) -> int:
    while index < len(stripped) and not stripped[index]:
        index += 1
    return index


def _end_of_quote(stripped: list[str], index: int) -> int:
    """The line after a run of ">" lines (blank lines inside the run belong to it)."""
    end = index
    while end < len(stripped):
        following = _next_text(stripped, end)
        if following < len(stripped) and stripped[following].startswith(">"):
            end = following + 1
        else:
            break
    return end


def _reply_header_length(stripped: list[str], index: int) -> int:
    """How many lines a reply header starting here takes (attributions wrap), or 0."""
    line = stripped[index]
    if _REPLY_HEADER.match(line):
        return 1
    if not line.casefold().startswith(_WRAPPABLE) and "<" not in line:
        return 0
    joined = line
    for extra in (1, 2):
        if index + extra >= len(stripped) or not stripped[index + extra]:
            return 0
        # A wrapped address may leave its ">" at the start of the next line.
        joined = f"{joined} {stripped[index + extra]}"
        if _REPLY_HEADER.match(joined):
            return extra + 1
    return 0


def _header_block_start(stripped: list[str], index: int) -> int | None:
    """Where an Outlook/Hotmail header block starting here begins (its separator line
    included), or None: three header lines within five, one of them "From"."""
    window = [s for s in stripped[index : index + 6] if s]
    headers = [s for s in window[:5] if _HEADER_LINE.match(s)]
    if not _HEADER_LINE.match(stripped[index]) or len(headers) < 3:
        return None
    if not any(_FROM_LINE.match(s) for s in headers):
        return None
    before = index - 1
    while before >= 0 and not stripped[before]:
        before -= 1
    if before >= 0 and _SEPARATOR.match(stripped[before]):
        return before
    return index


def fold_offset(text: str) -> int | None:
    """Where the first folded part starts (kept for messages stored before spans)."""
    spans = quote_spans(text)
    return spans[0][0] if spans else None


def split_quoted(text: str, offset: int | None) -> tuple[str, str]:
    if offset is None or not 0 < offset < len(text):
        return text, ""
    return text[:offset].rstrip(), text[offset:]
