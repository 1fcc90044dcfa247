"""Raw RFC 822 bytes -> ``ParsedMail``: tolerant of everything real mail does.

The stdlib parser runs with the ``compat32`` policy (several times faster than
``policy.default`` and never raises on defects); headers and bodies are decoded by
``charsets`` so that a wrong charset, raw 8-bit bytes or a broken encoded word costs at
most a replacement character. Truncated MIME (a missing closing boundary, a cut base64
part) yields whatever could be read.
"""

from __future__ import annotations

import email
import hashlib
import logging
import re
from dataclasses import dataclass, field
from datetime import datetime
from email.message import Message
from email.policy import compat32
from email.utils import getaddresses, parsedate_to_datetime

from .authresults import AuthVerdict, read_verdict
from .charsets import decode_bytes, decode_header_value, decode_rfc2231
from .thread_ids import message_ids, thread_index_root

logger = logging.getLogger(__name__)

MAX_DEPTH = 20  # nested multiparts deeper than this are treated as opaque attachments


@dataclass
class ParsedAttachment:
    filename: str
    content_type: str
    content: bytes
    content_id: str = ""
    inline: bool = False


@dataclass
class DeliveryReport:
    """A bounce or delay notice (RFC 3464) about a message we sent."""

    original_message_id: str
    action: str  # failed | delayed | delivered | relayed | expanded
    status: str
    recipient: str
    diagnostic: str


@dataclass
class ParsedMail:
    message_id: str
    subject: str
    from_name: str
    from_address: str
    to: list[str] = field(default_factory=list)
    cc: list[str] = field(default_factory=list)
    delivered_to: list[str] = field(default_factory=list)
    reply_to: list[str] = field(default_factory=list)
    in_reply_to: list[str] = field(default_factory=list)
    references: list[str] = field(default_factory=list)
    thread_index: str = ""
    date: datetime | None = None
    text: str = ""
    html: str = ""
    attachments: list[ParsedAttachment] = field(default_factory=list)
    content_language: str = ""
    automated: str = ""  # why no one should auto-answer it, or ""
    report: DeliveryReport | None = None
    defects: list[str] = field(default_factory=list)
    synthetic_id: bool = False
    auth: AuthVerdict | None = None
    spam_headers: dict[str, str] = field(default_factory=dict)  # the relay's verdict, if any

    @property
    def thread_refs(self) -> list[str]:
        """References then In-Reply-To (the direct parent last), de-duplicated."""
        return list(dict.fromkeys(self.references + self.in_reply_to))


def parse_message(raw: bytes) -> ParsedMail:
    msg = email.message_from_bytes(raw, policy=compat32)
    if _reuses_a_boundary(msg):
        msg = email.message_from_bytes(separate_reused_boundaries(raw), policy=compat32)
    header = _Headers(msg)
    name, address = (
        _first_address(" ".join(header.all("From")))
        or _first_address(" ".join(header.all("Sender")))
        or ("", "")
    )
    ids = message_ids(header.raw("Message-ID"))
    parsed = ParsedMail(
        message_id=ids[0] if ids else "",
        synthetic_id=not ids,
        subject=header.raw("Subject"),
        from_name=name,
        from_address=address,
        to=_addresses(header.all("To")),
        cc=_addresses(header.all("Cc")),
        delivered_to=_addresses(header.all("Delivered-To") + header.all("X-Original-To")),
        reply_to=_addresses(header.all("Reply-To")),
        in_reply_to=message_ids(header.raw("In-Reply-To")),
        references=message_ids(" ".join(header.all("References"))),
        thread_index=thread_index_root(header.raw("Thread-Index")),
        date=_date(header.raw("Date")),
        content_language=header.raw("Content-Language").split(",")[0].strip()[:16],
    )
    parsed.automated = automated_reason(msg, address)
    parsed.auth = read_verdict(header.all("Authentication-Results"))
    parsed.spam_headers = {
        name: header.raw(name)
        for name in ("x-spam-flag", "x-spam-status", "x-rspamd-action")
        if header.raw(name)
    }
    _Body(parsed).walk(msg, 0)
    if msg.get_content_type() == "multipart/report":
        parsed.report = _delivery_report(msg)
    parsed.defects = [type(defect).__name__ for defect in msg.defects][:10]
    if not parsed.message_id:
        parsed.message_id = _synthetic_id(parsed, header.raw("Date"))
    return parsed


