"""Generated mail for the ingest benchmark and the crash test: threads of a first message
and replies (about 40 % replies), mixed charsets (UTF-8, raw ISO-8859-7 and Windows-1252,
base64 Devanagari), HTML alternatives, attachments, and replies delivered before their
parents. Returns the raw messages in delivery order and the Message-IDs of each thread."""

from __future__ import annotations

import base64
import random

SUPPORT = "support@shop.example"

_BODIES = [
    ("utf-8", "8bit", "Hello, my order {n} has not arrived yet. Could you check, please?"),
    ("iso-8859-7", "8bit", "Καλημέρα, το εισιτήριό μου {n} ακυρώθηκε. Μπορείτε να βοηθήσετε;"),
    (
        "windows-1252",
        "8bit",
        "Bonjour, la commande n°{n} coûte 30 € de trop, pouvez-vous vérifier ?",
    ),
    ("utf-8", "base64", "नमस्ते, मेरा ऑर्डर {n} अभी तक नहीं आया। कृपया मदद करें।"),
    ("utf-8", "base64", "নমস্কার, আমার অর্ডার {n} এখনও আসেনি। দয়া করে সাহায্য করুন।"),
]


def _body_part(rng: random.Random, n: int) -> bytes:
    charset, encoding, template = rng.choice(_BODIES)
    text = template.format(n=n)
    payload = text.encode(charset)
    if encoding == "base64":
        payload = base64.encodebytes(payload)
    head = (
        f"Content-Type: text/plain; charset={charset}\r\n"
        f"Content-Transfer-Encoding: {encoding}\r\n\r\n"
    ).encode()
    roll = rng.random()
    if roll < 0.25:  # an HTML alternative
        html = f"<html><body><p>{text}</p><p><b>#{n}</b></p></body></html>".encode()
        return (
            b'Content-Type: multipart/alternative; boundary="alt"\r\n\r\n--alt\r\n'
            + head
            + payload
            + b"\r\n--alt\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
            + html
            + b"\r\n--alt--\r\n"
        )
    if roll < 0.35:  # a small attachment with a non-Latin name
        data = base64.encodebytes(rng.randbytes(2048))
        return (
            b'Content-Type: multipart/mixed; boundary="mix"\r\n\r\n--mix\r\n'
            + head
            + payload
            + b"\r\n--mix\r\nContent-Type: application/pdf\r\n"
            b"Content-Disposition: attachment; filename*=utf-8''%E0%A4%AC%E0%A4%BF%E0%A4%B2.pdf\r\n"
            b"Content-Transfer-Encoding: base64\r\n\r\n" + data + b"--mix--\r\n"
        )
    return head + payload + b"\r\n"


def _mail(
    rng: random.Random, n: int, sender: str, subject: str, msgid: str, parents: list[str]
) -> bytes:
    lines = [
        f"From: Customer {sender.split('@')[0]} <{sender}>",
        f"To: {SUPPORT}",
        f"Subject: {'Re: ' if parents else ''}{subject}",
        "Date: Fri, 20 Nov 2026 10:00:00 +0000",
        f"Message-ID: <{msgid}>",
        "MIME-Version: 1.0",
    ]
    if parents:
        lines.append(f"In-Reply-To: <{parents[-1]}>")
        lines.append("References: " + " ".join(f"<{p}>" for p in parents[-10:]))
    return ("\r\n".join(lines) + "\r\n").encode() + _body_part(rng, n)


def thread_corpus(total: int, seed: int = 1) -> tuple[list[bytes], list[list[str]]]:
    rng = random.Random(seed)
    senders = [f"c{i}@mail{i % 7}.example" for i in range(max(total // 3, 1))]
    timeline: list[tuple[float, int, bytes, str]] = []
    threads: list[list[str]] = []
    made = 0
    while made < total:
        thread_no = len(threads)
        sender = rng.choice(senders)
        subject = f"Question {thread_no} about order {rng.randint(1000, 99999)}"
        replies = min(rng.choice([0, 0, 0, 1, 1, 2]), total - made - 1)  # 40 % replies
        start = rng.random() * total
        ids: list[str] = []
        for position in range(replies + 1):
            msgid = f"t{thread_no}.m{position}.{seed}@mail.example"
            raw = _mail(rng, made, sender, subject, msgid, list(ids))
            at = start + position * rng.uniform(1, 30)
            timeline.append((at, made, raw, msgid))
            ids.append(msgid)
            made += 1
        threads.append(ids)
    timeline.sort()
    order = [item[2] for item in timeline]
    position_of = {item[3]: i for i, item in enumerate(timeline)}
    # About one reply in ten arrives before its parent.
    for ids in threads:
        for parent, child in zip(ids, ids[1:], strict=False):
            if rng.random() < 0.1:
                a, b = position_of[parent], position_of[child]
                order[a], order[b] = order[b], order[a]
                position_of[parent], position_of[child] = b, a
    return order, threads
