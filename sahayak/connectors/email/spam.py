"""Is an inbound email likely spam? Cheap built-in signals, the verdict of the relay in front
of Sahayak when it gives one, and SpamAssassin's when ``SAHAYAK_SPAMD_ADDRESS`` names a
``spamd`` (Debian's ``spamassassin`` package).

Likely spam is still stored (nothing is lost): it opens a conversation set aside with the
status "Spam", gets no acknowledgement, and an agent restores it with "Not spam".
"""

from __future__ import annotations

import logging
import re
import socket
from dataclasses import dataclass, field

from django.conf import settings
from django.utils.translation import gettext as _

from .parsing import ParsedMail

logger = logging.getLogger(__name__)

# Phrases of bulk mail nobody writes to a support desk (folded to lower case).
_PHRASES = (
    "viagra", "cialis", "casino", "lottery", "you have won", "you've won", "claim your prize",
    "bitcoin investment", "crypto investment", "double your money", "earn money fast",
    "work from home and earn", "weight loss", "100% free", "risk-free", "act now",
    "limited time offer", "congratulations you", "wire transfer fee", "inheritance fund",
    "gagnez", "loterie", "félicitations vous avez gagné", "लॉटरी", "इनाम जीता", "লটারি",
)  # fmt: skip
_URL = re.compile(r"https?://", re.IGNORECASE)
SPAMD_TIMEOUT = 10.0


@dataclass
class SpamVerdict:
    score: float = 0.0
    reasons: list[str] = field(default_factory=list)
    spam: bool = False

    def add(self, points: float, reason: str) -> None:
        self.score += points
        self.reasons.append(reason)

    def as_metadata(self) -> dict[str, object]:
        return {"score": round(self.score, 1), "reasons": self.reasons[:12], "spam": self.spam}


def judge(parsed: ParsedMail, raw: bytes) -> SpamVerdict:
    """The verdict on one message."""
    verdict = SpamVerdict()
    _relay_verdict(verdict, parsed.spam_headers)
    _builtin(verdict, parsed)
    spamd = _spamd(raw) if settings.SAHAYAK_SPAMD_ADDRESS else None
    if spamd is not None:
        is_spam, score, rules = spamd
        verdict.add(
            score,
            _("SpamAssassin: %(score).1f (%(rules)s)")
            % {"score": score, "rules": ", ".join(rules[:6]) or "-"},
        )
        if is_spam:
            verdict.spam = True
    if verdict.score >= settings.SAHAYAK_SPAM_THRESHOLD:
        verdict.spam = True
    return verdict


def _relay_verdict(verdict: SpamVerdict, headers: dict[str, str]) -> None:
    flag = headers.get("x-spam-flag", "").strip().lower()
    status = headers.get("x-spam-status", "").strip().lower()
    action = headers.get("x-rspamd-action", "").strip().lower()
    if (
        flag == "yes"
        or status.startswith("yes")
        or action in ("reject", "add header", "rewrite subject")
    ):
        verdict.add(settings.SAHAYAK_SPAM_THRESHOLD, _("marked as spam by the receiving server"))


def _builtin(verdict: SpamVerdict, parsed: ParsedMail) -> None:
    if parsed.auth is not None and parsed.auth.failed:
        verdict.add(3.0, _("the sender address is not verified (SPF, DKIM or DMARC failed)"))
    letters = [ch for ch in parsed.subject if ch.isalpha()]
    if len(letters) >= 12 and sum(ch.isupper() for ch in letters) >= 0.8 * len(letters):
        verdict.add(1.5, _("the subject is in capitals"))
    text = f"{parsed.subject}\n{parsed.text}\n{parsed.html}"[:50000].lower()
    phrases = [p for p in _PHRASES if p in text]
    if phrases:
        verdict.add(
            min(4.0, 2.0 * len(phrases)),
            _("bulk-mail phrases: %(p)s") % {"p": ", ".join(phrases[:3])},
        )
    if len(_URL.findall(text)) >= 15:
        verdict.add(1.0, _("many links"))
    if len(parsed.to) + len(parsed.cc) >= 15:
        verdict.add(1.5, _("sent to many recipients"))
    if parsed.synthetic_id:
        verdict.add(0.5, _("no Message-ID"))
    if parsed.date is None:
        verdict.add(0.5, _("no date"))


def _spamd(raw: bytes) -> tuple[bool, float, list[str]] | None:
    """SpamAssassin's verdict over the spamd protocol (SYMBOLS), or None if it cannot say."""
    host, _sep, port = settings.SAHAYAK_SPAMD_ADDRESS.rpartition(":")
    request = b"SYMBOLS SPAMC/1.5\r\n" + f"Content-length: {len(raw)}\r\n\r\n".encode() + raw
    try:
        with socket.create_connection(
            (host.strip("[]") or "127.0.0.1", int(port)), SPAMD_TIMEOUT
        ) as conn:
            conn.sendall(request)
            conn.shutdown(socket.SHUT_WR)
            chunks = []
            while chunk := conn.recv(65536):
                chunks.append(chunk)
    except (OSError, ValueError) as exc:
        logger.warning("spamd at %s did not answer: %s", settings.SAHAYAK_SPAMD_ADDRESS, exc)
        return None
    return _parse_spamd(b"".join(chunks))


_SPAM_LINE = re.compile(rb"^Spam:\s*(\w+)\s*;\s*(-?[\d.]+)\s*/\s*(-?[\d.]+)", re.IGNORECASE | re.M)


def _parse_spamd(answer: bytes) -> tuple[bool, float, list[str]] | None:
    head, _sep, body = answer.partition(b"\r\n\r\n")
    if not head.startswith(b"SPAMD/") or b" 0 EX_OK" not in head.split(b"\r\n", 1)[0]:
        logger.warning("spamd refused the message: %r", head[:200])
        return None
    found = _SPAM_LINE.search(head)
    if found is None:
        return None
    rules = [r.strip() for r in body.decode("ascii", "replace").split(",") if r.strip()]
    return found.group(1).lower() in (b"true", b"yes"), float(found.group(2)), rules