def _reuses_a_boundary(msg: Message, outer: frozenset[str] = frozenset(), depth: int = 0) -> bool:
    """A nested multipart declaring its parent's boundary (some mailers do): the parser
    then cuts the message at the wrong delimiters and loses what follows."""
    if msg.get_content_maintype() != "multipart" or depth > MAX_DEPTH:
        return False
    boundary = msg.get_boundary() or ""
    if boundary in outer:
        return True
    if not msg.is_multipart():
        return False
    inside = outer | {boundary}
    return any(
        _reuses_a_boundary(child, inside, depth + 1)
        for child in msg.get_payload()
        if isinstance(child, Message)
    )


_BOUNDARY_PARAM = re.compile(rb'(boundary\s*=\s*"?)([^";\r\n]+)', re.IGNORECASE)


def separate_reused_boundaries(raw: bytes) -> bytes:
    """Give each nested multipart that reuses an enclosing boundary a boundary of its own.

    Read as the sender meant it: after a nested part declares the boundary again, its
    delimiters belong to the nested part until its closing delimiter, then to the
    enclosing one again.
    """
    out: list[bytes] = []
    stack: list[tuple[bytes, bytes]] = []  # (boundary in the mail, boundary written)
    in_headers, header_start, renamed = True, 0, 0
    for line in raw.splitlines(keepends=True):
        if in_headers:
            out.append(line)
            if line.strip():
                continue
            in_headers = False
            block = b"".join(out[header_start:])
            found = _BOUNDARY_PARAM.search(block) if b"multipart" in block.lower() else None
            if found is not None:
                boundary = found.group(2).strip()
                written = boundary
                if any(boundary == mine for mine, _ in stack):
                    renamed += 1
                    written = boundary + b"=_nested%d" % renamed
                    block = block[: found.start(2)] + written + block[found.end(2) :]
                    out[header_start:] = [block]
                stack.append((boundary, written))
            continue
        stripped = line.rstrip()
        for index in range(len(stack) - 1, -1, -1):
            mine, written = stack[index]
            if stripped in (b"--" + mine, b"--" + mine + b"--"):
                out.append(line.replace(b"--" + mine, b"--" + written, 1))
                if stripped.endswith(mine + b"--"):
                    del stack[index:]
                else:
                    del stack[index + 1 :]
                    in_headers, header_start = True, len(out)
                break
        else:
            out.append(line)
    return b"".join(out)


def _synthetic_id(parsed: ParsedMail, date: str) -> str:
    """A message without a Message-ID still gets a stable one, from what it says rather
    than its bytes: the same mail delivered twice is one message even when a relay or
    an IMAP server rewrote its line endings or added trace headers."""
    digest = hashlib.sha256()
    for value in (
        parsed.from_address,
        " ".join(parsed.to),
        " ".join(parsed.subject.split()),
        " ".join(date.split()),
        _normalised(parsed.text),
        _normalised(parsed.html),
    ):
        digest.update(value.encode("utf-8", "surrogatepass") + b"\0")
    for attachment in parsed.attachments:
        digest.update(hashlib.sha256(attachment.content).digest())
    return f"{digest.hexdigest()[:40]}@sahayak.invalid"


def _normalised(text: str) -> str:
    """Line endings and trailing white space as no transport changes them."""
    return "\n".join(line.rstrip() for line in text.replace("\r\n", "\n").split("\n")).strip()


class _Headers:
    """Header values as the bytes said them (compat32 would hide raw 8-bit as '?')."""

    def __init__(self, msg: Message):
        self.hint = _body_charset(msg)
        self.values: dict[str, list[str]] = {}
        for name, value in msg.raw_items():
            self.values.setdefault(name.lower(), []).append(str(value))

    def raw(self, name: str) -> str:
        found = self.values.get(name.lower())
        return decode_header_value(found[0], self.hint) if found else ""

    def all(self, name: str) -> list[str]:
        return [_raw_str(v, self.hint) for v in self.values.get(name.lower(), [])]


def _raw_str(value: object, hint: str | None = None) -> str:
    text = str(value)
    if any("\udc80" <= ch <= "\udcff" for ch in text):
        return decode_bytes(text.encode("ascii", "surrogateescape"), hint)
    return text


def _body_charset(msg: Message) -> str | None:
    for part in msg.walk():
        if part.get_content_maintype() == "text" and part.get_content_charset():
            return part.get_content_charset()
    return None


def _addresses(values: list[str]) -> list[str]:
    found = []
    for _name, address in getaddresses(values):
        address = address.strip().strip("<>").lower()
        if "@" in address and len(address) <= 320:
            found.append(address)
    return list(dict.fromkeys(found))


