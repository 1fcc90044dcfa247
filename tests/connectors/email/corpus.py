"""Raw messages as real mailers write them, built byte by byte (no library smoothing them).

Each builder returns ``bytes`` ready for SMTP, IMAP APPEND or the HTTP hook.
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from email.utils import format_datetime

SUPPORT = "support@shop.example"
DATE = format_datetime(datetime(2026, 11, 20, 10, 0, tzinfo=UTC))


def headers(
    *,
    message_id: str | None,
    sender: str = "Asha Rao <asha@mail.example>",
    to: str = SUPPORT,
    subject: str = "Order 1042 has not arrived",
    extra: str = "",
    date: str = DATE,
) -> bytes:
    lines = [f"From: {sender}", f"To: {to}", f"Subject: {subject}", f"Date: {date}"]
    if message_id:
        lines.append(f"Message-ID: <{message_id}>")
    lines.append("MIME-Version: 1.0")
    text = "\r\n".join(lines) + "\r\n"
    if extra:
        text += extra.rstrip("\r\n").replace("\n", "\r\n").replace("\r\r", "\r") + "\r\n"
    return text.encode("utf-8")


def plain(
    body: str = "Hello, my order has not arrived yet.",
    *,
    message_id: str | None = "first@mail.example",
    charset: str = "utf-8",
    **kw: str,
) -> bytes:
    head = headers(message_id=message_id, **kw)
    return (
        head
        + f"Content-Type: text/plain; charset={charset}\r\nContent-Transfer-Encoding: 8bit\r\n\r\n".encode()
        + body.encode(charset if charset != "unknown-8bit" else "cp1252").replace(b"\n", b"\r\n")
        + b"\r\n"
    )


def reply(
    body: str,
    *,
    message_id: str,
    in_reply_to: str | None = None,
    references: list[str] | None = None,
    **kw: str,
) -> bytes:
    extra = ""
    if in_reply_to:
        extra += f"In-Reply-To: <{in_reply_to}>\r\n"
    if references:
        extra += "References: " + "\r\n ".join(f"<{r}>" for r in references) + "\r\n"
    kw.setdefault("subject", "Re: Order 1042 has not arrived")
    kw["extra"] = extra + kw.get("extra", "")
    return plain(body, message_id=message_id, **kw)


def windows_1252_declared_utf8() -> bytes:
    """8-bit bytes that are not valid in the declared charset (a classic of old mailers)."""
    head = headers(message_id="cp1252@mail.example", subject="Facture")
    body = "Bonjour, la facture n°42 coûte 30 € — merci de vérifier la TVA s’il vous plaît. " * 3
    return (
        head
        + b"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
        + body.encode("cp1252")
        + b"\r\n"
    )


def greek_8bit() -> bytes:
    """Raw ISO-8859-7 in body and (unencoded, 8-bit) in the subject."""
    head = (
        b"From: =?iso-8859-7?q?=C3=E9=FE=F1=E3=EF=F2?= <giorgos@mail.example>\r\n"
        b"To: support@shop.example\r\nSubject: "
        + "Εισιτήριο ακυρώθηκε".encode("iso-8859-7")
        + b"\r\nMessage-ID: <greek@mail.example>\r\nMIME-Version: 1.0\r\n"
        b"Content-Type: text/plain; charset=iso-8859-7\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
    )
    return head + "Καλημέρα, το εισιτήριό μου ακυρώθηκε χωρίς λόγο.\r\n".encode("iso-8859-7")


def encoded_headers() -> bytes:
    """RFC 2047 words split inside a multi-byte character, and an RFC 2231 filename."""
    hindi = "ऑर्डर की स्थिति".encode()
    first, second = hindi[:7], hindi[7:]
    subject = (
        "=?utf-8?B?"
        + base64.b64encode(first).decode()
        + "?=\r\n =?utf-8?B?"
        + base64.b64encode(second).decode()
        + "?="
    )
    head = headers(
        message_id="encoded@mail.example",
        sender="=?utf-8?B?"
        + base64.b64encode("प्रिया शर्मा".encode()).decode()
        + "?= <priya@mail.example>",
        subject=subject,
    )
    return head + (
        b'Content-Type: multipart/mixed; boundary="b1"\r\n\r\n'
        b"--b1\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        + base64.encodebytes("मेरा ऑर्डर कहाँ है?".encode())
        + b"--b1\r\nContent-Type: application/pdf\r\n"
        b"Content-Disposition: attachment; filename*=utf-8''%E0%A4%AC%E0%A4%BF%E0%A4%B2.pdf\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQK\r\n--b1--\r\n"
    )


def html_only() -> bytes:
    head = headers(message_id="html@mail.example", subject="Photo of the damage")
    html = (
        "<html><head><style>p{color:red}</style><script>alert(1)</script></head><body>"
        '<p onclick="steal()">The box was <b>crushed</b>.</p>'
        '<img src="https://tracker.example/pixel.gif"><img src="cid:photo1@mail.example">'
        '<a href="javascript:alert(2)">click</a></body></html>'
    )
    return head + (
        b'Content-Type: multipart/related; boundary="rel"\r\n\r\n'
        b"--rel\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
        + html.encode()
        + b"\r\n--rel\r\nContent-Type: image/png\r\nContent-ID: <photo1@mail.example>\r\n"
        b"Content-Disposition: inline\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        + base64.encodebytes(b"\x89PNG\r\n\x1a\nfakepng")
        + b"--rel--\r\n"
    )


def alternative() -> bytes:
    head = headers(message_id="alt@mail.example", subject="Both parts")
    return head + (
        b'Content-Type: multipart/alternative; boundary="alt"\r\n\r\n'
        b"--alt\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nPlain version\r\n"
        b"--alt\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>HTML <i>version</i></p>\r\n"
        b"--alt--\r\n"
    )


def forwarded_eml() -> bytes:
    head = headers(message_id="fwd@mail.example", subject="Fwd: Your invoice")
    inner = (
        b"From: billing@vendor.example\r\nTo: asha@mail.example\r\nSubject: Your invoice\r\n"
        b"Message-ID: <inner@vendor.example>\r\n\r\nInvoice attached.\r\n"
    )
    return head + (
        b'Content-Type: multipart/mixed; boundary="m"\r\n\r\n'
        b"--m\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nSee the forwarded mail below.\r\n"
        b"--m\r\nContent-Type: message/rfc822\r\n\r\n" + inner + b"\r\n--m--\r\n"
    )


def truncated_mime() -> bytes:
    """The closing boundary never comes and the base64 attachment stops mid-way."""
    head = headers(message_id="truncated@mail.example", subject="Cut off")
    return head + (
        b'Content-Type: multipart/mixed; boundary="cut"\r\n\r\n'
        b"--cut\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nThe text survives.\r\n"
        b"--cut\r\nContent-Type: application/octet-stream; name=data.bin\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\nAAECAwQFBgcICQ"
    )


def garbage() -> bytes:
    """Not an email at all: no headers, binary noise."""
    return b"\x00\x01\x02 this is not mail \xff\xfe\r\n\r\n\x00"


def no_message_id() -> bytes:
    return plain("A message without an id.", message_id=None, subject="No id")


def auto_reply() -> bytes:
    return plain(
        "I am out of the office until Monday.",
        message_id="ooo@mail.example",
        subject="Automatic reply: Order 1042",
        extra="Auto-Submitted: auto-replied",
    )


def bulk() -> bytes:
    return plain(
        "Our newsletter.", message_id="news@list.example", subject="News", extra="Precedence: bulk"
    )


def dsn(original_id: str, recipient: str = "asha@mail.example") -> bytes:
    head = headers(
        message_id="bounce-1@mx.mail.example",
        sender="Mail Delivery System <MAILER-DAEMON@mx.mail.example>",
        subject="Undelivered Mail Returned to Sender",
    )
    return head + (
        b'Content-Type: multipart/report; report-type=delivery-status; boundary="dsn"\r\n\r\n'
        b"--dsn\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n"
        b"This is the mail system. Your message could not be delivered.\r\n"
        b"--dsn\r\nContent-Type: message/delivery-status\r\n\r\n"
        b"Reporting-MTA: dns; mx.mail.example\r\n\r\n"
        b"Final-Recipient: rfc822; " + recipient.encode() + b"\r\n"
        b"Action: failed\r\nStatus: 5.1.1\r\n"
        b"Diagnostic-Code: smtp; 550 5.1.1 <" + recipient.encode() + b">: user unknown\r\n"
        b"--dsn\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        b"From: support@shop.example\r\nMessage-ID: <" + original_id.encode() + b">\r\n"
        b"Subject: Re: Order 1042\r\n--dsn--\r\n"
    )


def outlook_reply(thread_index: str, message_id: str) -> bytes:
    """Outlook threads by Thread-Index even when the references were stripped."""
    return plain(
        "Any news?\n\nFrom: Shop Support <support@shop.example>\nSent: Friday\nSubject: Order\n\nWe are on it.",
        message_id=message_id,
        subject="RE: Order 1042 has not arrived",
        extra=f"Thread-Index: {thread_index}\r\nThread-Topic: Order 1042 has not arrived",
    )


def thread_index(root: bytes, child_blocks: int = 0) -> str:
    return base64.b64encode(root + b"\x00\x00\x01\x02\x03" * child_blocks).decode()


def utf8_html_with_one_bad_byte() -> bytes:
    """A long UTF-8 HTML body (French) with one cut character (a lone byte sequence that is
    not UTF-8): a detector guesses Shift-JIS or GB18030 for the whole body."""
    head = headers(message_id="onebad@mail.example", subject="Commande")
    paragraph = "<p>Merci de vérifier la livraison, café crème.</p>\n"
    body = (paragraph * 8).encode() + b"<p>Prix: 30 \xe2\x80</p>\n" + (paragraph * 4).encode()
    return (
        head
        + b"Content-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
        + body
        + b"\r\n"
    )


def raw_utf8_filename() -> bytes:
    """An attachment named in raw UTF-8 (no RFC 2231 or encoded word), as many mailers do."""
    head = headers(message_id="rawname@mail.example", subject="Invoice")
    name = "चालान सूची Ημερολόγιο.pdf".encode()
    return (
        head
        + b'Content-Type: multipart/mixed; boundary="b1"\r\n\r\n'
        + b"--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nSee the attached file.\r\n"
        + b'--b1\r\nContent-Type: application/pdf; name="'
        + name
        + b'"\r\nContent-Disposition: attachment; filename="'
        + name
        + b'"\r\nContent-Transfer-Encoding: base64\r\n\r\n'
        + base64.b64encode(b"%PDF-1.4 test")
        + b"\r\n--b1--\r\n"
    )
