"""Text handling shared by every channel: HTML sanitizing, plain-text extraction, language."""

from __future__ import annotations

import html as html_lib
import re
import threading
from functools import cache
from typing import Any

import nh3
from django.conf import settings

_BLOCK_END = re.compile(r"</(p|div|li|tr|h[1-6]|blockquote)>|<br\s*/?>", re.IGNORECASE)
_SPACES = re.compile(r"[ \t\u00a0]+")
_BLANK_LINES = re.compile(r"\n{3,}")


_URL_SCHEMES = nh3.ALLOWED_URL_SCHEMES | {"cid"}


def sanitize_html(value: str) -> str:
    """Untrusted HTML made safe to show to agents: no scripts, handlers, styles or forms."""
    if not value:
        return ""
    # cid: points at a message's own inline images (an email's); it loads nothing remote.
    return nh3.clean(value, link_rel="noopener noreferrer nofollow", url_schemes=_URL_SCHEMES)


def html_to_text(value: str) -> str:
    """A readable plain-text version of an HTML body (for previews, search and detection)."""
    if not value:
        return ""
    with_breaks = _BLOCK_END.sub("\n", value)
    stripped = nh3.clean(with_breaks, tags=set(), clean_content_tags={"script", "style"})
    text = html_lib.unescape(stripped)
    lines = [_SPACES.sub(" ", line).strip() for line in text.splitlines()]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


_detector_lock = threading.Lock()


@cache
def _detector() -> Any:
    """A lingua detector restricted to the configured languages (small and more accurate)."""
    from lingua import IsoCode639_1, LanguageDetectorBuilder

    languages = []
    for code in settings.SAHAYAK_DETECT_LANGUAGES:
        try:
            languages.append(IsoCode639_1.from_str(code))
        except ValueError:
            continue
    if len(languages) < 2:
        return None
    return LanguageDetectorBuilder.from_iso_codes_639_1(*languages).build()


# Below this confidence a detection is not trusted: the caller falls back (the customer's
# known language, the inbox's default) rather than answer in a language never used.
MIN_CONFIDENCE = 0.6
MIN_ROMANISED = 0.9


def detect_language(text: str) -> str:
    """ISO 639-1 code of the text's language, or "" when it cannot be told with confidence.

    Hindi and Bengali written in Latin letters ("mera order kab aayega") are told apart
    from English and French by a classifier of their own (``sahayak.language.romanised``).
    """
    sample = text.strip()[:1000]
    if len(sample) < 3:
        return ""
    romanised = _romanised(sample)
    if romanised:
        return romanised
    with _detector_lock:
        detector = _detector()
    if detector is None:
        return ""
    values = detector.compute_language_confidence_values(sample)
    if not values or values[0].value < MIN_CONFIDENCE:
        return ""
    return str(values[0].language.iso_code_639_1.name.lower())


def is_romanised(text: str) -> bool:
    """Whether ``text`` is Hindi or Bengali written in Latin letters."""
    return bool(_romanised(text.strip()[:1000]))


def _romanised(sample: str) -> str:
    letters = [ch for ch in sample if ch.isalpha()]
    latin = sum(1 for ch in letters if ch.isascii())
    if not letters or latin < 0.8 * len(letters):
        return ""
    from sahayak.language.romanised import guess

    found = guess(sample)
    wanted = settings.SAHAYAK_DETECT_LANGUAGES
    if found and found.language in ("hi", "bn") and found.language in wanted:
        return found.language if found.probability >= MIN_ROMANISED else ""
    return ""


def folded_segments(text: str, spans: list[list[int]]) -> list[tuple[str, bool]]:
    """``text`` cut into (part, folded) pieces along ``spans`` (a message's
    ``metadata["folds"]``: the quoted parts a channel found, shown folded)."""
    out: list[tuple[str, bool]] = []
    position = 0
    for begin, end in spans:
        if not 0 <= position <= begin < end <= len(text):
            return [(text, False)]  # spans that do not fit this text: show it all
        if text[position:begin].strip():
            out.append((text[position:begin].strip("\n"), False))
        out.append((text[begin:end].strip("\n"), True))
        position = end
    if text[position:].strip():
        out.append((text[position:].strip("\n"), False))
    return out