_QUOTED = re.compile(r'"(?:[^"\\]|\\.)*"')
_ANGLE_ADDRESS = re.compile(r"<\s*([^<>\s]+@[^<>\s]+?)\s*>")


def _first_address(value: str) -> tuple[str, str] | None:
    """The (display name, address) of a From header. The address is the one in angle
    brackets whenever there is one: ``victim@shop.test <attacker@evil.test>`` is from
    the attacker, whatever the display name looks like."""
    if not value:
        return None
    pairs = [(n, a.strip().strip("<>")) for n, a in getaddresses([value])]
    angle = _ANGLE_ADDRESS.search(_QUOTED.sub('""', value))
    if angle:
        address = angle.group(1)
        names = [n for n, a in pairs if a.lower() == address.lower()]
        pairs = [(names[0] if names else "", address)]
    for name, address in pairs:
        if "@" in address:
            name = decode_header_value(name).strip().strip('"')
            if "@" in name and address.lower() not in name.lower():
                name = ""  # a display name posing as another address is not shown
            return name[:200], address.lower()[:320]
    return None


def _date(value: str) -> datetime | None:
    try:
        found = parsedate_to_datetime(value) if value else None
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    return found if found is not None and found.tzinfo is not None else None


_AUTO_SENDERS = ("mailer-daemon", "postmaster", "noreply", "no-reply", "donotreply", "do-not-reply")


def automated_reason(msg: Message, sender: str) -> str:
    """Why this mail must get no automatic answer (a loop or list risk), or ""."""
    auto = (msg.get("Auto-Submitted") or "").strip().lower()
    if auto and auto != "no":
        return f"auto-submitted: {auto[:40]}"
    precedence = (msg.get("Precedence") or "").strip().lower()
    if precedence in ("bulk", "junk", "list", "auto_reply"):
        return f"precedence: {precedence}"
    for name in ("X-Autoreply", "X-Autorespond", "X-Auto-Response-Suppress", "List-Id"):
        if msg.get(name):
            return name.lower()
    local = sender.partition("@")[0]
    if not sender or local.startswith(_AUTO_SENDERS):
        return f"sender: {sender or 'none'}"
    if (msg.get("Return-Path") or "").strip() == "<>":
        return "null return path"
    return ""


class _Body:
    """Collects the text, HTML and attachments of a message tree."""

    def __init__(self, parsed: ParsedMail):
        self.parsed = parsed
        self.texts: list[str] = []
        self.htmls: list[str] = []

    def walk(self, part: Message, depth: int) -> None:
        self._walk(part, depth)
        self.parsed.text = "\n\n".join(t.strip("\n") for t in self.texts if t.strip())
        self.parsed.html = "\n".join(self.htmls)

    def _walk(self, part: Message, depth: int) -> None:
        ctype = part.get_content_type()
        if ctype == "message/rfc822" or (depth and ctype in ("message/global",)):
            self._attach_forwarded(part)
            return
        if part.is_multipart() and depth < MAX_DEPTH:
            children = [c for c in part.get_payload() if isinstance(c, Message)]
            if ctype == "multipart/alternative":
                self._alternative(children, depth)
            elif ctype == "multipart/report":
                # The human-readable part only; the machine part is read by _delivery_report.
                for child in children[:1]:
                    self._walk(child, depth + 1)
            else:
                for child in children:
                    self._walk(child, depth + 1)
            return
        self._leaf(part, ctype)

    def _alternative(self, children: list[Message], depth: int) -> None:
        """Keep one plain and one HTML version (the richest of each)."""
        plain = [c for c in children if c.get_content_type() == "text/plain" and not _filename(c)]
        html = [c for c in children if c.get_content_type() == "text/html" and not _filename(c)]
        other = [c for c in children if c not in plain and c not in html]
        if plain:
            self.texts.append(_text_of(plain[-1]))
        if html:
            self.htmls.append(_text_of(html[-1]))
        for child in other:  # multipart/related inside alternative: HTML with its images
            self._walk(child, depth + 1)

    def _leaf(self, part: Message, ctype: str) -> None:
        filename = _filename(part)
        disposition = (part.get_content_disposition() or "").lower()
        if ctype in ("text/plain", "text/html") and not filename and disposition != "attachment":
            (self.texts if ctype == "text/plain" else self.htmls).append(_text_of(part))
            return
        if ctype in ("message/delivery-status", "text/rfc822-headers"):
            return
        content = _payload_bytes(part)
        content_id = (part.get("Content-ID") or "").strip().strip("<>")[:255]
        if not filename:
            filename = _default_name(ctype)
        self.parsed.attachments.append(
            ParsedAttachment(
                filename=filename[:255],
                content_type=ctype,
                content=content,
                content_id=content_id,
                inline=bool(content_id) and disposition != "attachment",
            )
        )

    def _attach_forwarded(self, part: Message) -> None:
        inner = part.get_payload()
        inner_msg = inner[0] if isinstance(inner, list) and inner else None
        if isinstance(inner_msg, Message):
            try:
                content = inner_msg.as_bytes()
            except Exception:  # a broken inner message is kept as its text
                content = inner_msg.as_string().encode("utf-8", "surrogateescape")
            subject = decode_header_value(_raw_str(inner_msg.get("Subject", "")))
        else:
            content = _payload_bytes(part)
            subject = ""
        name = _filename(part) or f"{(subject or 'forwarded message')[:80]}.eml"
        self.parsed.attachments.append(
            ParsedAttachment(filename=name, content_type="message/rfc822", content=content)
        )


