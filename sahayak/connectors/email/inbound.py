"""One entry for every inbound email, whatever brought it (SMTP, IMAP, an HTTP hook).

``ingest`` stores a raw message exactly once and says where it went; it raises
``MailRejected`` for what will never be accepted (the reason goes back to the sender) and
``MailDeferred`` for what may be accepted later. Anything else it raises (the database is
down) is temporary too: the caller must not acknowledge the message.
"""

from __future__ import annotations

import hashlib
import logging
import random
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db import OperationalError, transaction
from django.utils.translation import gettext as _

from sahayak.conversations import attachments, events
from sahayak.conversations.burst import receive_many
from sahayak.conversations.delivery import record_delivery_report
from sahayak.conversations.inbound import InboundAttachment, InboundMessage, InboundRejected
from sahayak.conversations.models import Inbox, Message
from sahayak.conversations.pipeline import ReceiveResult, receive
from sahayak.conversations.text import html_to_text
from sahayak.conversations.threads import rejoin_split_threads
from sahayak.ratelimit import exceeded

from . import side
from .mailboxes import CHANNEL, inbox_for_address
from .parsing import ParsedMail, parse_message
from .quotes import quote_spans
from .spam import judge
from .thread_ids import conversation_from_token, strip_subject, subject_key, subject_number

logger = logging.getLogger(__name__)

BATCH_ATTEMPTS = 4


class MailRejected(Exception):
    """Permanent: answer 5xx (SMTP), flag as rejected (IMAP), 4xx (HTTP)."""

    def __init__(self, reason: str, code: str = "5.6.0", smtp_status: int = 550):
        super().__init__(reason)
        self.reason = reason
        self.code = code
        self.smtp_status = smtp_status


class MailDeferred(Exception):
    """Temporary: try again later (SMTP 451, IMAP leaves it for the next poll, HTTP 429)."""

    def __init__(self, reason: str, retry_after: int = 300):
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


@dataclass
class IngestOutcome:
    status: str  # stored | duplicate | report
    message_id: int | None = None
    conversation_id: int | None = None
    created_conversation: bool = False
    notes: list[str] = field(default_factory=list)


def ingest(
    raw: bytes,
    *,
    inbox: Inbox | None = None,
    recipients: Sequence[str] = (),
    envelope_sender: str = "",
) -> IngestOutcome:
    """Store one raw email (idempotent on its Message-ID) and answer where it went.
    ``envelope_sender`` (SMTP's MAIL FROM) stands in for a missing From header."""
    prepared = prepare(raw, inbox=inbox, recipients=recipients, envelope_sender=envelope_sender)
    if isinstance(prepared, IngestOutcome):
        return prepared
    outcome = _store(prepared)
    if transaction.get_connection().in_atomic_block:
        after_commit([outcome])  # receive() leaves this to whoever commits
    return outcome


def ingest_many(raws: Iterable[bytes], *, inbox: Inbox) -> list[IngestOutcome | Exception]:
    """Store a batch in one transaction (one commit for many messages); each message's own
    failure is returned in its place and rolls back only that message.

    Two batches creating the same new customers in another order can deadlock on
    PostgreSQL; the loser's batch is rolled back whole and tried again.
    """
    raws = list(raws)
    for attempt in range(BATCH_ATTEMPTS):
        try:
            # The batch's events are told together after its commit (the search index
            # writes them in one statement), each still only once it is committed.
            with events.held() as committed:
                results = _ingest_batch(raws, inbox)
        except OperationalError:
            if attempt + 1 == BATCH_ATTEMPTS:
                raise
            logger.info("email batch rolled back (lock conflict); retrying")
            time.sleep(random.uniform(0.05, 0.3) * (attempt + 1))
            continue
        events.announce(committed)
        after_commit([r for r in results if isinstance(r, IngestOutcome)])
        return results
    raise AssertionError("unreachable")


def _ingest_batch(raws: list[bytes], inbox: Inbox) -> list[IngestOutcome | Exception]:
    """Parse and check each mail, then store the ones that pass as one burst (see
    conversations.burst): the same outcome per mail as ``ingest``, in far fewer queries."""
    results: list[IngestOutcome | Exception | None] = [None] * len(raws)
    with transaction.atomic():
        parsed: list[ParsedMail | MailRejected] = []
        for raw in raws:
            try:
                parsed.append(_parse(raw))
            except MailRejected as exc:
                parsed.append(exc)
        known = _stored([p.message_id for p in parsed if isinstance(p, ParsedMail)])
        pending: list[tuple[int, _Prepared]] = []
        for n, (raw, mail) in enumerate(zip(raws, parsed, strict=True)):
            try:
                if isinstance(mail, MailRejected):
                    raise mail
                prepared = prepare(raw, inbox=inbox, parsed=mail, known=known)
            except (MailRejected, MailDeferred) as exc:
                results[n] = exc
                continue
            if isinstance(prepared, IngestOutcome):
                results[n] = prepared
                continue
            prepared.inbound.metadata["email"]["raw"] = _keep_raw(prepared.raw)  # type: ignore[index]
            pending.append((n, prepared))
        stored = receive_many([prepared.inbound for _, prepared in pending])
        for (n, _prepared), result in zip(pending, stored, strict=True):
            results[n] = (
                MailRejected(str(result))
                if isinstance(result, InboundRejected)
                else _outcome(result)
            )
    return [r for r in results if r is not None]


