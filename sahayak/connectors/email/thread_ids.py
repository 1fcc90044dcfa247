"""What an email carries that ties it to a conversation: Message-IDs, our reply token,
Outlook's Thread-Index and a subject with its reply prefixes in many languages."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re

from django.conf import settings

_MSGID = re.compile(r"<([^<>\s]{1,250})>")


def message_ids(value: str) -> list[str]:
    """The Message-IDs in a header, without angle brackets, in order.

    Mailers that forget the brackets get their bare words taken when they look like ids.
    """
    if not value:
        return []
    found = _MSGID.findall(value)
    if not found:
        found = [word for word in value.split() if "@" in word and len(word) <= 250]
    return list(dict.fromkeys(found))


# Reply and forward prefixes: English, French, German, Nordic, Dutch, Spanish/Portuguese,
# Italian, Polish, Czech, Turkish, Greek (ΑΠ, ΣΧΕΤ, ΠΡΘ), Hindi and Bengali clients' own
# words, Chinese and Japanese, Arabic and Hebrew.
_PREFIX_WORDS = (
    "re|aw|sv|vs|antw|ref|rif|r|res|enc|tr|trans|wg|fw|fwd|doorst|odp|pd|vá|yn|ynt|"
    "απ|σχετ|πρθ|προώθ|उत्तर|जवाब|अग्रेषित|উত্তর|ফরওয়ার্ড|回复|答复|转发|回覆|轉寄|返信|転送|رد|تحويل|השב|הועבר"
)
_PREFIX = re.compile(
    rf"^\s*(?:(?:{_PREFIX_WORDS})\s*(?:\[\d+\]|\(\d+\))?\s*[:：]\s*|\[#\d+\]\s*)",
    re.IGNORECASE,
)
_TOKEN_IN_SUBJECT = re.compile(r"\[#(\d{1,18})\]")


def strip_subject(subject: str) -> tuple[str, bool]:
    """The subject without reply/forward prefixes or our ``[#123]``, and whether it had a
    reply or forward prefix."""
    text = " ".join(subject.split())
    replied = False
    while True:
        match = _PREFIX.match(text)
        if not match:
            break
        if not match.group(0).lstrip().startswith("[#"):
            replied = True
        text = text[match.end() :]
    text = _TOKEN_IN_SUBJECT.sub("", text)
    return " ".join(text.split()), replied


def subject_key(subject: str) -> str:
    return strip_subject(subject)[0].casefold()


def subject_number(subject: str) -> int | None:
    """The conversation number we put in a subject (``[#123]``): unsigned, a hint only."""
    match = _TOKEN_IN_SUBJECT.search(subject)
    return int(match.group(1)) if match else None


def with_number(subject: str, number: int) -> str:
    clean = strip_subject(subject)[0]
    return f"{clean} [#{number}]".strip()


def _signature(conversation_id: int) -> str:
    key = settings.SECRET_KEY.encode()
    digest = hmac.new(key, f"reply-token:{conversation_id}".encode(), hashlib.sha256).digest()
    return base64.b32encode(digest[:10]).decode().lower()


def reply_token(conversation_id: int) -> str:
    """``c123-<signature>``: goes into the Reply-To address; only we can make one."""
    return f"c{conversation_id}-{_signature(conversation_id)}"


_TOKEN = re.compile(r"^c(\d{1,18})-([a-z2-7]{16})$")


def conversation_from_token(token: str) -> int | None:
    match = _TOKEN.match(token.strip().lower())
    if not match:
        return None
    conversation_id = int(match.group(1))
    if not hmac.compare_digest(match.group(2), _signature(conversation_id)):
        return None
    return conversation_id


def split_plus(address: str) -> tuple[str, str]:
    """``support+c1-abc@example.com`` -> (``support@example.com``, ``c1-abc``)."""
    local, _at, domain = address.strip().rpartition("@")
    if not _at:
        return address.strip().lower(), ""
    base, _plus, tag = local.partition("+")
    return f"{base}@{domain}".lower(), tag


def thread_index_root(value: str) -> str:
    """The 22-byte header block of Outlook's Thread-Index, shared by a whole thread."""
    if not value:
        return ""
    compact = "".join(value.split())
    try:
        raw = base64.b64decode(compact + "=" * (-len(compact) % 4), validate=False)
    except (binascii.Error, ValueError):
        return ""
    if len(raw) < 22:
        return ""
    return "thread-index:" + base64.b64encode(raw[:22]).decode()