def _param(part: Message, name: str, header: str) -> object:
    """A header parameter; raw 8-bit values (UTF-8 file names written without RFC 2231,
    as many mailers do) are decoded first rather than replaced by compat32."""
    raw = next((str(v) for k, v in part.raw_items() if k.lower() == header), "")
    if not any("\udc80" <= ch <= "\udcff" for ch in raw):
        return part.get_param(name, header=header)
    decoded = Message()
    decoded[header] = decode_bytes(raw.encode("ascii", "surrogateescape"), "utf-8")
    return decoded.get_param(name, header=header)


def _filename(part: Message) -> str:
    value = _param(part, "filename", "content-disposition")
    if value is None:
        value = _param(part, "name", "content-type")
    if value is None:
        return ""
    name = decode_rfc2231(value)
    # No paths, no control characters: the name is shown and used for downloads.
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    return "".join(ch for ch in name if ch.isprintable()).strip()


def _default_name(ctype: str) -> str:
    main, _slash, sub = ctype.partition("/")
    return f"{main or 'part'}.{sub or 'bin'}" if main != "application" else f"attachment.{sub}"


def _payload_bytes(part: Message) -> bytes:
    try:
        payload = part.get_payload(decode=True)
    except Exception:  # pragma: no cover - compat32 decodes leniently; belt and braces
        payload = None
    if isinstance(payload, bytes):
        return payload
    raw = part.get_payload()
    if isinstance(raw, str):
        return raw.encode("utf-8", "surrogateescape")
    return b""


def _text_of(part: Message) -> str:
    return decode_bytes(_payload_bytes(part), part.get_content_charset()).replace("\r\n", "\n")


def _delivery_report(msg: Message) -> DeliveryReport | None:
    """The failed (or delayed) recipient of a DSN and the Message-ID of what bounced."""
    original = ""
    fields: dict[str, str] = {}
    for part in msg.walk():
        ctype = part.get_content_type()
        if ctype == "message/delivery-status":
            for block in part.get_payload() or []:
                if isinstance(block, Message) and block.get("Action"):
                    fields = {k.lower(): _raw_str(v) for k, v in block.items()}
                    break
            if not fields:  # some MTAs send the status as a single text payload
                fields = _fields_from_text(_text_of(part))
        elif ctype in ("message/rfc822", "text/rfc822-headers") and not original:
            original = _original_id(part)
    if not fields:
        return None
    return DeliveryReport(
        original_message_id=original,
        action=fields.get("action", "").strip().lower()[:20],
        status=fields.get("status", "").strip()[:20],
        recipient=fields.get("final-recipient", fields.get("original-recipient", ""))
        .split(";")[-1]
        .strip()[:320],
        diagnostic=" ".join(fields.get("diagnostic-code", "").split(";", 1)[-1].split())[:500],
    )


def _fields_from_text(text: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for line in text.splitlines():
        key, colon, value = line.partition(":")
        if colon and key.strip().lower() in (
            "action",
            "status",
            "diagnostic-code",
            "final-recipient",
        ):
            found.setdefault(key.strip().lower(), value.strip())
    return found


def _original_id(part: Message) -> str:
    payload = part.get_payload()
    if isinstance(payload, list) and payload and isinstance(payload[0], Message):
        ids = message_ids(_raw_str(payload[0].get("Message-ID", "")))
    else:
        headers = email.message_from_bytes(_payload_bytes(part), policy=compat32)
        ids = message_ids(_raw_str(headers.get("Message-ID", "")))
    return ids[0] if ids else ""