def _stored(message_ids: list[str]) -> dict[str, tuple[int, int]]:
    """Which of these Message-IDs are stored already (one query for a batch)."""
    keys = sorted({m[:255] for m in message_ids if m})
    found: dict[str, tuple[int, int]] = {}
    for start in range(0, len(keys), 500):
        rows = Message.objects.filter(channel=CHANNEL, external_id__in=keys[start : start + 500])
        for external_id, pk, conversation_id in rows.values_list(
            "external_id", "pk", "conversation_id"
        ):
            found[external_id or ""] = (pk, conversation_id)
    return found


@dataclass
class _Prepared:
    parsed: ParsedMail
    inbound: InboundMessage
    raw: bytes


def prepare(
    raw: bytes,
    *,
    inbox: Inbox | None = None,
    recipients: Sequence[str] = (),
    envelope_sender: str = "",
    parsed: ParsedMail | None = None,
    known: dict[str, tuple[int, int]] | None = None,
) -> _Prepared | IngestOutcome:
    """Everything before storing: parse (unless ``parsed``), route, and answer duplicates
    (from ``known``, a batch's Message-IDs already stored, else one query), delivery
    reports and side-conversation replies."""
    if parsed is None:
        parsed = _parse(raw)
    side_conversation = side.match(parsed, recipients)
    if side_conversation is not None:  # a third party's answer: not the customer's thread
        if not parsed.from_address and "@" in envelope_sender:
            parsed.from_address = envelope_sender.strip().strip("<>").lower()[:320]
        if not parsed.text.strip():
            parsed.text = html_to_text(parsed.html)
        side.store_reply(side_conversation, parsed)
        return IngestOutcome("side", conversation_id=side_conversation.conversation_id)
    inbox, token = _route(parsed, inbox, recipients)
    if known is None:
        duplicate = _duplicate(parsed.message_id)
    else:
        row = known.get(parsed.message_id[:255])
        duplicate = IngestOutcome("duplicate", row[0], row[1]) if row else None
    if duplicate is not None:
        return duplicate
    if parsed.report is not None and parsed.report.original_message_id:
        found = record_delivery_report(
            channel=CHANNEL,
            external_id=parsed.report.original_message_id,
            action=parsed.report.action,
            reason=_report_reason(parsed),
        )
        if found is not None:
            return IngestOutcome(
                "report", message_id=found.pk, conversation_id=found.conversation_id
            )
    if not parsed.from_address and "@" in envelope_sender:
        # No From header (unusual, and relays pass it): the envelope says who sent it.
        parsed.from_address = envelope_sender.strip().strip("<>").lower()[:320]
        parsed.defects.append("NoFromHeader")
    if not parsed.from_address:
        raise MailRejected(_("The message has no sender address."), code="5.1.7")
    _check_rate(parsed.from_address)
    return _Prepared(parsed, _inbound(parsed, inbox, token, raw), raw)


def _parse(raw: bytes) -> ParsedMail:
    if len(raw) > settings.SAHAYAK_EMAIL_MAX_BYTES:
        raise MailRejected(
            _("The message is larger than %(n)d bytes.") % {"n": settings.SAHAYAK_EMAIL_MAX_BYTES},
            code="5.3.4",
            smtp_status=552,
        )
    if not raw.strip():
        raise MailRejected(_("The message is empty."))
    return parse_message(raw)


def _route(parsed: ParsedMail, inbox: Inbox | None, recipients: Sequence[str]) -> tuple[Inbox, str]:
    """The inbox and the reply token (the ``+tag`` of the address it came to)."""
    candidates = [*recipients, *parsed.delivered_to, *parsed.to, *parsed.cc]
    token = ""
    found: Inbox | None = inbox
    for address in candidates:
        if found is not None and "+" not in address.partition("@")[0]:
            continue  # the inbox is known: only a +token address can tell more
        hit = inbox_for_address(address)
        if hit is None or (found is not None and hit[0].pk != found.pk):
            continue
        found = hit[0]
        if hit[1] and conversation_from_token(hit[1]):
            token = hit[1]
            break
    if found is None:
        raise MailRejected(
            _("No mailbox here receives mail for %(to)s.")
            % {"to": ", ".join(recipients or parsed.to) or "?"},
            code="5.1.1",
        )
    return found, token


def _duplicate(message_id: str) -> IngestOutcome | None:
    row = (
        Message.objects.filter(channel=CHANNEL, external_id=message_id[:255])
        .values_list("pk", "conversation_id")
        .first()
    )
    return IngestOutcome("duplicate", row[0], row[1]) if row else None


