"""Turning the bytes and headers of real mail into text, whatever they claim to be.

Mail in the wild declares charsets it does not use, sends raw 8-bit headers, and splits
RFC 2047 words in the middle of a character. Nothing here raises on bad input: the worst
case is a replacement character, never a lost message.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import quopri
import re

from charset_normalizer import from_bytes

# What mail clients mean when they write these (as browsers do, after the WHATWG list).
_ALIASES = {
    "iso-8859-1": "cp1252",
    "latin1": "cp1252",
    "latin-1": "cp1252",
    "us-ascii": "cp1252",
    "ascii": "cp1252",
    "iso-8859-9": "cp1254",
    "iso-8859-11": "cp874",
    "tis-620": "cp874",
    "ks_c_5601-1987": "cp949",
    "euc-kr": "cp949",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "shift_jis": "cp932",
    "x-sjis": "cp932",
    "utf8": "utf-8",
    "unicode-1-1-utf-7": "utf-7",
}
_UNKNOWN = {"", "unknown-8bit", "x-unknown", "unknown", "default", "8bit", "binary"}


def codec_for(charset: str | None) -> str | None:
    """A Python codec name for a declared charset, or None when it names nothing usable."""
    name = (charset or "").strip().strip("\"'").lower()
    if name in _UNKNOWN:
        return None
    name = _ALIASES.get(name, name)
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def decode_bytes(data: bytes, charset: str | None = None) -> str:
    """Text of ``data``: the declared charset if the bytes are valid in it, then UTF-8,
    then the charset that best explains the bytes, then the declared one with
    replacement characters."""
    if not data:
        return ""
    declared = codec_for(charset)
    if declared is not None:
        try:
            return data.decode(declared)
        except UnicodeDecodeError:
            pass
        text = data.decode(declared, errors="replace")
        if _mostly_valid(text, data):
            return text  # a stray bad byte is replaced; the rest stays as declared
    if declared != "utf-8":
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            pass
    # Detection needs enough text to be right; a few stray bytes are most often Windows'.
    if not data.isascii() and len(data) >= 120:
        encoding = _detect(data[:20000])
        if encoding:
            return data.decode(encoding, errors="replace")
    return data.decode(declared or "cp1252", errors="replace")


def _mostly_valid(text: str, data: bytes) -> bool:
    """A declared charset is kept when only a few bytes are invalid in it (one bad byte in
    a UTF-8 body); when most of the 8-bit text is invalid the declaration is wrong."""
    bad = text.count("\ufffd")
    if bad == 0:
        return True
    if not any(ord(ch) > 0x7F and ch != "\ufffd" for ch in text):
        return False  # not one character reads right: the text is in another charset
    eight_bit = sum(1 for byte in data if byte > 0x7F)
    return bad <= 3 or bad * 50 <= eight_bit


def _detect(data: bytes) -> str | None:
    """The likeliest charset; among equally likely ones Windows-1252, by far the most
    common in mail that lies about its charset."""
    matches = list(from_bytes(data))
    if not matches:
        return None
    best = matches[0]
    tied = [
        m.encoding
        for m in matches
        if (m.percent_chaos, m.percent_coherence) == (best.percent_chaos, best.percent_coherence)
    ]
    return "cp1252" if "cp1252" in tied else best.encoding


_ENCODED_WORD = re.compile(r"=\?([^?\s]+)\?([bBqQ])\?([^?\s]*)\?=")
_BETWEEN_WORDS = re.compile(r"(\?=)\s+(=\?)")


def _word_bytes(encoding: str, payload: str) -> bytes:
    if encoding in "bB":
        padded = payload + "=" * (-len(payload) % 4)
        try:
            return base64.b64decode(padded)
        except (binascii.Error, ValueError):
            return payload.encode("ascii", "replace")
    return quopri.decodestring(payload.replace("_", " ").encode("ascii", "replace"), header=True)


def decode_header_value(value: object, hint: str | None = None) -> str:
    """A header as text: raw 8-bit bytes and RFC 2047 encoded words decoded, folding undone.

    Adjacent encoded words in one charset are joined before decoding, so a multi-byte
    character split between two words (as some mailers do) survives. Raw 8-bit bytes are
    read in ``hint`` first (the charset the message's body declares).
    """
    if value is None:
        return ""
    text = str(value)
    if any("\udc80" <= ch <= "\udcff" for ch in text):  # raw 8-bit header bytes
        text = decode_bytes(text.encode("ascii", "surrogateescape"), hint)
    text = re.sub(r"\r?\n[ \t]+", " ", text)
    if "=?" not in text:
        return text.strip()
    text = _BETWEEN_WORDS.sub(r"\1\2", text)
    out: list[str] = []
    pending: list[bytes] = []
    pending_charset: str | None = None
    position = 0

    def flush() -> None:
        nonlocal pending, pending_charset
        if pending:
            out.append(decode_bytes(b"".join(pending), pending_charset))
        pending, pending_charset = [], None

    for match in _ENCODED_WORD.finditer(text):
        if match.start() > position:
            flush()
            out.append(text[position : match.start()])
        charset = match.group(1).split("*", 1)[0]  # RFC 2231 adds *language
        if pending and charset.lower() != (pending_charset or "").lower():
            flush()
        pending_charset = charset
        pending.append(_word_bytes(match.group(2), match.group(3)))
        position = match.end()
    flush()
    out.append(text[position:])
    return "".join(out).strip()


def decode_rfc2231(value: object) -> str:
    """A parameter value in RFC 2231 form (``charset'lang'percent-encoded``) or plain."""
    if isinstance(value, tuple):  # email.message's form of an RFC 2231 value: the bytes
        charset, _language, encoded = value  # were percent-decoded into latin-1 text
        raw = str(encoded).encode("latin-1", "surrogateescape")
        return decode_bytes(raw, charset)
    return decode_header_value(value)
