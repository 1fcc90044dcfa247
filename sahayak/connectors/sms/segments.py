"""How many SMS segments a text costs: GSM-7 when every character is in the GSM 03.38
alphabet (160 characters alone, 153 per part when split), else UCS-2 (70 alone, 67 per
part, counted in UTF-16 units: an emoji takes two). Devanagari, Bengali and Greek
lower-case letters are not in GSM-7, so such texts go as UCS-2.

The reply box counts the same way in the browser (``agent.js``); this is the reference.
"""

from __future__ import annotations

from dataclasses import dataclass

# GSM 03.38 basic character set.
BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# The extension table: each takes two septets (an escape and the character).
EXTENDED = set("^{}\\[~]|€\f")


@dataclass(frozen=True)
class Segments:
    encoding: str  # "GSM-7" or "UCS-2"
    count: int
    units: int  # septets for GSM-7, UTF-16 code units for UCS-2


def count(text: str) -> Segments:
    if all(ch in BASIC or ch in EXTENDED for ch in text):
        units = sum(2 if ch in EXTENDED else 1 for ch in text)
        single, part, encoding = 160, 153, "GSM-7"
    else:
        units = len(text.encode("utf-16-le")) // 2
        single, part, encoding = 70, 67, "UCS-2"
    if units <= single:
        return Segments(encoding, 1 if units else 0, units)
    return Segments(encoding, -(-units // part), units)