def _report_reason(parsed: ParsedMail) -> str:
    report = parsed.report
    assert report is not None
    parts = [report.status, report.recipient, report.diagnostic]
    return " ".join(p for p in parts if p) or _("The receiving server refused the message.")


def _sender_key(kind: str, sender: str) -> str:
    """A cache key per sender (hashed: addresses may hold characters keys may not)."""
    return f"{kind}:{hashlib.sha256(sender.encode()).hexdigest()[:32]}"


def _check_rate(sender: str) -> None:
    """A sender (or a mail loop) writing faster than the limit is asked to come back."""
    limit = settings.SAHAYAK_EMAIL_SENDER_RATE
    if limit <= 0:
        return
    if exceeded(_sender_key("mailrate", sender), limit, 3600):
        raise MailDeferred(_("Too many messages from this sender; try again later."))


def _inbound(parsed: ParsedMail, inbox: Inbox, token: str, raw: bytes) -> InboundMessage:
    config = inbox.config
    text = parsed.text if parsed.text.strip() else html_to_text(parsed.html)
    html = parsed.html
    limit = settings.SAHAYAK_MAX_MESSAGE_CHARS
    truncated = len(text) > limit or len(html) > 5 * limit
    if not text.strip() and not html.strip() and not parsed.attachments:
        text = parsed.subject.strip() or _("(This email has no text.)")
    if truncated:  # a very long mail is shown shortened; the raw message keeps it all
        text, html = text[:limit], ""
    subject, replied = strip_subject(parsed.subject)
    unverified = parsed.auth is not None and parsed.auth.failed
    window = None
    if replied and config.get("subject_threading", True) and not unverified:
        window = timedelta(days=int(config.get("subject_window_days", 7)))
    email_meta: dict[str, object] = {
        "from": parsed.from_address,
        "to": parsed.to[:20],
        "cc": parsed.cc[:20],
        "subject": parsed.subject[:300],
        "date": parsed.date.isoformat() if parsed.date else "",
        "raw": "",
    }
    if parsed.automated:
        email_meta["automated"] = parsed.automated
    if parsed.auth is not None:
        email_meta["auth"] = parsed.auth.results
    verdict = judge(parsed, raw)
    if verdict.reasons:
        email_meta["spam"] = verdict.as_metadata()
    if unverified:
        # A forged From must not reach into the customer's conversation: only the
        # Message-IDs it answers (which a forger does not know) may thread it.
        email_meta["unverified_sender"] = True
        token = ""
    if parsed.defects:
        email_meta["defects"] = parsed.defects
    if truncated:
        email_meta["truncated"] = True
    folds = quote_spans(text)
    metadata: dict[str, object] = {"email": email_meta}
    if folds:
        metadata["folds"] = [list(span) for span in folds]
    return InboundMessage(
        channel=CHANNEL,
        inbox=inbox,
        sender_kind="email",
        sender_address=parsed.from_address,
        sender_name=parsed.from_name,
        text=text,
        html=html,
        subject=subject,
        external_id=parsed.message_id[:255],
        conversation_id=conversation_from_token(token) if token else None,
        references=parsed.thread_refs,
        claimed_conversation_id=None if unverified else subject_number(parsed.subject),
        loose_references=[parsed.thread_index] if parsed.thread_index and not unverified else [],
        subject_key=subject_key(parsed.subject) if window else "",
        subject_window=window,
        locale=_locale(parsed.content_language),
        written_at=parsed.date,
        spam=verdict.spam,
        metadata=metadata,
        attachments=[
            InboundAttachment(a.filename, a.content_type, a.content, a.content_id)
            for a in parsed.attachments
        ],
    )


def _locale(content_language: str) -> str:
    code = content_language.split("-")[0].lower()
    return code if code in settings.SAHAYAK_DETECT_LANGUAGES else ""


def _store(prepared: _Prepared) -> IngestOutcome:
    prepared.inbound.metadata["email"]["raw"] = _keep_raw(prepared.raw)  # type: ignore[index]
    try:
        result = receive(prepared.inbound)
    except InboundRejected as exc:
        raise MailRejected(str(exc)) from exc
    # The acknowledgement of a new conversation is an automation rule's action.
    return _outcome(result)


def _outcome(result: ReceiveResult) -> IngestOutcome:
    return IngestOutcome(
        "duplicate" if result.duplicate else "stored",
        result.message.pk,
        result.conversation.pk,
        result.created_conversation,
    )


def _keep_raw(raw: bytes) -> str:
    """The original bytes, content-addressed (a crash leaves at most an unused file)."""
    return attachments.keep(raw, "raw-mail", ".eml")[0]


def after_commit(outcomes: Iterable[IngestOutcome]) -> None:
    """Rejoin threads that a concurrent or earlier delivery may have split (see
    conversations.threads)."""
    stored = {o.message_id: o for o in outcomes if o.status == "stored" and o.message_id}
    for message_id, kept in rejoin_split_threads(list(stored)).items():
        stored[message_id].conversation_id = kept.pk
